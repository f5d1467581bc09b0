"""Read a Dataset-JSON file as a reviewer receives it: a wrong value is a finding, not the end of the file.

The project reader (:func:`converters.readers.dataset_json.read_dataset_json`) rejects a whole file for
one number stored as text, which would leave the dataset out and make every other dataset's records
"orphans".  Here each column is checked the way that reader converts it; values it would refuse are
kept aside (:class:`ValueProblem`, reported per value by rule MD0033) and read as missing, so the rest
of the dataset is still validated.  Rows with too few or too many values and a ``records`` count that
differs from the rows held are damage (rule MD0030); the rows are read as far as they go.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import CdiscConvertError, DataError, Location
from converters.metadata.model import Dataset

_TEXT = ("string", "date", "datetime", "time", "URI")
_NUMBER = ("integer", "float", "double", "decimal", "boolean")


@dataclass
class ValueProblem:
    """Values of one column that its declared dataType cannot hold (0-based rows, the values as given)."""

    variable: str
    data_type: str
    rows: np.ndarray
    values: list[object]


@dataclass
class JsonFacts:
    damage: list[str] = field(default_factory=list)
    problems: list[ValueProblem] = field(default_factory=list)


def read_json_file(path: Path) -> tuple[pd.DataFrame, Dataset, JsonFacts]:
    """Frame, metadata and facts of a Dataset-JSON file; DataError only when it is not Dataset-JSON at all."""
    from converters.readers.dataset_json import _build, _load_ndjson

    where = Location(file=str(path))
    try:
        rows: list | None
        if path.suffix.lower() == ".ndjson":
            meta, rows = _load_ndjson(path)
        else:
            with open(path, encoding="utf-8") as handle:
                meta = json.load(handle)
            rows = meta.get("rows", []) if isinstance(meta, dict) else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read Dataset-JSON file: {exc}", where=where,
                        hint="the file is not UTF-8 JSON or is damaged (truncated?)") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("columns"), list) or not isinstance(rows, list):
        raise DataError("not a Dataset-JSON file (no columns/rows)", where=where)
    facts = JsonFacts()
    rows = _whole_rows(rows, len(meta["columns"]), facts)
    records = meta.get("records")
    if records is not None and records != len(rows):
        facts.damage.append(f"'records' states {records:,} rows but the file holds {len(rows):,} (truncated?)")
    meta = {**meta, "records": len(rows)}
    for pos, column in enumerate(meta["columns"]):
        problem, unusable = _wrong_values(column, [row[pos] for row in rows])
        if problem is not None:
            for row in unusable:
                rows[row][pos] = None
            facts.problems.append(problem)
    try:
        frame, dataset = _build(meta, rows, path)
    except CdiscConvertError as exc:
        raise DataError(exc.message, where=Location(file=str(path), dataset=exc.where.dataset,
                                                    variable=exc.where.variable, row=exc.where.row),
                        hint=exc.hint) from exc
    return frame, dataset, facts


def _whole_rows(rows: list, width: int, facts: JsonFacts) -> list:
    """Rows padded or cut to the column count; each such row is damage named by its number."""
    out = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, list) and len(row) == width:
            out.append(row)
            continue
        held = len(row) if isinstance(row, list) else 0
        facts.damage.append(f"row {number} has {held} values, {width} columns expected (read with the rest "
                            "missing or cut)")
        values = list(row)[:width] if isinstance(row, list) else []
        out.append(values + [None] * (width - len(values)))
    return out


def _wrong_values(column: dict, values: list) -> tuple[ValueProblem | None, np.ndarray]:
    """The values of a column that are not of its dataType, and the rows among them that cannot be read
    at all (a number given as text such as "12" is wrong but still read as 12)."""
    data_type = column.get("dataType")
    series = pd.Series(values, dtype=object)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    numeric_date = data_type in ("date", "datetime", "time") and column.get("targetDataType") == "integer"
    present = series.notna()
    if data_type in _TEXT and not numeric_date:
        if inferred in ("string", "empty"):
            return None, np.zeros(0, dtype=np.int64)
        bad = present & ~series.map(lambda v: isinstance(v, str))
        unusable = bad
    elif data_type in _NUMBER:
        if inferred in ("integer", "floating", "mixed-integer-float", "empty") or (
                data_type == "boolean" and inferred == "boolean"):
            return None, np.zeros(0, dtype=np.int64)
        numbers = series.map(lambda v: float(v) if isinstance(v, bool) else v)
        unusable = present & pd.to_numeric(numbers, errors="coerce").isna()
        bad = unusable | series.map(lambda v: isinstance(v, str))
    elif numeric_date:
        unusable = present & ~series.map(lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool))
        unusable |= present & ~unusable & ~_converts(series, str(data_type))
        bad = unusable
    else:
        return None, np.zeros(0, dtype=np.int64)
    if not bad.any():
        return None, np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(bad.to_numpy(dtype=bool))
    problem = ValueProblem(variable=str(column.get("name")), data_type=str(data_type), rows=rows,
                           values=series.iloc[rows].tolist())
    return problem, np.flatnonzero(unusable.to_numpy(dtype=bool))


def _converts(series: pd.Series, kind: str) -> pd.Series:
    """Whether each value (distinct values tried once) turns into a SAS number of ``kind``."""
    from converters.writers.transport import to_sas_numbers

    ok = {}
    for value in pd.unique(series.dropna()):
        try:
            to_sas_numbers(pd.Series([value], dtype=object), kind, "", "")
            ok[value] = True
        except CdiscConvertError:
            ok[value] = False
    return series.map(lambda v: ok.get(v, True) if v is not None else True).astype(bool)
