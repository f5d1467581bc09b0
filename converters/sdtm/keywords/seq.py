"""``seq``: --SEQ, 1..n within each ``by`` group in the stated order (nulls last, ties in input order), assigned once
the domain's records are sorted by its keys."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.sdtm.sequence import derive_seq
from converters.spec.loader import _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import Names, VariableOptions, _Strict
from converters.spec.yaml_lines import LineDict


class SeqOrder(_Strict):
    by: Names | None = None
    order: Names | None = None


class SeqOptions(VariableOptions):
    seq: Names | SeqOrder


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at, arg = spec.name, spec.place.line, node["seq"]
    if isinstance(arg, LineDict):
        r.unknown_keys(arg, {"by", "order"}, f"{name}: seq")
        spec.by = tuple(v.upper() for v in r.names(arg.get("by", "USUBJID"), "by", arg.line_of("by")))
        spec.order = tuple(v.upper() for v in r.names(arg.get("order", []) or [], "order",
                                                      arg.line_of("order"))) if arg.get("order") else ()
    else:
        spec.order = tuple(v.upper() for v in r.names(arg, f"{name}: seq", at))
    spec.target_refs = spec.by + spec.order


def fill(frame: pd.DataFrame, var: VariableSpec, context: Any = None) -> pd.Series:
    return derive_seq(frame, var.by, var.order)


def describe(var: VariableSpec) -> str:
    order = ", ".join(var.order) or "record order"
    return f"Sequential number within {', '.join(var.by)}, ordered by {order}."


SEQ = register(Algorithm(
    name="seq", standards=("SDTM",), phase="domain", options=SeqOptions, fill=fill, origin="Derived",
    summary="1..n per subject (`by`, default USUBJID) in the stated `order` (nulls last, ties in input order), "
            "after the records are sorted by the dataset's keys.",
    keyword=True, read=read, describe=describe))
