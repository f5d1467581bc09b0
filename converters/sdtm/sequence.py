"""Sequence numbers (``seq``): --SEQ unique within each subject, in a stated sort order."""
from __future__ import annotations

import numpy as np
import pandas as pd


def sort_codes(frame: pd.DataFrame, columns: list[str]) -> list[np.ndarray] | None:
    """Per column, each record's rank among the column's distinct values (nulls last), for ``np.lexsort``; None
    when a column's values cannot be ordered (mixed types), so the caller sorts the frame itself."""
    out = []
    for name in columns:
        try:
            codes, uniques = pd.factorize(frame[name], sort=True)
        except TypeError:
            return None
        out.append(np.where(codes < 0, len(uniques), codes))
    return out


def ordered_positions(frame: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    """Record positions sorted by ``columns`` (nulls last, ties in input order), or None (see ``sort_codes``)."""
    codes = sort_codes(frame, columns)
    if codes is None:
        return None
    if not codes:
        return np.arange(len(frame))
    return np.lexsort(codes[::-1])  # the last key is the primary one; a stable sort keeps ties in input order


def derive_seq(frame: pd.DataFrame, by: list[str] | tuple[str, ...] = ("USUBJID",),
               order: list[str] | tuple[str, ...] = ()) -> pd.Series:
    """1, 2, 3 ... within each ``by`` group, ordered by ``order`` (nulls last, ties by input order).

    Per subject, so partition-safe.
    """
    by, order = list(by), [c for c in order if c not in by]
    codes = sort_codes(frame, by + order)
    if codes is None or not by:
        keys = frame[by + order].copy()
        keys["__pos__"] = range(len(frame))
        ordered = keys.sort_values(by + order + ["__pos__"], na_position="last", kind="mergesort")
        counted = ordered.groupby(by, sort=False, dropna=False).cumcount() + 1
        return counted.reindex(frame.index).astype("float64")
    positions = np.lexsort(codes[::-1])
    new_group = np.zeros(len(positions), dtype=bool)
    for column in codes[:len(by)]:  # a group starts where any ``by`` value changes in sorted order
        ranked = column[positions]
        new_group[1:] |= ranked[1:] != ranked[:-1]
    if len(positions):
        new_group[0] = True
    steps = np.arange(len(positions))
    starts = np.maximum.accumulate(np.where(new_group, steps, 0))
    seq = np.empty(len(positions), dtype="float64")
    seq[positions] = steps - starts + 1
    return pd.Series(seq, index=frame.index, dtype="float64")


def sort_by_keys(frame: pd.DataFrame, keys: list[str] | tuple[str, ...],
                 then: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The records in the order of the dataset's natural keys (then ``then``; nulls last, ties in input order).

    Done before --SEQ is assigned, so every dataset comes out sorted by its keys whatever the order of its
    record blocks (one per raw form) was. Per subject once USUBJID is a key, so partition-safe.
    """
    columns = list(dict.fromkeys(c for c in (*keys, *then) if c in frame.columns and not c.endswith("SEQ")))
    if not columns:
        return frame
    positions = ordered_positions(frame, columns)
    if positions is None:
        order = frame[columns].copy()
        order["__pos__"] = range(len(frame))
        ordered = order.sort_values(columns + ["__pos__"], na_position="last", kind="mergesort")
        return frame.loc[ordered.index].reset_index(drop=True)
    return frame.take(positions).reset_index(drop=True)
