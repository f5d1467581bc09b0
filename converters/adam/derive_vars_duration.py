"""derive_vars_duration: a duration between two dates (TRTDURD, AVAL of time-to-event parameters)."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, as_dates
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy

_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}


class Options(VerbOptions):
    new_var: str
    start_date: str
    end_date: str
    out_unit: Literal["days", "weeks", "months", "years"] = "days"
    add_one: bool = True
    new_var_unit: str | None = None


def derive_vars_duration(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.start_date, options.end_date], "the dataset")
    start = as_dates(frame[options.start_date]).dt.normalize()
    end = as_dates(frame[options.end_date]).dt.normalize()
    days = (end - start).dt.days.astype("float64") + (1.0 if options.add_one else 0.0)
    frame = working_copy(frame)
    value = days / _DAYS[options.out_unit]
    frame[options.new_var] = value if options.out_unit == "days" else np.round(value, 2)
    plus = " + 1" if options.add_one else ""
    unit = {"days": "", "weeks": " / 7", "months": " / 30.4375", "years": " / 365.25"}[options.out_unit]
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = ({options.end_date} - {options.start_date}{plus}){unit} in {options.out_unit}."))
    if options.new_var_unit:
        context.note(options.new_var_unit, "Derived", method=(
            f"{options.new_var_unit} = '{options.out_unit.upper()}' when {options.new_var} is not null."))
        frame[options.new_var_unit] = value.notna().map({True: options.out_unit.upper(), False: None}).astype(object)
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_duration", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_duration,
    origin="Derived", summary="Duration between two dates in days, weeks, months or years",
    method=("{new_var} = ({end_date} - {start_date}) in days, plus 1 when add_one is {add_one}, expressed in "
            "{out_unit} (months = days / 30.4375, years = days / 365.25, rounded to 2 decimals).")))
