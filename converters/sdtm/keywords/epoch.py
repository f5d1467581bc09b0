"""``epoch``: EPOCH of the subject's element on a built date (the subject element timeline,
``converters.sdtm.epoch``)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.sdtm.builder import TimingFill
from converters.sdtm.epoch import derive_epoch, timeline_days
from converters.spec.loader import _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import VariableOptions
from converters.spec.yaml_lines import LineDict


class EpochOptions(VariableOptions):
    epoch: str


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    spec.target_refs = r.names(node["epoch"], f"{spec.name}: epoch", spec.place.line)[:1]


def fill(frame: pd.DataFrame, var: VariableSpec, context: TimingFill) -> pd.Series:
    days = context.shared_value("timeline_days", lambda: timeline_days(context.timeline))
    column = var.target_refs[0]
    return derive_epoch(frame[column], frame["USUBJID"], context.timeline, days, context.days(frame, column))


def describe(var: VariableSpec) -> str:
    return (f"EPOCH of the subject's element (SE) that started most recently on or before "
            f"{var.target_refs[0]}; blank for partial dates.")


EPOCH = register(Algorithm(
    name="epoch", standards=("SDTM",), phase="study", options=EpochOptions, fill=fill, origin="Derived",
    summary="EPOCH of the subject's element on that date (study.yaml element_dates and trial_arms).",
    keyword=True, kinds={"epoch": "name"}, read=read, describe=describe))
