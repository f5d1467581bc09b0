"""derive_vars_dt: an ISO 8601 --DTC to a numeric date ``<prefix>DT`` with imputation and ``<prefix>DTF``."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.dates import impute_dates
from converters.adam.options import VerbOptions, as_dates
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    dtc: str
    new_vars_prefix: str
    highest_imputation: Literal["n", "D", "M", "Y"] = "n"
    date_imputation: Literal["first", "mid", "last"] = "first"
    flag_imputation: Literal["auto", "date", "none"] = "auto"
    min_dates: list[str] = []
    max_dates: list[str] = []


def derive_vars_dt(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.dtc, *options.min_dates, *options.max_dates], "the dataset")
    dates, flags = impute_dates(frame[options.dtc], options.highest_imputation, options.date_imputation,
                                [as_dates(frame[v]) for v in options.min_dates],
                                [as_dates(frame[v]) for v in options.max_dates])
    frame = frame.copy()
    frame[f"{options.new_vars_prefix}DT"] = dates
    if options.flag_imputation == "date" or (options.flag_imputation == "auto" and options.highest_imputation != "n"):
        frame[f"{options.new_vars_prefix}DTF"] = flags
    return frame


register(Algorithm(
    name="derive_vars_dt", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_dt,
    origin="Derived", summary="Numeric date from an ISO 8601 --DTC, partial dates imputed, with the --DTF flag",
    method=("{new_vars_prefix}DT is the date part of {dtc}; partial dates imputed up to '{highest_imputation}' "
            "(n none, D day, M month and day) to the {date_imputation} possible date, not before {min_dates} nor "
            "after {max_dates} when those fall in the possible range; {new_vars_prefix}DTF says which part was "
            "imputed.")))
