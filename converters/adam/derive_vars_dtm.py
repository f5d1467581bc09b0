"""derive_vars_dtm: an ISO 8601 --DTC to a numeric datetime ``<prefix>DTM`` with ``<prefix>DTF``/``<prefix>TMF``."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.dates import impute_datetimes
from converters.adam.derive_vars_dt import bounds_text, preserve_text
from converters.adam.options import VerbOptions, as_dates
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    dtc: str
    new_vars_prefix: str
    highest_imputation: Literal["n", "s", "m", "h", "D", "M", "Y"] = "h"
    date_imputation: Literal["first", "mid", "last"] = "first"
    time_imputation: Literal["first", "last"] = "first"
    flag_imputation: Literal["auto", "both", "date", "time", "none"] = "auto"
    min_dates: list[str] = []
    max_dates: list[str] = []
    preserve: bool = False


def derive_vars_dtm(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.dtc, *options.min_dates, *options.max_dates], "the dataset")
    values, dtf, tmf = impute_datetimes(frame[options.dtc], options.highest_imputation, options.date_imputation,
                                        options.time_imputation, [as_dates(frame[v]) for v in options.min_dates],
                                        [as_dates(frame[v]) for v in options.max_dates], options.preserve)
    frame = working_copy(frame)
    prefix = options.new_vars_prefix
    frame[f"{prefix}DTM"] = values
    if options.highest_imputation == "n":
        text = f"{prefix}DTM = {options.dtc} when it is a complete date and time; null otherwise."
    else:
        text = (f"{prefix}DTM = {options.dtc}; missing parts up to '{options.highest_imputation}' are imputed "
                f"(dates to the {options.date_imputation} possible day, times to the {options.time_imputation} "
                f"second of the missing part){bounds_text(options.min_dates, options.max_dates)}"
                f"{preserve_text(options.preserve)}; {prefix}TMF holds "
                "H, M or S for the highest time part imputed.")
    context.note(f"{prefix}DTM", "Derived", method=text)
    flag = options.flag_imputation
    if flag in ("both", "date") or (flag == "auto" and options.highest_imputation in ("D", "M", "Y")):
        frame[f"{prefix}DTF"] = dtf
        context.note(f"{prefix}DTF", "Derived", method=(
            f"{prefix}DTF = 'D', 'M' or 'Y' for the highest date part of {options.dtc} imputed; null when none."))
    if flag in ("both", "time") or (flag == "auto" and options.highest_imputation != "n"):
        frame[f"{prefix}TMF"] = tmf
        context.note(f"{prefix}TMF", "Derived", method=(
            f"{prefix}TMF = 'H', 'M' or 'S' for the highest time part of {options.dtc} imputed (hours, minutes, "
            "seconds); null when none."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_dtm", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_dtm,
    origin="Derived", summary="Numeric datetime from an ISO 8601 --DTC with imputation and --DTF/--TMF flags",
    method=("{new_vars_prefix}DTM is {dtc} as a datetime; missing parts imputed up to '{highest_imputation}' "
            "(dates to the {date_imputation} possible day, times to the {time_imputation} second); "
            "{new_vars_prefix}DTF/{new_vars_prefix}TMF say which date or time part was imputed.")))
