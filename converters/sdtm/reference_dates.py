"""Per-subject dates from study.yaml date sources, and DM's reference dates.

A date source (``{form, column, time_column, where, pick}``) yields at most
one ISO 8601 date per subject: the earliest (``pick: first``) or latest
(``pick: last``) full or partial date among the form's rows that match
``where``.  DM uses them for RFSTDTC/RFENDTC (``reference_start`` /
``reference_end``) and RFPENDTC (``study_end``); the subject element
timeline uses them for element starts.  Values that are not dates are left
out here; the domain that maps the same field reports them.
"""
from __future__ import annotations

import pandas as pd

from converters.sdtm.dates import to_iso8601
from converters.spec.study import DateSource, StudyDefinition, pattern_fields


def usubjids(study: StudyDefinition, frame: pd.DataFrame) -> pd.Series:
    """USUBJID of each raw row from the study's pattern (``{STUDYID}-{SUBJID}``)."""
    out = pd.Series("", index=frame.index, dtype="string")
    for is_field, text in pattern_fields(study.usubjid_pattern):
        if not is_field:
            out = out + text
        elif text == "STUDYID":
            out = out + study.studyid
        elif text in frame:
            out = out + frame[text].astype("string").str.strip()
        else:
            out = out + pd.NA
    return out


def source_dates(study: StudyDefinition, raw: dict, source: DateSource) -> pd.Series:
    """ISO date per USUBJID (index) from one date source; empty when the form is absent."""
    src = raw.get(source.form)
    if src is None or source.column not in src.frame:
        return pd.Series(dtype="object")
    frame = src.frame
    keep = pd.Series(True, index=frame.index)
    for column, value in source.where:
        col = frame[column].astype("string").str.strip() if column in frame else pd.Series(pd.NA, index=frame.index)
        keep &= (col == str(value)).fillna(False).astype(bool)
    frame = frame.loc[keep]
    time = frame[source.time_column] if source.time_column and source.time_column in frame else None
    iso = to_iso8601(frame[source.column], time).iso
    out = pd.DataFrame({"USUBJID": usubjids(study, frame).astype("object"), "date": iso}).dropna()
    if out.empty:
        return pd.Series(dtype="object")
    out = out.sort_values(["USUBJID", "date"], kind="mergesort")
    picked = out.groupby("USUBJID", sort=True)["date"].agg("first" if source.pick == "first" else "last")
    return picked.astype("object")
