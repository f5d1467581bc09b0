"""``hardcode``: the same value on every record, checked against the variable's codelist."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.sdtm.builder import RecordFill
from converters.spec.loader import _hint, _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import VariableOptions
from converters.spec.yaml_lines import LineDict, LineList
from converters.standards import ct


class HardcodeOptions(VariableOptions):
    hardcode: str | int | float


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at, arg = spec.name, spec.place.line, node["hardcode"]
    if isinstance(arg, (LineDict, LineList)):
        raise r.fail(f"{name}: hardcode takes one value", at)
    spec.value = arg
    if spec.codelist and isinstance(arg, str):
        cl = ct.codelist(spec.codelist)
        if arg not in cl.submission_values and not cl.extensible:
            raise r.fail(f"{name}: {arg!r} is not a submission value of codelist {cl.name}", at,
                         _hint(arg, cl.submission_values))


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    values = pd.Series([var.value] * len(frame.index), index=frame.index, dtype="object")
    if isinstance(var.value, str) and len(frame.index):  # its text: one value, trimmed
        text = var.value.strip() or None
        context.text_of = (values, pd.Series([text] * len(frame.index), index=frame.index, dtype="object"),
                           text is None or text.isascii())
    return values


HARDCODE = register(Algorithm(
    name="hardcode", standards=("SDTM",), phase="record", options=HardcodeOptions, fill=fill, origin="Assigned",
    summary="The same value on every record; checked against the codelist.",
    keyword=True, kinds={"hardcode": "value"}, read=read))
