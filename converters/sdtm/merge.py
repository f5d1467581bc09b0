"""Join another raw source by keys (``merge``), refusing joins that would multiply rows.

The right-hand source must have at most one row per key.  Duplicate keys are
either an error (DataError naming the file, rows and key) or, when the spec
says ``on_duplicate: first``, the first row is used and the others are
logged as ignored lookup rows.
"""
from __future__ import annotations

import pandas as pd

from converters.errors import DataError, Location
from converters.sdtm.rejections import IGNORED, RejectionLog


def merge_source(left: pd.DataFrame, right: pd.DataFrame, *, left_on: list[str], right_on: list[str],
                 columns: list[str], prefix: str = "", right_name: str = "", on_duplicate: str = "error",
                 log: RejectionLog | None = None, domain: str = "") -> pd.DataFrame:
    """``left`` with ``columns`` of ``right`` joined on the keys (left join; row count and order kept)."""
    keys = _keys(right, right_on)
    dup = keys.duplicated(keep="first")
    if dup.any():
        first_rows = right.loc[dup, "__row__"] if "__row__" in right else pd.Series(dup[dup].index)
        if on_duplicate != "first":
            raise DataError(
                f"merge would multiply rows: {int(dup.sum())} row(s) of {right_name} repeat a key "
                f"({', '.join(right_on)} = {'/'.join(map(str, right.loc[dup, right_on].iloc[0].tolist()))})",
                Location(file=right_name, row=int(first_rows.iloc[0]), column=", ".join(right_on)),
                hint="fix the duplicate rows, or add 'on_duplicate: first' to the merge to keep the first row")
        if log is not None:
            log.add(domain, right_name, first_rows, ", ".join(right_on), keys[dup].str.replace("\x1f", "/"),
                    "duplicate key in merged source; first row used", IGNORED)
        right = right.loc[~dup]
        keys = keys.loc[~dup]
    picked = right[columns].copy()
    picked.columns = [prefix + c for c in columns]
    picked["__key__"] = keys.to_numpy()
    left_keys = _keys(left, left_on)
    joined = pd.DataFrame({"__key__": left_keys.to_numpy()}, index=left.index).merge(
        picked, on="__key__", how="left", validate="many_to_one")
    joined.index = left.index
    out = left.copy()
    for col in picked.columns:
        if col != "__key__":
            out[col] = joined[col]
    return out


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One text key per row: the key columns trimmed, upper-cased and joined.  A missing value is the empty text,
    the same key as a blank one: a CSV export cannot tell them apart and SAS compares missing text as blank.

    Formed once per distinct combination of the key columns."""
    from converters.sdtm.columns import distinct_rows, distinct_text, text_series

    if not columns:
        raise ValueError("a merge needs at least one key column")
    parts, texts = [], []
    for col in columns:
        codes, values = distinct_text(frame[col])
        parts.append(codes)
        texts.append([value.strip().upper() for value in values] + [""])
    codes, first = distinct_rows(parts)
    keys = ["\x1f".join(text[part[row]] for part, text in zip(parts, texts)) for row in first]
    return text_series(keys, codes, frame.index, dtype=str)
