"""derive_vars_dy: relative days (ADY, ASTDY, AENDY) of date variables against a reference date (TRTSDT)."""
from __future__ import annotations

import re

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.dates import study_day
from converters.adam.options import VerbOptions, as_dates
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    reference_date: str = "TRTSDT"
    source_vars: list[str]


def derive_vars_dy(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.reference_date, *options.source_vars], "the dataset")
    frame = working_copy(frame)
    reference = as_dates(frame[options.reference_date])
    for name in options.source_vars:
        target = re.sub(r"DTM?$", "DY", name)
        frame[target] = study_day(as_dates(frame[name]), reference)
        context.note(target, "Derived", method=(
            f"{target} = {name} - {options.reference_date} + 1 when {name} is on or after {options.reference_date}, "
            f"else {name} - {options.reference_date} (no day 0); null when either date is null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_dy", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_dy,
    origin="Derived", summary="Relative day of date variables against a reference date (no day 0)",
    method=("Relative day of each of {source_vars} (suffix DT/DTM replaced by DY) = date - {reference_date} + 1 "
            "when on or after {reference_date}, else date - {reference_date}; null when either date is null.")))
