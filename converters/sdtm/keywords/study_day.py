"""``study_day``: --DY from a built date variable and DM.RFSTDTC (no day 0; blank for partial dates)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.sdtm.builder import TimingFill
from converters.sdtm.dates import date_part
from converters.sdtm.study_day import derive_study_day, study_days
from converters.spec.loader import _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import VariableOptions
from converters.spec.yaml_lines import LineDict


class StudyDayOptions(VariableOptions):
    study_day: str


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    spec.target_refs = r.names(node["study_day"], f"{spec.name}: study_day", spec.place.line)[:1]


def fill(frame: pd.DataFrame, var: VariableSpec, context: TimingFill) -> pd.Series:
    """``derive_study_day`` with the date read once per domain and RFSTDTC's day once per subject of the batch."""
    days = context.shared_value("rfstdtc_day", lambda: date_part(context.rfstdtc))
    reference = frame["USUBJID"].map(days) if len(days) else None  # (pandas cannot map by an empty date Series)
    if reference is None or reference.dtype.kind != "M":  # no subject has a reference day to map
        return derive_study_day(frame[var.target_refs[0]], frame["USUBJID"].map(context.rfstdtc))
    return study_days(context.days(frame, var.target_refs[0]), reference)


def describe(var: VariableSpec) -> str:
    return (f"{var.name} = date of {var.target_refs[0]} - DM.RFSTDTC + 1 when on or after RFSTDTC, else "
            f"date of {var.target_refs[0]} - DM.RFSTDTC (no day 0); blank when either date is partial.")


STUDY_DAY = register(Algorithm(
    name="study_day", standards=("SDTM",), phase="study", options=StudyDayOptions, fill=fill, origin="Derived",
    summary="--DY from a built date variable and DM.RFSTDTC: no day 0, blank for partial dates.",
    keyword=True, kinds={"study_day": "name"}, read=read, describe=describe))
