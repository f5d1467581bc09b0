"""Column helpers: run text work once per distinct value, not once per record.

Raw clinical columns repeat a small set of values (dates, codes, terms), so
string parsing on the distinct values and a ``take`` back to the records is
many times faster than pandas string methods on the whole column.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def map_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn`` applied to the distinct non-null values, broadcast back to ``values``' rows (null stays null)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series([None] * len(values), index=values.index, dtype="object")
    result = fn(pd.Series(uniques, dtype=values.dtype if values.dtype != object else "object"))
    taken = np.asarray(result.astype("object").where(result.notna(), None), dtype=object)[np.maximum(codes, 0)]
    taken[codes < 0] = None
    return pd.Series(taken, index=values.index, dtype="object")


def map_unique_frame(frame: pd.DataFrame, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """``fn`` applied to the distinct rows of ``frame``, broadcast back (columns of the result)."""
    keys = frame.astype("object").where(frame.notna(), None)
    codes = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(keys))).groupby(codes).first().to_numpy()
    uniques = keys.iloc[first].reset_index(drop=True)
    result = fn(uniques)
    out = result.iloc[codes].reset_index(drop=True)
    out.index = frame.index
    return out
