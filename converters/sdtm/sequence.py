"""Sequence numbers (``seq``): --SEQ unique within each subject, in a stated sort order."""
from __future__ import annotations

import pandas as pd


def derive_seq(frame: pd.DataFrame, by: list[str] | tuple[str, ...] = ("USUBJID",),
               order: list[str] | tuple[str, ...] = ()) -> pd.Series:
    """1, 2, 3 ... within each ``by`` group, ordered by ``order`` (nulls last, ties by input order).

    Per subject, so partition-safe.
    """
    by, order = list(by), [c for c in order if c not in by]
    keys = frame[by + order].copy()
    keys["__pos__"] = range(len(frame))
    ordered = keys.sort_values(by + order + ["__pos__"], na_position="last", kind="mergesort")
    seq = ordered.groupby(by, sort=False, dropna=False).cumcount() + 1
    return seq.reindex(frame.index).astype("float64")
