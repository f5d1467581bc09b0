"""``condition``: if/else cases; the first case whose condition holds gives a literal or a column's value.

A condition that reads ``DOMAIN.VARIABLE`` of another built domain runs once the domains are built
(``converters.sdtm.study``), from built variables only."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.sdtm import conditions
from converters.sdtm.builder import RecordFill
from converters.sdtm.finalize import describe_condition
from converters.spec.loader import _case, _hint, _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import ElseCase, VariableOptions, WhenCase
from converters.spec.yaml_lines import LineDict, LineList
from converters.standards import ct


class ConditionOptions(VariableOptions):
    condition: list[WhenCase | ElseCase]


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at, arg = spec.name, spec.place.line, node["condition"]
    if not isinstance(arg, LineList) or not arg:
        raise r.fail(f"{name}: condition takes a list of cases ('- when: ..., value: ...' and a final "
                     "'- else: ...')", at)
    spec.cases = [_case(r, name, c, arg.line_of(i)) for i, c in enumerate(arg)]
    if spec.codelist:
        cl = ct.codelist(spec.codelist)
        for case in spec.cases:
            if case.column is None and case.value is not None and not cl.extensible \
                    and str(case.value) not in cl.submission_values:
                raise r.fail(f"{name}: {case.value!r} is not a submission value of codelist {cl.name}",
                             case.place.line if case.place else at, _hint(case.value, cl.submission_values))


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    return conditions.apply_cases(var.cases, context.resolve, frame.index)


def describe(var: VariableSpec) -> str:
    """The cases in words: ``AEENRTPT is 'ONGOING' when AEONGO is 'Y'; else None.``"""
    parts = []
    for case in var.cases:
        what = repr(case.value) if case.column is None else f"the value of {case.column}"
        parts.append(f"else {what}" if case.when is None else f"{what} when {describe_condition(case.when)}")
    return f"{var.name} is " + "; ".join(parts) + "."


CONDITION = register(Algorithm(
    name="condition", standards=("SDTM",), phase="record", options=ConditionOptions, fill=fill, origin="Derived",
    summary="If/else: the first case whose condition holds gives a literal (`value`) or a column's value "
            "(`assign`); `else`/`else_assign` when none holds, else null. Conditions may read a variable of "
            "another built domain (`DOMAIN.VARIABLE`); the cases become the method text.",
    keyword=True, read=read, describe=describe,
    kinds={"assign": "name", "else_assign": "name", "value": "scalar", "else": "scalar", "column": "name",
           **{test: "values" for test in ("in", "not_in", "contains")}}))
