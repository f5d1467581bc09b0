"""Record filters of ADaM specs as data: ``{AVALC: [CR, PR], ADT: {notnull: true}}``, never evaluated text.

A filter is a mapping; every entry must hold (AND). An entry is either

- ``VAR: value`` (equals) or ``VAR: [v1, v2]`` (one of),
- ``VAR: {op: value}`` with ``op`` one of ``eq``, ``ne``, ``in``, ``not_in``, ``lt``, ``le``, ``gt``, ``ge``,
  ``isnull``/``notnull`` (value ``true``), ``contains`` (case-insensitive text),
- ``VAR: {op: {var: OTHER}}`` with ``op`` one of ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``: compared with another
  variable of the same record (``ADTM: {le: {var: TRTSDTM}}``); false where either is null,
- ``any: [filter, ...]`` (OR of filters), ``not: filter``.

Text comparisons are on the stripped value; numbers compare as numbers when the column is numeric.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from converters.adam.columns import blank_mask, per_distinct, stripped_text

OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "isnull", "notnull", "contains")
#: operators that may compare with another variable of the record (``{var: NAME}``)
VAR_OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge")
Where = dict[str, Any]


def check_where(where: Any, what: str = "filter") -> Where:
    """The filter unchanged when well formed; ValueError saying what is wrong (pydantic reports it with the line)."""
    if not isinstance(where, dict) or not where:
        raise ValueError(f"{what} must be a non-empty mapping of variable: value(s)")
    for key, value in where.items():
        if key == "any":
            if not isinstance(value, list) or not value:
                raise ValueError(f"{what}: 'any' takes a list of filters")
            for item in value:
                check_where(item, what)
        elif key == "not":
            check_where(value, what)
        elif isinstance(value, dict):
            for op, ref in value.items():
                if op not in OPERATORS:
                    raise ValueError(f"{what}: {key}: unknown operator {op!r} (known: {', '.join(OPERATORS)})")
                if isinstance(ref, dict) and (op not in VAR_OPERATORS or set(ref) != {"var"}
                                              or not isinstance(ref["var"], str)):
                    raise ValueError(f"{what}: {key}: {op}: compare with another variable as {{var: NAME}}, with "
                                     f"one of {', '.join(VAR_OPERATORS)}")
        elif not isinstance(value, (str, int, float, list)):
            raise ValueError(f"{what}: {key}: give a value, a list of values or {{operator: value}}")
    return where


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise KeyError(name)
    return frame[name]


def _is_null(col: pd.Series) -> pd.Series:
    return pd.Series(blank_mask(col), index=col.index)


def _compare(col: pd.Series, op: str, value: Any) -> pd.Series:
    if op == "isnull":
        return _is_null(col) if value else ~_is_null(col)
    if op == "notnull":
        return ~_is_null(col) if value else _is_null(col)
    numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col)
    values: list[pd.Timestamp] | list[float] | list[str]
    if pd.api.types.is_datetime64_any_dtype(col):
        values = [pd.Timestamp(v) for v in (value if isinstance(value, list) else [value])]
    elif numeric:
        values = [float(v) for v in (value if isinstance(value, list) else [value])]
    else:
        values = [str(v).strip() for v in (value if isinstance(value, list) else [value])]
    if not numeric:
        text = stripped_text(col)
        if op in ("eq", "in"):
            return pd.Series(text.isin(values).to_numpy(dtype=bool), index=col.index)
        if op in ("ne", "not_in"):
            return pd.Series((~text.isin(values) & text.notna()).to_numpy(dtype=bool), index=col.index)
        if op == "contains":
            needle = str(values[0]).upper()
            found = per_distinct(col, lambda u: u.astype(str).str.upper().str.contains(needle, regex=False), False)
            return pd.Series(found.to_numpy(dtype=bool), index=col.index)
        left = text
    else:
        left = col
    if op in ("eq", "in"):
        out = left.isin(values)
    elif op in ("ne", "not_in"):
        out = ~left.isin(values) & ~_is_null(col)
    else:
        ref = values[0]
        out = {"lt": left < ref, "le": left <= ref, "gt": left > ref, "ge": left >= ref}[op]
    return pd.Series(np.asarray(out.fillna(False), dtype=bool), index=col.index)


def _compare_var(col: pd.Series, op: str, other: pd.Series) -> pd.Series:
    """``col op other`` record by record: dates as dates, numbers as numbers, else stripped text; null is false."""
    if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_datetime64_any_dtype(other):
        left, right = pd.to_datetime(col, errors="coerce"), pd.to_datetime(other, errors="coerce")
    elif pd.api.types.is_numeric_dtype(col) and pd.api.types.is_numeric_dtype(other):
        left, right = col, other
    else:
        left, right = stripped_text(col), stripped_text(other)
    both = left.notna() & right.notna()
    out = {"eq": left == right, "ne": left != right, "lt": left < right, "le": left <= right, "gt": left > right,
           "ge": left >= right}[op]
    return pd.Series(np.asarray((out & both).fillna(False), dtype=bool), index=col.index)


def evaluate(frame: pd.DataFrame, where: Where | None) -> pd.Series:
    """Boolean mask of the records of ``frame`` the filter keeps (all records when ``where`` is None)."""
    mask = pd.Series(True, index=frame.index)
    if not where:
        return mask
    for key, value in where.items():
        if key == "any":
            part = pd.Series(False, index=frame.index)
            for item in value:
                part |= evaluate(frame, item)
            mask &= part
        elif key == "not":
            mask &= ~evaluate(frame, value)
        elif isinstance(value, dict):
            col = _column(frame, key)
            for op, ref in value.items():
                if isinstance(ref, dict):
                    mask &= _compare_var(col, op, _column(frame, ref["var"]))
                else:
                    mask &= _compare(col, op, ref)
        else:
            mask &= _compare(_column(frame, key), "in", value)
    return mask


def variables_of(where: Where | None) -> set[str]:
    """The variables a filter reads."""
    out: set[str] = set()
    for key, value in (where or {}).items():
        if key == "any":
            for item in value:
                out |= variables_of(item)
        elif key == "not":
            out |= variables_of(value)
        else:
            out.add(key)
            if isinstance(value, dict):
                out |= {ref["var"] for ref in value.values() if isinstance(ref, dict)}
    return out


def describe(where: Where | None) -> str:
    """The filter in words for method text: ``AVALC is one of 'CR', 'PR'``."""
    if not where:
        return "all records"
    parts = []
    for key, value in where.items():
        if key == "any":
            parts.append("(" + " or ".join(describe(v) for v in value) + ")")
        elif key == "not":
            parts.append(f"not ({describe(value)})")
        elif isinstance(value, dict):
            for op, ref in value.items():
                word = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is not one of", "lt": "<",
                        "le": "<=", "gt": ">", "ge": ">=", "contains": "contains"}.get(op)
                if op in ("isnull", "notnull"):
                    parts.append(f"{key} is {'blank' if (op == 'isnull') == bool(ref) else 'not blank'}")
                elif isinstance(ref, dict):
                    parts.append(f"{key} {word} {ref['var']}")
                else:
                    parts.append(f"{key} {word} {_values(ref)}")
        elif isinstance(value, list):
            parts.append(f"{key} is one of {_values(value)}")
        else:
            parts.append(f"{key} is {_values(value)}")
    return " and ".join(parts)


def _values(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(repr(v) for v in items)
