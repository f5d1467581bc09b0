"""A tiny condition language for rules written as data (no eval).

A condition is a tuple: ``("eq", "--STAT", "NOT DONE")``, ``("in", "AEOUT", ("FATAL",))``,
``("filled", "--ORRES")``, ``("blank", "--ORRES")``, ``("lt", "AGE", 0)``,
``("ne", "--PRESP", "Y")``, ``("gt_var", "--STNRLO", "--STNRHI")``,
``("all", c1, c2, ...)``, ``("any", c1, c2, ...)``, ``("not", c)``.
Names may use ``--`` for the dataset's prefix.  A missing variable is blank.
"""
from __future__ import annotations

import pandas as pd

from converters.validate.data import DatasetData

Condition = tuple


def evaluate(cond: Condition, ds: DatasetData) -> pd.Series:
    """Boolean mask of the records of ``ds`` where ``cond`` holds."""
    op = cond[0]
    if op in ("all", "any"):
        masks = [evaluate(c, ds) for c in cond[1:]]
        out = masks[0]
        for m in masks[1:]:
            out = (out & m) if op == "all" else (out | m)
        return out
    if op == "not":
        return ~evaluate(cond[1], ds)
    name = ds.var(cond[1])
    present = name in ds.frame.columns
    false = pd.Series(False, index=ds.frame.index)
    if op == "filled":
        return ds.filled(name) if present else false
    if op == "blank":
        return ~ds.filled(name) if present else ~false
    if not present:
        return ~false if op in ("ne", "notin") else false
    if op == "eq":
        return ds.text(name).eq(str(cond[2]))
    if op == "ne":
        return ds.text(name).ne(str(cond[2]))
    if op == "in":
        return ds.text(name).isin([str(v) for v in cond[2]])
    if op == "notin":
        return ~ds.text(name).isin([str(v) for v in cond[2]])
    if op == "lt":
        return ds.number(name).lt(cond[2])
    if op == "gt_var":
        other = ds.var(cond[2])
        if other not in ds.frame.columns:
            return false
        return ds.number(name).gt(ds.number(other))
    if op == "ne_var_num":  # number of one differs from the number in another (both present)
        other = ds.var(cond[2])
        if other not in ds.frame.columns:
            return false
        a, b = ds.number(name), ds.number(other)
        return a.notna() & b.notna() & ((a - b).abs() > 1e-9 * b.abs().clip(lower=1))
    if op == "numeric":
        return ds.filled(name) & ds.number(name).notna()
    raise ValueError(f"unknown condition operator {op!r}")


def variables_of(cond: Condition) -> list[str]:
    """Variable names a condition mentions, in order, without repeats."""
    out: list[str] = []
    if cond[0] in ("all", "any"):
        for c in cond[1:]:
            out += [v for v in variables_of(c) if v not in out]
    elif cond[0] == "not":
        out = variables_of(cond[1])
    else:
        out = [cond[1]]
        if cond[0] in ("gt_var", "ne_var_num"):
            out.append(cond[2])
    return out
