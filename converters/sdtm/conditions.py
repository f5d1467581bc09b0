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
    from converters.sdtm.columns import map_unique

    norm = map_unique(values, lambda u: u.astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
                      .str.upper().replace("", pd.NA))
    return norm.astype("string")


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
    column = _key(resolve(condition.column))
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
