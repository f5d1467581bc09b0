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


def sort_by_keys(frame: pd.DataFrame, keys: list[str] | tuple[str, ...],
                 then: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The records in the order of the dataset's natural keys (then ``then``; nulls last, ties in input order).

    Done before --SEQ is assigned, so every dataset comes out sorted by its keys whatever the order of its
    record blocks (one per raw form) was. Per subject once USUBJID is a key, so partition-safe.
    """
    columns = list(dict.fromkeys(c for c in (*keys, *then) if c in frame.columns and not c.endswith("SEQ")))
    if not columns:
        return frame
    order = frame[columns].copy()
    order["__pos__"] = range(len(frame))
    ordered = order.sort_values(columns + ["__pos__"], na_position="last", kind="mergesort")
    return frame.loc[ordered.index].reset_index(drop=True)
