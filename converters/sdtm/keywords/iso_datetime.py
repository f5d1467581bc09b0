"""``datetime``: one raw date field (and optionally a time field) to ISO 8601 in the declared layouts; partial
dates stay partial, impossible ones are logged and set to null (``converters.sdtm.dates``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from converters.algorithms.date_formats import DATE_FORMATS, DEFAULT_DATE_FORMATS, TIME_FORMATS, canonical_format
from converters.algorithms.registry import Algorithm, register
from converters.sdtm.builder import RAW_PREFIX, BuiltRecords, RecordFill, _text_object
from converters.sdtm.columns import distinct_text, text_series
from converters.sdtm.dates import to_iso8601
from converters.spec.loader import _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import Names, VariableOptions
from converters.spec.yaml_lines import LineDict

FORMAT_KEYS = ("formats", "date_formats", "time_formats")


class DatetimeOptions(VariableOptions):
    datetime: Names
    formats: Names | None = None
    date_formats: Names | None = None
    time_formats: Names | None = None


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at = spec.name, spec.place.line
    cols = r.names(node["datetime"], f"{name}: datetime", at)
    if len(cols) > 2:
        raise r.fail(f"{name}: datetime takes a date field and optionally a time field", at)
    spec.columns = cols
    formats = []
    for key in FORMAT_KEYS:
        if key in node:
            formats += [(f, node.line_of(key)) for f in r.names(node[key], key, node.line_of(key))]
    for fmt, fline in formats:
        canon = canonical_format(fmt)
        if canon is None:
            raise r.fail(f"{name}: unknown date/time format {fmt!r}", fline,
                         f"formats: {', '.join(list(DATE_FORMATS) + list(TIME_FORMATS))}")
        if canon in DATE_FORMATS:
            spec.date_formats += (canon,)
        else:
            spec.time_formats += (canon,)


def _note_format_misses(var: VariableSpec, date: pd.Series, problem: pd.Series, file: str,
                        result: BuiltRecords) -> None:
    """A date column that does not match its format is said once, with the format and three examples of what was
    seen (the log then lists every row)."""
    wrong = pd.Series(problem.to_numpy(dtype=object) == "not a date in the expected format", index=problem.index)
    if not wrong.any():
        return
    seen = ", ".join(repr(v) for v in pd.unique(date[wrong].astype("string").str.strip())[:3])
    formats = " or ".join(var.date_formats or DEFAULT_DATE_FORMATS)
    result.notes.append(f"{var.name}: {int(wrong.sum())} value(s) of {file} {var.columns[0]} are not dates in the "
                        f"expected format {formats} (seen: {seen}); each row is in rejections.csv")


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    date = context.resolve(var.columns[0])
    time = context.resolve(var.columns[1]) if len(var.columns) > 1 else None
    dates = to_iso8601(date, time, date_formats=var.date_formats or None, time_formats=var.time_formats or None)
    bad = dates.problem.notna()
    _note_format_misses(var, date, dates.problem, context.file, context.result)
    if bad.any():
        codes, problems = distinct_text(dates.problem)  # a handful of distinct reasons
        is_time = pd.Series(np.array([time is not None and "time" in p and "date" not in p for p in problems]
                                     + [False], dtype=bool)[codes], index=date.index)
        reasons = text_series([var.name + ": " + p for p in problems], codes, date.index)
        for mask, col, vals in ((bad & ~is_time, var.columns[0], date),
                                (bad & is_time, var.columns[-1], time if time is not None else date)):
            if mask.any():
                context.null(var, col, vals, reasons, mask)
    if not context.supp:  # the collected text, for entries logged later (an end date before its start)
        context.row.out[RAW_PREFIX + var.name] = dates.collected if dates.collected is not None else _text_object(date)
    if dates.text is not None:  # the ISO text, known from the distinct (date, time) pairs
        context.text_of = (dates.iso, *dates.text)
    return dates.iso


DATETIME = register(Algorithm(
    name="datetime", standards=("SDTM",), phase="record", options=DatetimeOptions, fill=fill, origin="Collected",
    summary="Raw date (and time) fields to ISO 8601 in the declared `formats`: partial dates kept partial, "
            "impossible dates and times reported and set to null, never guessed.",
    keyword=True, kinds={"datetime": "names", **{key: "names" for key in FORMAT_KEYS}}, read=read))
