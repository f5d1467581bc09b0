"""Row conditions for filters and if/else mappings (the ``condition`` algorithm), without eval.

A condition is data: ``{column: X, equals: v}``, ``in``, ``not_equals``,
``not_in``, ``is_null``, ``not_null``, ``contains``, or ``all``/``any``/``not`` of
other conditions.  Text comparisons are case- and space-insensitive, so
``Yes``, ``YES`` and `` yes `` all equal ``yes``.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from converters.spec.model import Case, Condition

Resolver = Callable[[str], pd.Series]


def _key(values: pd.Series) -> pd.Series:
    from converters.sdtm.columns import normalized

    return normalized(values).rename(None)


def _norm(value) -> str:
    return " ".join(str(value).split()).upper()


def evaluate(condition: Condition, resolve: Resolver, index: pd.Index) -> pd.Series:
    """Boolean mask of the rows where ``condition`` holds (nulls never equal anything)."""
    op = condition.op
    if op in ("all", "any"):
        parts = [evaluate(c, resolve, index) for c in condition.children]
        out = pd.Series(op == "all", index=index)
        for part in parts:
            out = (out & part) if op == "all" else (out | part)
        return out
    if op == "not":
        return ~evaluate(condition.children[0], resolve, index)
    if condition.column is None:  # pragma: no cover - the loader gives every comparison a column
        raise ValueError(f"condition {op!r} names no column")
    if op in ORDERING:
        right = resolve(condition.other) if condition.other else pd.Series(condition.values[0], index=index)
        return compare(resolve(condition.column), right, op).reindex(index, fill_value=False)
    column = _key(resolve(condition.column))
    if condition.other and op in ("equals", "not_equals"):
        other = _key(resolve(condition.other))
        same = (column == other).fillna(False).astype(bool)
        out = same if op == "equals" else column.notna() & other.notna() & ~same
        return out.fillna(False).astype(bool).reindex(index, fill_value=False)
    wanted = {_norm(v) for v in condition.values}
    if op == "equals" or op == "in":
        out = column.isin(wanted)
    elif op == "not_equals" or op == "not_in":
        out = column.notna() & ~column.isin(wanted)
    elif op == "is_null":
        out = column.isna()
    elif op == "not_null":
        out = column.notna()
    elif op == "contains":
        out = pd.Series(False, index=index)
        for v in wanted:
            out |= column.str.contains(v, regex=False)
    else:  # pragma: no cover - the loader rejects unknown operators
        raise ValueError(op)
    return out.fillna(False).astype(bool).reindex(index, fill_value=False)


#: Ordering tests: numbers compare as numbers, ISO 8601 dates as dates (at the precision both values have).
ORDERING = {"lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}
_ISO = r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?$"


def compare(left: pd.Series, right: pd.Series, op: str) -> pd.Series:
    """``left op right`` per row: numbers as numbers; ISO 8601 dates/times compared on the precision both have
    (``2025-03`` vs ``2025-03-14`` compares the months, so a partial date is never taken as before or after
    a date inside it); anything else, or a blank, is False."""
    # pandas-stubs: replace() takes pd.NA as the value
    a = left.astype("string").str.strip().replace("", pd.NA)  # type: ignore[call-overload]
    # pandas-stubs: replace() takes pd.NA as the value
    b = right.astype("string").str.strip().replace("", pd.NA).reindex(a.index)  # type: ignore[call-overload]
    x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    numeric = x.notna() & y.notna()
    out = pd.Series(getattr(x, op)(y).where(numeric, False), index=a.index).fillna(False).astype(bool)
    dates = (a.str.match(_ISO) & b.str.match(_ISO)).fillna(False).astype(bool) & ~numeric
    if dates.any():
        width = pd.concat([a.str.len(), b.str.len()], axis=1).min(axis=1).where(dates)
        for n in width.dropna().unique():
            rows = dates & width.eq(n).fillna(False).astype(bool)
            n = int(n)
            verdict = getattr(a[rows].str.slice(0, n), op)(b[rows].str.slice(0, n))
            out[rows] = verdict.fillna(False).to_numpy(dtype=bool)
    return out


def apply_cases(cases: list[Case], resolve: Resolver, index: pd.Index) -> pd.Series:
    """If/else: the first case whose ``when`` holds gives the value (a literal or a column); else null."""
    out = pd.Series(None, index=index, dtype="object")
    decided = pd.Series(False, index=index)
    for case in cases:
        hit = ~decided & (evaluate(case.when, resolve, index) if case.when is not None else True)
        if case.column is not None:
            values = resolve(case.column).astype("object")
            out = out.where(~hit, values)
        else:
            out = out.where(~hit, case.value)
        decided |= hit
    return out.where(out.notna(), None)
