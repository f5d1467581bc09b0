"""``assign``: copy a collected value (trimmed; numbers for Num variables), after its text transforms."""
from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import Field

from converters.algorithms.registry import Algorithm, register
from converters.algorithms.transforms import apply_transforms, check_transform
from converters.sdtm.builder import RecordFill, _text, _text_object_ascii
from converters.spec.loader import _plain, _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import Transform, VariableOptions
from converters.spec.yaml_lines import LineDict


class AssignOptions(VariableOptions):
    assign: str = Field(description="the raw column copied")
    transform: Transform | list[Transform] | None = None


def read_transforms(r: _Reader, spec: VariableSpec, node: LineDict) -> None:
    """``transform:`` steps (assign, assign_ct); the columns a ``concatenate`` step reads are read columns too."""
    if "transform" not in node:
        return
    steps = node["transform"] if isinstance(node["transform"], list) else [node["transform"]]
    try:
        spec.transforms = tuple(check_transform(_plain(step)) for step in steps)
    except ValueError as exc:
        raise r.fail(f"{spec.name}: {exc}", node.line_of("transform"),
                     "for example 'transform: [trim, upper, {substring: [1, 3]}]'") from None
    spec.columns += tuple(c for step, arg in spec.transforms if step == "concatenate" for c in arg)


def collected(var: VariableSpec, context: RecordFill) -> pd.Series:
    """The collected text of an assign/assign_ct variable, after its transforms."""
    values = context.resolve(var.columns[0])
    return apply_transforms(values, var.transforms, context.resolve) if var.transforms else values


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    spec.columns = r.names(node["assign"], f"{spec.name}: assign", spec.place.line)[:1]
    read_transforms(r, spec, node)


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    values = collected(var, context)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):  # trimmed text in one pass
        text, ascii_only = _text_object_ascii(values)
        context.text_of = (text, text, ascii_only)
        return text
    return _text(values)


ASSIGN = register(Algorithm(
    name="assign", standards=("SDTM",), phase="record", options=AssignOptions, fill=fill, origin="Collected",
    summary="Copy the raw value (trimmed; numbers for Num variables, non-numbers reported); `transform:` tidies the "
            "text first.", keyword=True, kinds={"assign": "name"}, read=read))
