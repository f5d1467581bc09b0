"""derive_var_trtemfl: treatment-emergent flag from the event's start/end and the treatment's start/end dates.

As admiral: ``Y`` when the start date is on or after the first dose and (no end of the window, or on or before the
last dose + ``end_window`` days); an event with a missing start date is treatment-emergent when its end is missing
or on or after the first dose. Null otherwise (OCCDS convention: Y or null).
"""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, as_dates, flag_values
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str = "TRTEMFL"
    start_date: str = "ASTDT"
    end_date: str = "AENDT"
    trt_start_date: str = "TRTSDT"
    trt_end_date: str | None = "TRTEDT"
    end_window: int | None = None


def derive_var_trtemfl(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    names = [options.start_date, options.end_date, options.trt_start_date]
    if options.trt_end_date and options.end_window is not None:
        names.append(options.trt_end_date)
    context.require(frame, names, "the dataset")
    start, end = as_dates(frame[options.start_date]), as_dates(frame[options.end_date])
    trt_start = as_dates(frame[options.trt_start_date])
    emergent = trt_start.notna() & (start >= trt_start)
    if options.end_window is not None and options.trt_end_date:
        limit = as_dates(frame[options.trt_end_date]) + pd.Timedelta(days=options.end_window)
        emergent &= limit.isna() | (start <= limit)
    emergent |= trt_start.notna() & start.isna() & (end.isna() | (end >= trt_start))
    frame = working_copy(frame)
    frame[options.new_var] = flag_values(emergent, "Y", None)
    window = (f" and on or before {options.trt_end_date} + {options.end_window} days"
              if options.end_window is not None and options.trt_end_date else "")
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = 'Y' when {options.start_date} is on or after {options.trt_start_date}{window}, or "
        f"when {options.start_date} is missing and {options.end_date} is missing or on or after "
        f"{options.trt_start_date}; else null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_trtemfl", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_trtemfl,
    origin="Derived", summary="Treatment-emergent flag from event and treatment dates with an end window",
    method=("{new_var} = 'Y' when {start_date} is on or after {trt_start_date} and, when an end window is given, "
            "on or before {trt_end_date} + {end_window} days; also when {start_date} is missing and {end_date} is "
            "missing or on or after {trt_start_date}; else null.")))
