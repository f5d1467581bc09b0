"""Deliberate data problems, injected into the first batch of a generated study.

Every problem is one of five kinds, placed on a row chosen by a fixed rule (not
at random), so it sits in the same place for a given seed and size and exists
at any size.  ``inject`` tags each affected row; after all insertions the
1-based data row numbers (header excluded) are read from the tags, so
``expected/problems.csv`` lists exactly where each problem is.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np
import pandas as pd

from converters.errors import DataError

PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem"]
TAG = "_problem"


@dataclass(frozen=True)
class Problem:
    """One deliberate problem: what kind, in which form, which column and the bad value."""

    kind: str       # impossible_date | unknown_subject | duplicate | unmapped_code | stop_before_start
    form: str
    column: str
    value: str = ""
    code_column: str = ""   # for unmapped_code: the coded twin of ``column``
    code_value: str = ""


DESCRIPTIONS = {
    "impossible_date": "impossible calendar date",
    "unknown_subject": "record for a subject who is not enrolled (not in the enrolment form)",
    "duplicate": "exact duplicate of the previous record",
    "unmapped_code": "value not in controlled terminology and not mappable",
    "stop_before_start": "end date before start date",
}


def _candidates(frame: pd.DataFrame, column: str, extra: pd.Series | None = None) -> list[int]:
    ok = (frame[TAG] == "") & (frame[column] != "") & ~frame[column].str.startswith("UN")
    if extra is not None:
        ok &= extra
    rows = list(frame.index[ok])
    if not rows:
        raise DataError(f"the study is too small to place a deliberate problem in column {column}",
                        hint="generate more subjects (--subjects 5 or more)")
    return rows


def _insert_after(frame: pd.DataFrame, pos: int, row: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame.iloc[: pos + 1], row, frame.iloc[pos + 1:]], ignore_index=True)


def inject(frames: dict[str, pd.DataFrame], problems: list[Problem], subject_exists: Callable[[str], bool],
           avoid: dict[str, pd.Series]) -> list[dict]:
    """Apply ``problems`` to ``frames`` (in place in the dict); return the problems.csv rows.

    ``avoid`` gives, per form, a boolean Series of rows that must stay intact
    (e.g. CRS events, DLTs and fatal events that the expected answers rely on).
    """
    for name in {p.form for p in problems}:
        frames[name] = frames[name].reset_index(drop=True)
        frames[name][TAG] = ""
        frames[name]["_avoid"] = avoid[name].to_numpy() if name in avoid else False
    for i, p in enumerate(problems):
        f = frames[p.form]
        free = (~f["_avoid"].astype(bool))
        tag = f"{i}"
        if p.kind == "impossible_date":
            rows = _candidates(f, p.column, free)
            r = rows[len(rows) // 3]
            f.loc[r, p.column] = p.value + str(f.loc[r, p.column])[6:]
            f.loc[r, TAG] = tag
        elif p.kind == "stop_before_start":
            start_col = p.value
            rows = _candidates(f, p.column, free & (f[start_col] != "") & ~f[start_col].str.startswith("UN"))
            r = rows[len(rows) // 2]
            start = pd.to_datetime(str(f.loc[r, start_col]), format="%d-%b-%Y")
            earlier = (start - pd.Timedelta(days=3)).strftime("%d-%b-%Y").upper()
            f.loc[r, p.column] = earlier
            f.loc[r, TAG] = tag
        elif p.kind == "unmapped_code":
            rows = _candidates(f, p.column, free)
            r = rows[(2 * len(rows)) // 3]
            f.loc[r, p.column] = p.value
            if p.code_column:
                f.loc[r, p.code_column] = p.code_value
            f.loc[r, TAG] = tag
        elif p.kind == "duplicate":
            rows = _candidates(f, p.column, free)
            r = rows[len(rows) // 4]
            copy = f.iloc[[r]].copy()
            copy[TAG] = tag
            frames[p.form] = f = _insert_after(f, r, copy)
        elif p.kind == "unknown_subject":
            rows = _candidates(f, "SUBJID", free)
            r = rows[len(rows) // 5]
            copy = f.iloc[[r]].copy()
            site, num = copy["SUBJID"].iloc[0].split("-")
            ghost = f"{site}-{'9' * len(num)}"
            if subject_exists(ghost):
                raise RuntimeError(f"subject {ghost} exists; cannot place the unknown-subject problem")
            copy["SUBJID"] = ghost
            copy[TAG] = tag
            same_site = (f["SUBJID"].str.split("-").str[0] == site).to_numpy()
            last = int(np.flatnonzero(same_site).max())
            frames[p.form] = f = _insert_after(f, last, copy)
        else:
            raise ValueError(p.kind)
    out = []
    for i, p in enumerate(problems):
        f = frames[p.form]
        rows = list(f.index[f[TAG] == f"{i}"])
        for r in rows:
            if p.kind == "duplicate":
                out.append({"file": f"{p.form}.csv", "row": r + 1, "column": "*", "value": f.loc[r, "SUBJID"],
                            "problem": p.kind})
            elif p.kind == "unknown_subject":
                out.append({"file": f"{p.form}.csv", "row": r + 1, "column": "SUBJID", "value": f.loc[r, "SUBJID"],
                            "problem": p.kind})
            else:
                out.append({"file": f"{p.form}.csv", "row": r + 1, "column": p.column, "value": f.loc[r, p.column],
                            "problem": p.kind})
                if p.code_column:
                    out.append({"file": f"{p.form}.csv", "row": r + 1, "column": p.code_column,
                                "value": f.loc[r, p.code_column], "problem": p.kind})
    for name in {p.form for p in problems}:
        frames[name] = frames[name].drop(columns=[TAG, "_avoid"])
    return sorted(out, key=lambda d: (d["file"], d["row"], d["column"]))
