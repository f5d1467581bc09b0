"""Profile raw forms: per column its kind, how often it is filled, its distinct values and a sample of them.

Kinds: ``date`` (most values parse as CRF dates: ``03-MAR-2025``, ``UN-MAR-2025``, ``2025-03-03``), ``time``
(``HH:MM``), ``number``, ``flag`` (only Y/N/U or 0/1), ``text``, ``empty``. Whole-column work: each column's
distinct values are looked at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from converters.readers.raw import RawSource

_TIME = re.compile(r"^([01]?\d|2[0-3]|UN|UK):([0-5]\d|UN|UK)(:[0-5]\d)?$", re.IGNORECASE)
_FLAGS = ({"Y", "N"}, {"Y", "N", "U"}, {"0", "1"}, {"Y"}, {"N"}, {"1"})
#: Columns that name the subject, in order of preference (CDASH SUBJID first).
SUBJECT_COLUMNS = ("SUBJID", "SUBJECT", "SUBJNO", "SUBJ", "SUBJ_ID", "SUBJECT_ID", "PATID", "PATIENT", "PATIENT_ID",
                   "SCRNUM")
#: Columns that hold the CRF folder / visit name.
VISIT_COLUMNS = ("FOLDER", "VISIT", "VISNAME", "VISITNAME", "INSTANCENAME", "EVENT")
SAMPLE = 5
KEEP_DISTINCT = 200


@dataclass
class ColumnProfile:
    name: str
    kind: str
    filled: int
    distinct: int
    values: list[str] = field(default_factory=list)  # distinct values, most frequent first (at most KEEP_DISTINCT)

    @property
    def samples(self) -> list[str]:
        return self.values[:SAMPLE]


@dataclass
class FormProfile:
    name: str
    file: str
    rows: int
    subject: str | None
    visit: str | None
    max_per_subject: int
    columns: list[ColumnProfile]
    source: RawSource

    def column(self, name: str) -> ColumnProfile | None:
        for col in self.columns:
            if col.name.upper() == name.upper():
                return col
        return None

    @property
    def one_per_subject(self) -> bool:
        return self.subject is not None and self.max_per_subject <= 1


def column_kind(values: pd.Series) -> str:
    """The kind of a raw text column (see module docstring), judged on its distinct values."""
    distinct = pd.Series(values.dropna().astype(str).str.strip().unique())
    distinct = distinct[distinct.ne("")]
    if distinct.empty:
        return "empty"
    upper = set(distinct.str.upper())
    if any(upper <= flags for flags in _FLAGS):
        return "flag"
    if pd.to_numeric(distinct, errors="coerce").notna().mean() >= 0.95:
        return "number"
    if distinct.str.match(_TIME).mean() >= 0.9:
        return "time"
    from converters.sdtm.dates import to_iso8601

    iso = to_iso8601(distinct.reset_index(drop=True)).iso
    if iso.notna().mean() >= 0.8 and distinct.str.contains(r"\d{4}").mean() >= 0.8:
        return "date"
    return "text"


def profile_form(source: RawSource) -> FormProfile:
    frame = source.frame
    names = source.column_names()
    upper = {n.upper(): n for n in names}
    subject = next((upper[c] for c in SUBJECT_COLUMNS if c in upper), None)
    visit = next((upper[c] for c in VISIT_COLUMNS if c in upper), None)
    per_subject = int(frame.groupby(subject, dropna=True).size().max()) if subject and len(frame) else 0
    columns = []
    for name in names:
        col = frame[name]
        text = col.dropna().astype(str).str.strip()
        counts = text[text.ne("")].value_counts(sort=True)
        ordered = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda kv: (-kv[1], kv[0]))
        columns.append(ColumnProfile(name=name, kind=column_kind(col), filled=int(counts.sum()),
                                     distinct=len(counts), values=[v for v, _n in ordered[:KEEP_DISTINCT]]))
    return FormProfile(name=source.name, file=source.path.name, rows=len(frame), subject=subject, visit=visit,
                       max_per_subject=per_subject, columns=columns, source=source)


def profile_folder(folder: Path, encodings: dict[str, str] | None = None) -> list[FormProfile]:
    """Every raw form of ``folder``, profiled, in form-name order."""
    from converters.readers.raw import read_raw_folder

    raw = read_raw_folder(folder, encodings=encodings)
    return [profile_form(raw[name]) for name in sorted(raw)]
