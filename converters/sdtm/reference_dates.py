"""Per-subject dates from study.yaml date sources, and DM's reference dates.

A date source (``{form, column, time_column, where, pick}``) yields at most
one ISO 8601 date per subject: the earliest (``pick: first``) or latest
(``pick: last``) full or partial date among the form's rows that match
``where``.  DM uses them for RFSTDTC/RFENDTC (``reference_start`` /
``reference_end``) and RFPENDTC (``study_end``); the subject element
timeline uses them for element starts.  Values that are not dates are left
out here; the domain that maps the same field reports them.  A source naming
a form or column the raw folder lacks stops the build (``check_date_sources``, which checks
the arm assignment's form and columns too) with the study.yaml line, rather than leaving every
subject without the date or the arm.
"""
from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from converters.errors import Location, SpecError
from converters.sdtm.columns import distinct_rows, distinct_text, normalized, text_series
from converters.sdtm.dates import to_iso8601
from converters.spec.study import DateSource, StudyDefinition, pattern_fields


def usubjids(study: StudyDefinition, frame: pd.DataFrame) -> pd.Series:
    """USUBJID of each raw row from the study's pattern (``{STUDYID}-{SUBJID}``): missing where a field is missing.

    Formed once per distinct combination of the pattern's fields."""
    pieces: list[str | list[str]] = []
    parts: list[np.ndarray] = []
    for is_field, text in pattern_fields(study.usubjid_pattern):
        if not is_field:
            pieces.append(text)
        elif text == "STUDYID":
            pieces.append(study.studyid)
        elif text in frame:
            codes, values = distinct_text(frame[text])
            pieces.append([value.strip() for value in values])
            parts.append(codes)
        else:
            return pd.Series(pd.NA, index=frame.index, dtype="string")
    if not parts:
        return pd.Series("".join(p for p in pieces if isinstance(p, str)), index=frame.index, dtype="string")
    codes, first = distinct_rows(parts)
    # the pieces of each distinct combination joined column-wise (object arrays add their texts element by element)
    joined = np.full(len(first), "", dtype=object)
    missing = np.zeros(len(first), dtype=bool)
    fields = iter(parts)
    for piece in pieces:
        if isinstance(piece, str):
            joined = joined + piece
            continue
        field = next(fields)[first]
        missing |= field < 0
        texts = np.empty(len(piece) + 1, dtype=object)
        texts[:] = [*piece, ""]
        joined = joined + texts[field]
    joined[missing] = None
    return text_series(joined.tolist(), codes, frame.index)


def date_sources(study: StudyDefinition) -> list[tuple[str, DateSource]]:
    """Every date source of study.yaml with the name it is known by (``study_end``, ``element_dates TAETORD 2``)."""
    named = [(name, source) for name, source in sorted(study.sources.items())]
    named += [(f"element_dates TAETORD {rule.taetord}", start) for rule in study.element_dates
              if (start := getattr(rule, "start", None)) is not None]
    return named


def check_date_sources(study: StudyDefinition, columns: dict[str, set[str]]) -> None:
    """SpecError (study.yaml file and line) when a date source or the arm assignment names a raw form or
    column that does not exist.

    ``columns`` maps each raw form name to its column names.
    """
    named = [(name, source.form, [source.column, *([source.time_column] if source.time_column else []),
                                  *(c for c, _ in source.where)], source.line)
             for name, source in date_sources(study)]
    if study.arm_assignment is not None:
        arms = study.arm_assignment
        named.append(("arm_assignment", arms.form, list(arms.columns), arms.line))
    for name, form, wanted, line in named:
        where = Location(str(study.path), line or None)
        if form not in columns:
            raise SpecError(f"{name}: raw form {form!r} not found", where,
                            hint=f"raw forms: {', '.join(sorted(columns))}")
        for column in wanted:
            if column not in columns[form]:
                close = difflib.get_close_matches(column, sorted(columns[form]), n=3)
                raise SpecError(f"{name}: column {column!r} is not in raw form {form}", where,
                                hint=f"did you mean {' or '.join(close)}?" if close else
                                f"columns: {', '.join(sorted(columns[form])[:30])}")


def where_mask(frame: pd.DataFrame, where) -> pd.Series:
    """Rows where every ``column: value`` (or ``column: [values]``) holds, compared case- and space-insensitively,
    as filters compare."""
    keep = pd.Series(True, index=frame.index)
    for column, wanted in (where.items() if isinstance(where, dict) else where):
        values = wanted if isinstance(wanted, (list, tuple)) else [wanted]
        col = _normal(frame[str(column)]) if column in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        keep &= col.isin([" ".join(str(v).split()).upper() for v in values]).fillna(False).astype(bool)
    return keep


def where_misses(frame: pd.DataFrame, where) -> list[str]:
    """``column = value`` of each ``where`` value that matches no row of ``frame`` (worth a warning: a typo or a
    different spelling in the export leaves the derived value blank)."""
    missing = []
    for column, wanted in (where.items() if isinstance(where, dict) else where):
        present = set(_normal(frame[str(column)]).dropna()) if column in frame else set()
        for value in (wanted if isinstance(wanted, (list, tuple)) else [wanted]):
            if " ".join(str(value).split()).upper() not in present:
                missing.append(f"{column} = {value!r}")
    return missing


def _normal(values: pd.Series) -> pd.Series:
    return normalized(values, blank_missing=False)


def source_dates(study: StudyDefinition, raw: dict, source: DateSource) -> pd.Series:
    """ISO date per USUBJID (index) from one date source; empty when the form is absent."""
    src = raw.get(source.form)
    if src is None or source.column not in src.frame:
        return pd.Series(dtype="object")
    frame = src.frame.loc[where_mask(src.frame, source.where)]
    time = frame[source.time_column] if source.time_column and source.time_column in frame else None
    iso = to_iso8601(frame[source.column], time).iso
    out = pd.DataFrame({"USUBJID": usubjids(study, frame).astype("object"), "date": iso}).dropna()
    if out.empty:
        return pd.Series(dtype="object")
    out = out.sort_values(["USUBJID", "date"], kind="mergesort")
    picked = out.groupby("USUBJID", sort=True)["date"].agg("first" if source.pick == "first" else "last")
    return picked.astype("object")
