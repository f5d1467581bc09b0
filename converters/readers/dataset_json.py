"""Read CDISC Dataset-JSON 1.1 files (``.json`` or ``.ndjson``) into a transport frame and its metadata.

The frame has the common transport shape (see :mod:`converters.writers.transport`), the same as
:func:`converters.readers.xpt.read_xpt` gives: text with blank for missing, every number as
float64, and numeric dates (``targetDataType`` ``integer`` on a ``date``/``datetime``/``time``
column) turned from ISO 8601 text back into SAS numbers.

Metadata mapping back to Define-XML types: ``string`` -> ``text``; ``date``/``datetime``/``time``
without a target type -> that character type; with ``targetDataType`` ``integer`` -> ``integer``
with the column's ``displayFormat`` (default ``DATE9.``, ``DATETIME20.``, ``TIME8.``);
``integer`` -> ``integer``; ``float``/``double`` -> ``float``; ``decimal`` -> ``float`` with
``significant_digits`` set to the most decimals seen (so writing it again gives ``decimal``);
``boolean`` -> ``integer`` (1/0); ``URI`` -> ``URI``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import CdiscConvertError, DataError, Location
from converters.metadata.model import Dataset, Variable
from converters.writers.transport import to_sas_numbers

DEFAULT_TEMPORAL_FORMATS = {"date": "DATE9.", "datetime": "DATETIME20.", "time": "TIME8."}
_TEXT_TYPES = {"string": "text", "date": "date", "datetime": "datetime", "time": "time", "URI": "URI"}


def read_dataset_json(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, Dataset]:
    """The data and metadata of a Dataset-JSON file; DataError naming the file if it cannot be read."""
    source = Path(path)
    where = Location(file=str(source))
    if not source.is_file():
        raise DataError("Dataset-JSON file not found", where=where, hint="check the path")
    try:
        if source.suffix.lower() == ".ndjson":
            meta, rows = _load_ndjson(source)
        else:
            with open(source, encoding="utf-8") as fh:
                meta = json.load(fh)
            rows = meta.get("rows", []) if isinstance(meta, dict) else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read Dataset-JSON file: {exc}", where=where,
                        hint="the file is not UTF-8 JSON or is damaged") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("columns"), list) or not isinstance(rows, list):
        raise DataError("not a Dataset-JSON file (no columns/rows)", where=where)
    try:
        return _build(meta, rows, source)
    except CdiscConvertError as exc:
        exc.where.file = str(source)
        raise DataError(exc.message, where=exc.where, hint=exc.hint) from exc


def _load_ndjson(source: Path) -> tuple[dict, list]:
    with open(source, encoding="utf-8") as fh:
        lines = [line for line in fh.read().splitlines() if line.strip()]
    if not lines:
        raise json.JSONDecodeError("empty file", "", 0)
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def _build(meta: dict, rows: list, source: Path) -> tuple[pd.DataFrame, Dataset]:
    name = str(meta.get("name") or source.stem.upper())
    columns_meta = meta["columns"]
    width = len(columns_meta)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise DataError(f"row has {len(row) if isinstance(row, list) else 'no'} values, {width} columns expected",
                            where=Location(dataset=name, row=number))
    records = meta.get("records")
    if records is not None and records != len(rows):
        raise DataError(f"records says {records} but the file holds {len(rows)} rows", where=Location(dataset=name),
                        hint="the file may be truncated")
    frame_columns: dict[str, pd.Series] = {}
    variables: list[Variable] = []
    for pos, column in enumerate(columns_meta):
        values = pd.Series([row[pos] for row in rows], dtype=object)
        var, series = _column(column, values, name)
        frame_columns[var.name] = series
        variables.append(var)
    frame = pd.DataFrame(frame_columns, index=pd.RangeIndex(len(rows)))
    keyed = sorted((v.key_sequence, v.name) for v in variables if v.key_sequence is not None)
    dataset = Dataset(name=name, label=str(meta.get("label") or ""), variables=variables,
                      keys=tuple(n for _, n in keyed), records=len(rows))
    return frame, dataset


def _column(column: dict, values: pd.Series, ds: str) -> tuple[Variable, pd.Series]:
    name = str(column.get("name"))
    data_type = column.get("dataType")
    target = column.get("targetDataType")
    fmt = column.get("displayFormat")
    var = Variable(name=name, label=str(column.get("label") or ""), length=column.get("length"),
                   display_format=fmt, key_sequence=column.get("keySequence"))
    if data_type in ("date", "datetime", "time") and target == "integer":
        var.data_type = "integer"
        var.display_format = fmt or DEFAULT_TEMPORAL_FORMATS[data_type]
        # The column's dataType says what the ISO text is, whatever the display format.
        return var, pd.Series(to_sas_numbers(values, data_type, ds, name), dtype="float64", name=name)
    if data_type in _TEXT_TYPES:
        var.data_type = _TEXT_TYPES[data_type]
        text = values.where(values.notna(), "")
        if pd.api.types.infer_dtype(text, skipna=False) not in ("string", "empty"):
            bad = text.map(lambda v: not isinstance(v, str))
            row = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
            raise DataError(f"{data_type} column holds a non-text value {text.iloc[row]!r}",
                            where=Location(dataset=ds, variable=name, row=row + 1))
        return var, pd.Series(text.to_numpy(dtype=object), dtype=object, name=name)
    if data_type in ("integer", "float", "double", "decimal", "boolean"):
        var.data_type = "integer" if data_type in ("integer", "boolean") else "float"
        if data_type == "boolean":
            values = values.map(_number, na_action="ignore")
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = numbers.isna().to_numpy() & values.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{data_type} column holds {values.iloc[row]!r}, which is not a number",
                            where=Location(dataset=ds, variable=name, row=row + 1))
        if data_type == "decimal":
            decimals = values.dropna().astype(str).str.partition(".")[2].str.len()
            var.significant_digits = int(decimals.max()) if len(decimals) else 0
        return var, numbers.rename(name)
    raise DataError(f"unknown dataType {data_type!r}", where=Location(dataset=ds, variable=name))


def _number(value: object) -> object:
    if isinstance(value, bool):
        return float(value)
    return value
