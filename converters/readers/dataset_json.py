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
from collections.abc import Callable
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
    if not source.is_file():
        raise DataError("Dataset-JSON file not found", where=Location(file=str(source)), hint="check the path")
    meta, rows = load_dataset_json(source)
    try:
        check_columns_meta(meta["columns"], source)
        return _build(meta, rows, source)
    except CdiscConvertError as exc:
        exc.where.file = str(source)
        raise DataError(exc.message, where=exc.where, hint=exc.hint) from exc


class JsonConstant:
    """``NaN``, ``Infinity`` or ``-Infinity`` as a file wrote it, kept by a lenient read (they are not JSON
    numbers): the validator reports where they stand and reads them as missing."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


def load_dataset_json(source: Path, *, constants: list[JsonConstant] | None = None) -> tuple[dict, list]:
    """The parsed header and rows of a Dataset-JSON file (``.json`` or ``.ndjson``), checked strictly as JSON
    (see :func:`parse_json`); given a ``constants`` list, NaN/Infinity are read as :class:`JsonConstant` (each
    also added to the list) instead of refusing the file.  DataError naming the file (and line) when it is not
    Dataset-JSON."""
    where = Location(file=str(source))
    rows: list | None
    try:
        if source.suffix.lower() == ".ndjson":
            meta, rows = _load_ndjson(source, constants=constants)
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
            meta = parse_json(text, source, constants=constants)
            rows = meta.get("rows", []) if isinstance(meta, dict) else None
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot read Dataset-JSON file: not UTF-8 ({exc.reason} at byte {exc.start})", where=where,
                        hint="Dataset-JSON is UTF-8 text; the file is damaged or in another encoding") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read Dataset-JSON file: {exc}", where=where,
                        hint="the file is not UTF-8 JSON or is damaged") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("columns"), list) or not isinstance(rows, list):
        raise DataError("not a Dataset-JSON file (no columns/rows)", where=where)
    return meta, rows


def _load_ndjson(source: Path, *, constants: list[JsonConstant] | None = None) -> tuple[dict, list]:
    with open(source, encoding="utf-8") as fh:
        text = fh.read()
    if not text.strip():
        raise json.JSONDecodeError("empty file", "", 0)
    first, _, rest = text.lstrip().partition("\n")
    meta = parse_json(first, source, constants=constants)
    rows = parse_json("[" + ",".join(line for line in rest.splitlines() if line.strip()) + "]", source,
                      line_offset=text[:len(text) - len(text.lstrip())].count("\n") + 1, ndjson=True,
                      constants=constants)
    return meta, rows


#: Deepest nesting a Dataset-JSON file needs is 3 (file > rows > row; file > columns > column); this leaves room.
MAX_JSON_DEPTH = 32


def parse_json(text: str, source: Path, *, line_offset: int = 0, ndjson: bool = False,
               constants: list[JsonConstant] | None = None):
    """Parse JSON text strictly: no ``NaN``/``Infinity`` (kept as :class:`JsonConstant` and listed in ``constants``
    when that list is given),
    no duplicate key in an object, no nesting deeper than Python's parser allows (named as deeper than
    MAX_JSON_DEPTH, with the line); DataError naming the line.

    Numbers beyond a double (``1e400``, ``10**400``) are refused per column in :func:`_column`, with the row."""
    def where(token: str) -> Location:
        pos = text.find(token)
        line = text.count("\n", 0, pos) + 1 if pos >= 0 else None
        if ndjson and line is not None:
            line = None  # one row per line: the row number is in the message instead
        return Location(file=str(source), line=line + line_offset if line else None)

    def refuse_constant(token: str):
        raise DataError(f"{token} is not a JSON number (Dataset-JSON has no NaN or infinite values)", where(token),
                        hint="write a missing value as null")

    def keep_constant(token: str) -> JsonConstant:
        assert constants is not None
        constants.append(JsonConstant(token))
        return constants[-1]

    def unique_keys(pairs: list[tuple[str, object]]) -> dict:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            dupe = next(k for i, k in enumerate(keys) if k in keys[:i])
            raise DataError(f"key {dupe!r} appears twice in one JSON object", where(f'"{dupe}"'),
                            hint="each object key must be unique")
        return dict(pairs)

    try:
        return json.loads(text, parse_constant=refuse_constant if constants is None else keep_constant,
                          object_pairs_hook=unique_keys)
    except RecursionError:
        raise DataError(f"values are nested more than {MAX_JSON_DEPTH} levels deep", _deep_location(text, source),
                        hint="Dataset-JSON rows hold plain values; the file is damaged or not Dataset-JSON") from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise DataError(f"cannot read the number: {exc}", Location(file=str(source)),
                        hint="numbers must fit a 64-bit float") from None


def _deep_location(text: str, source: Path) -> Location:
    """The line where nesting first passes MAX_JSON_DEPTH (brackets inside strings not counted)."""
    depth, in_string, escaped, line = 0, False, False, 1
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return Location(file=str(source), line=line)
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line += 1
    return Location(file=str(source))


#: Column attributes a reader can do without: a lenient read (``set_aside``) drops a bad one instead of refusing.
_OPTIONAL_WHOLE = ("length", "keySequence", "significantDigits")
_OPTIONAL_TEXT = ("label", "targetDataType", "displayFormat", "itemOID")


def check_columns_meta(columns: list, source: Path,
                       set_aside: Callable[[str], None] | None = None) -> list[dict]:
    """Every column is an object with a unique text name, a text dataType, whole-number length/keySequence/
    significantDigits and text label/targetDataType/displayFormat/itemOID; DataError naming the column.

    With ``set_aside``, a bad optional attribute is told to it (with where and what) and left out of the
    column returned instead of refusing the file; the columns returned are the ones to read."""
    names: dict[str, int] = {}
    checked: list[dict] = []
    for number, column in enumerate(columns, start=1):
        where = Location(file=str(source), column=f"#{number}")
        if not isinstance(column, dict):
            raise DataError(f"column {number} is {type(column).__name__} {str(column)[:40]!r}, not an object "
                            "with name, label, dataType", where, hint="see the Dataset-JSON 1.1 columns definition")
        name = column.get("name")
        if not isinstance(name, str) or not name.strip():
            raise DataError(f"column {number} has no name", where, hint="every column needs a text 'name'")
        where = Location(file=str(source), variable=name)
        if name in names:
            raise DataError(f"column name {name!r} appears twice (columns {names[name]} and {number})", where,
                            hint="column names must be unique")
        names[name] = number
        data_type = column.get("dataType")
        if data_type is not None and not isinstance(data_type, str):
            raise DataError(f"dataType is {data_type!r}, not text", where, hint="write dataType as a JSON string")
        bad: list[tuple[str, str, str]] = []
        for key in _OPTIONAL_WHOLE:
            value = column.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31):
                bad.append((key, f"{key} is {_shown(value)}, not a whole number",
                            f"write {key} as a JSON integer or leave it out"))
        for key in _OPTIONAL_TEXT:
            value = column.get(key)
            if value is not None and not isinstance(value, str):
                bad.append((key, f"{key} is {_shown(value)}, not text", f"write {key} as a JSON string"))
        if bad and set_aside is None:
            _, message, hint = bad[0]
            raise DataError(message, where, hint=hint)
        for _, message, _ in bad:
            assert set_aside is not None
            set_aside(f"variable {name}: {message} (read as absent)")
        dropped = {key for key, _, _ in bad}
        checked.append({k: v for k, v in column.items() if k not in dropped} if dropped else column)
    return checked


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
            not_text = text.map(lambda v: not isinstance(v, str))
            row = int(np.flatnonzero(not_text.to_numpy(dtype=bool))[0])
            raise DataError(f"{data_type} column holds a non-text value {_shown(text.iloc[row])}",
                            where=Location(dataset=ds, variable=name, row=row + 1))
        return var, pd.Series(text.to_numpy(dtype=object), dtype=object, name=name)
    if data_type in ("integer", "float", "double", "decimal", "boolean"):
        var.data_type = "integer" if data_type in ("integer", "boolean") else "float"
        if data_type == "boolean":
            values = values.map(_number, na_action="ignore")
        try:
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        except (OverflowError, ValueError):  # an integer past a double's range (10**400)
            numbers = pd.Series(np.inf, index=values.index, dtype="float64").where(
                values.map(_too_big, na_action="ignore").fillna(False).astype(bool),
                pd.to_numeric(values.map(_finite_or_none, na_action="ignore"), errors="coerce"))
        bad = numbers.isna().to_numpy() & values.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{data_type} column holds {_shown(values.iloc[row])}, which is not a number",
                            where=Location(dataset=ds, variable=name, row=row + 1))
        infinite = np.isinf(numbers.to_numpy())
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0])
            raise DataError(f"{data_type} column holds {_shown(values.iloc[row])}, beyond what a double holds",
                            where=Location(dataset=ds, variable=name, row=row + 1),
                            hint="numbers must fit a 64-bit float (about 1.8e308); Dataset-JSON has no infinity")
        if data_type == "decimal":
            decimals = values.dropna().astype(str).str.partition(".")[2].str.len()
            var.significant_digits = int(decimals.max()) if len(decimals) else 0
        return var, numbers.rename(name)
    raise DataError(f"unknown dataType {data_type!r}", where=Location(dataset=ds, variable=name))


def _shown(value: object, limit: int = 40) -> str:
    """A value as the message shows it: its repr, cut to ``limit`` characters."""
    if isinstance(value, int) and abs(value) >= 10 ** 30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_big(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 1023


def _finite_or_none(value: object) -> object:
    return None if _too_big(value) else value


def _number(value: object) -> object:
    if isinstance(value, bool):
        return float(value)
    return value
