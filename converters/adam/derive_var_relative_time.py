"""derive_var_relative_time: elapsed time between two datetimes, not floored (AFRLT, ARRLT of a PK/kinetics BDS).

As admiral's ADPC template does with ``derive_vars_duration(..., floor_in = FALSE, add_one = FALSE)``: the actual
time of each sample relative to a reference (the first dose), in fractional days or hours, negative before the
reference. Datetimes without a time part count from midnight. The unit variable (RRLTU) is set where the time is.
"""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, as_dates
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy

_PER_DAY = {"days": 1.0, "hours": 24.0}


class Options(VerbOptions):
    new_var: str
    start_date: str
    end_date: str
    out_unit: Literal["days", "hours"] = "days"
    digits: int = 4
    new_var_unit: str | None = None


def derive_var_relative_time(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.start_date, options.end_date], "the dataset")
    start = as_dates(frame[options.start_date])
    end = as_dates(frame[options.end_date])
    seconds = (end - start).dt.total_seconds().astype("float64")
    value: pd.Series = (seconds / 86400.0 * _PER_DAY[options.out_unit]).round(options.digits)
    frame = working_copy(frame)
    frame[options.new_var] = value
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = ({options.end_date} - {options.start_date}) in {options.out_unit}, not floored "
        f"(fractional, negative before {options.start_date}), rounded to {options.digits} decimals."))
    if options.new_var_unit:
        frame[options.new_var_unit] = value.notna().map({True: options.out_unit.upper(), False: None}).astype(object)
        context.note(options.new_var_unit, "Derived", method=(
            f"{options.new_var_unit} = '{options.out_unit.upper()}' when {options.new_var} is not null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_relative_time", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_var_relative_time, origin="Derived",
    summary="Elapsed time between two datetimes in fractional days or hours (AFRLT: sample time from first dose)",
    method="{new_var} = ({end_date} - {start_date}) in {out_unit}, not floored, rounded to {digits} decimals."))
