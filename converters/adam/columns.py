"""Column helpers that work on each distinct value once (a study's columns hold few distinct values among many
records), so text tests and conversions cost per distinct value, not per record."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def working_copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that a derivation may change without touching its input.

    The copy shares its columns with ``frame``; derivations add or replace whole columns (``frame[name] = ...``,
    never a write into a column's array), which leaves ``frame`` as it was, and pandas 3 copies on write besides.
    So a derivation that sets a few columns of a large frame costs those columns, not the frame.
    """
    return frame.copy(deep=False)


def per_distinct(col: pd.Series, fn: Callable[[pd.Series], pd.Series], missing: object = None) -> pd.Series:
    """``fn`` applied to the distinct non-missing values of ``col`` and spread back; ``missing`` where col is NA."""
    codes, table = distinct_map(col, fn, missing)
    return pd.Series(table[codes], index=col.index, dtype=object)


def distinct_map(col: pd.Series, fn: Callable[[pd.Series], pd.Series], missing: object = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(codes, table): each record's position among the distinct non-missing values of ``col`` (first appearance
    order, -1 where NA), and ``fn`` of each distinct value with ``missing`` last, so ``table[codes]`` is
    :func:`per_distinct`'s result and the codes can be reused (e.g. for the written column's text facts)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return map_distinct(np.asarray(codes), np.asarray(uniques, dtype=object), fn, missing)


def map_distinct(codes: np.ndarray, uniques: np.ndarray, fn: Callable[[pd.Series], pd.Series],
                 missing: object = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_map` of a column already given as codes (-1 missing) into its distinct values (first
    appearance order), e.g. a text column put together from batches (:class:`converters.engine.compact.TextColumn`)."""
    if len(uniques) == 0:
        return codes, np.array([missing], dtype=object)
    mapped = np.asarray(fn(pd.Series(uniques, dtype=object)), dtype=object)
    return codes, np.append(mapped, np.array([missing], dtype=object))


def stripped_text(col: pd.Series) -> pd.Series:
    """Values as stripped text (floats that are whole numbers without '.0'); None for missing or blank."""
    def convert(values: pd.Series) -> pd.Series:
        text = values.map(lambda v: f"{v:g}" if isinstance(v, float) else str(v)).str.strip()
        return text.where(text.ne(""), None)
    return per_distinct(col, convert)


def blank_mask(col: pd.Series) -> np.ndarray:
    """True where the value is missing or blank text."""
    if col.dtype != object and not pd.api.types.is_string_dtype(col):
        return col.isna().to_numpy()
    return stripped_text(col).isna().to_numpy()
