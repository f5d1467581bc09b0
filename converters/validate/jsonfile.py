"""Read a Dataset-JSON file as a reviewer receives it: a wrong value is a finding, not the end of the file.

The project reader (:func:`converters.readers.dataset_json.read_dataset_json`) rejects a whole file for
one number stored as text, which would leave the dataset out and make every other dataset's records
"orphans".  Here the file goes through the same checks, sorted by what they leave usable:

* the file cannot be used (not UTF-8 JSON, a key twice in one object, nesting past the bound, a column
  that is not an object, has no name, or repeats a name, a dataType that is not text): DataError with the
  project reader's message and location, which the validator reports as the file unreadable (MD0000);
* damage the rows survive (rule MD0030): rows with too few or too many values (one message per row), a
  ``records`` count that differs from the rows held, ``NaN``/``Infinity`` (not JSON numbers) and numbers
  beyond a double (read as missing; one message per column, naming the rows), a column attribute of the
  wrong type (length "8": read as absent);
* values of the wrong type for the column's declared dataType (:class:`ValueProblem`, reported per value
  by rule MD0033): read as missing when they cannot be converted, so the rest of the dataset is validated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import CdiscConvertError, DataError, Location
from converters.metadata.model import Dataset

_TEXT = ("string", "date", "datetime", "time", "URI")
_NUMBER = ("integer", "float", "double", "decimal", "boolean")
#: Rows named in one damage message before "and N more".
_ROWS_SHOWN = 5


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
    """Frame, metadata and facts of a Dataset-JSON file; DataError (with the project reader's message and
    location) only when the file cannot be used at all."""
    from converters.readers.dataset_json import _build, check_columns_meta, load_dataset_json

    facts = JsonFacts()
    constants: list = []
    meta, rows = load_dataset_json(path, constants=constants)
    columns = check_columns_meta(meta["columns"], path, set_aside=facts.damage.append)
    rows = _whole_rows(rows, len(columns), facts)
    records = meta.get("records")
    if records is not None and (isinstance(records, bool) or not isinstance(records, int)):
        facts.damage.append(f"'records' is {records!r}, not a whole number")
    elif records is not None and records != len(rows):
        facts.damage.append(f"'records' states {records:,} rows but the file holds {len(rows):,} (truncated?)")
    meta = {**meta, "columns": columns, "records": len(rows)}
    for pos, column in enumerate(columns):
        values = [row[pos] for row in rows]
        for unusable, what in _unusable_numbers(column, values, bool(constants)):
            facts.damage.append(_rows_named(str(column["name"]), unusable, what))
            for row in unusable:
                rows[row][pos] = None
                values[row] = None
        problem, unreadable = _wrong_values(column, values)
        if problem is not None:
            for row in unreadable:
                rows[row][pos] = None
            facts.problems.append(problem)
    try:
        frame, dataset = _build(meta, rows, path)
    except CdiscConvertError as exc:
        raise DataError(exc.message, where=Location(file=str(path), dataset=exc.where.dataset,
                                                    variable=exc.where.variable, row=exc.where.row),
                        hint=exc.hint) from exc
    return frame, dataset, facts


def _unusable_numbers(column: dict, values: list, constants: bool) -> list[tuple[np.ndarray, str]]:
    """Rows holding ``NaN``/``Infinity`` (any column; looked for only when the file has ``constants``) or, in a
    number column, a number beyond a double; each group with what its first value is, in the project reader's
    words."""
    from converters.readers.dataset_json import JsonConstant, _shown

    series = pd.Series(values, dtype=object)
    data_type = column.get("dataType")
    found = []
    given = np.zeros(len(series), dtype=bool)
    if constants:
        given = series.map(lambda v: isinstance(v, JsonConstant)).to_numpy(dtype=bool)
    if given.any():
        rows = np.flatnonzero(given)
        tokens = list(dict.fromkeys(repr(v) for v in series.iloc[rows]))
        said = f"{tokens[0]} is not a JSON number" if len(tokens) == 1 else f"{', '.join(tokens)} are not JSON numbers"
        found.append((rows, f"{said} (Dataset-JSON has no NaN or infinite values)"))
    if data_type in _NUMBER:
        kept = series.where(~given, None)
        try:
            beyond = np.isinf(pd.to_numeric(kept, errors="coerce").astype("float64").to_numpy())
        except (OverflowError, ValueError, TypeError):  # an integer past a double's range (10**400)
            beyond = kept.map(_beyond_double).to_numpy(dtype=bool)
        if beyond.any():
            rows = np.flatnonzero(beyond)
            found.append((rows, f"{data_type} column holds {_shown(kept.iloc[rows[0]])}, beyond what a double holds"))
    return found


def _beyond_double(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > 2 ** 1023
    return isinstance(value, float) and bool(np.isinf(value))


def _rows_named(variable: str, rows: np.ndarray, what: str) -> str:
    """One damage message for rows of a column: the first rows by number (1-based) and what is wrong."""
    shown = ", ".join(str(r + 1) for r in rows[:_ROWS_SHOWN])
    more = f" and {len(rows) - _ROWS_SHOWN:,} more" if len(rows) > _ROWS_SHOWN else ""
    return f"variable {variable}, {'row' if len(rows) == 1 else 'rows'} {shown}{more}: {what}; read as missing"


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
