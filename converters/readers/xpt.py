"""Read SAS transport (XPORT v5/v8) files into a transport frame and its dataset metadata.

The frame has the common transport shape (see :mod:`converters.writers.transport`): text with
blank for missing, numbers as float64, numeric dates as SAS numbers (not converted to python
dates; the variable's ``display_format`` says what they are).

XPT carries no Define-XML data type, so the metadata is inferred: character variables are
``text`` with their stored length; numeric variables are ``integer`` when every value is a
whole number (and there is at least one), else ``float``.  Display formats come back in
``NAME<w>.<d>`` form (``DATE9.``, ``8.2``, ``$200.``).  Keys are not stored in XPT.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import DataError, Location
from converters.metadata.model import Dataset, Variable


def read_xpt(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, Dataset]:
    """The data and metadata of the (first) member of an XPT file; DataError naming the file if unreadable."""
    return read_xpt_encoded(path, None)


def read_xpt_encoded(path: str | os.PathLike[str], encoding: str | None) -> tuple[pd.DataFrame, Dataset]:
    """:func:`read_xpt` with the text encoding of character values and labels named (None: UTF-8, pyreadstat's).

    Files from other sponsors' tools often hold cp1252 or Latin-1 text; the validator reads them this way.
    """
    import pyreadstat

    source = Path(path)
    where = Location(file=str(source))
    if not source.is_file():
        raise DataError("XPT file not found", where=where, hint="check the path")
    try:
        frame, meta = pyreadstat.read_xport(str(source), disable_datetime_conversion=True, encoding=encoding)
    except Exception as exc:  # pyreadstat raises its own error types for corrupt files
        raise DataError(f"cannot read XPT file: {exc}", where=where,
                        hint="the file is not a SAS transport file or is damaged") from exc
    variables = []
    columns: dict[str, pd.Series] = {}
    formats = meta.original_variable_types or {}
    labels = meta.column_names_to_labels or {}
    widths = meta.variable_storage_width or {}
    for name in meta.column_names:
        series = frame[name]
        fmt = _display_format(formats.get(name))
        if meta.readstat_variable_types.get(name) == "string":
            text = series.astype(object).where(series.notna(), "")
            columns[name] = pd.Series(text.to_numpy(dtype=object), dtype=object, name=name)
            variables.append(Variable(name=name, label=labels.get(name) or "", data_type="text",
                                      length=int(widths.get(name) or 1), display_format=fmt))
        else:
            values = pd.to_numeric(series, errors="coerce").astype("float64")
            columns[name] = values
            variables.append(Variable(name=name, label=labels.get(name) or "", data_type=_numeric_type(values),
                                      display_format=fmt))
    data = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    dataset = Dataset(name=meta.table_name or source.stem.upper(), label=meta.file_label or "",
                      variables=variables, records=len(data))
    return data, dataset


def _display_format(raw: str | None) -> str | None:
    """pyreadstat gives ``DATE9``/``8.2``/``$200``; the metadata form always has the period."""
    if not raw:
        return None
    return raw if "." in raw else f"{raw}."


def _numeric_type(values: pd.Series) -> str:
    arr = values.to_numpy(dtype="float64")
    present = arr[~np.isnan(arr)]
    return "integer" if len(present) and bool(np.all(present == np.floor(present))) else "float"
