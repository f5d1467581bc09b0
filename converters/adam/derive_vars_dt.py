"""derive_vars_dt: an ISO 8601 --DTC to a numeric date ``<prefix>DT`` with imputation and ``<prefix>DTF``."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.dates import impute_dates
from converters.adam.options import VerbOptions, as_dates, words
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    dtc: str
    new_vars_prefix: str
    highest_imputation: Literal["n", "D", "M", "Y"] = "n"
    date_imputation: Literal["first", "mid", "last"] = "first"
    flag_imputation: Literal["auto", "date", "none"] = "auto"
    min_dates: list[str] = []
    max_dates: list[str] = []
    preserve: bool = False


def derive_vars_dt(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.dtc, *options.min_dates, *options.max_dates], "the dataset")
    dates, flags = impute_dates(frame[options.dtc], options.highest_imputation, options.date_imputation,
                                [as_dates(frame[v]) for v in options.min_dates],
                                [as_dates(frame[v]) for v in options.max_dates], options.preserve)
    frame = working_copy(frame)
    frame[f"{options.new_vars_prefix}DT"] = dates
    context.note(f"{options.new_vars_prefix}DT", "Derived", method=date_method(
        f"{options.new_vars_prefix}DT", options.dtc, options.highest_imputation, options.date_imputation,
        options.min_dates, options.max_dates, f"{options.new_vars_prefix}DTF", options.preserve))
    if options.flag_imputation == "date" or (options.flag_imputation == "auto" and options.highest_imputation != "n"):
        frame[f"{options.new_vars_prefix}DTF"] = flags
        context.note(f"{options.new_vars_prefix}DTF", "Derived", method=(
            f"{options.new_vars_prefix}DTF = 'D' when the day of {options.dtc} was imputed, 'M' when the month (and "
            f"day), 'Y' when the year; null when {options.new_vars_prefix}DT was not imputed."))
    return frame


_PARTS = {"D": "the day", "M": "the month and day", "Y": "the year, month and day", "h": "the time",
          "m": "minutes and seconds", "s": "seconds"}


def date_method(new: str, dtc: str, highest: str, imputation: str, min_dates: list[str], max_dates: list[str],
                flag: str, preserve: bool = False) -> str:
    """Method text of a date derivation, naming only what applies."""
    if highest == "n":
        return f"{new} = {dtc} when it is a complete date; null when partial."
    text = (f"{new} = {dtc}; when partial, {_PARTS.get(highest, highest)} at most is imputed to the "
            f"{imputation} possible value")
    return (text + bounds_text(min_dates, max_dates) + preserve_text(preserve)
            + f"; {flag} holds D, M or Y for the highest part imputed.")


def preserve_text(preserve: bool) -> str:
    """The method text's clause for a part collected after a missing one (``2024---15``)."""
    if preserve:
        return "; a part collected after a missing one (the day of 2024---15) is kept"
    return "; a part collected after a missing one (the day of 2024---15) is imputed too"


def bounds_text(min_dates: list[str], max_dates: list[str]) -> str:
    """The method text's clause for ``min_dates``/``max_dates`` (empty without them)."""
    if min_dates and max_dates:
        return (f", but not before {words(min_dates)} and not after {words(max_dates)}, each only when it falls in "
                f"the possible range ({words(max_dates)} prevailing)")
    if min_dates:
        return f", but not before {words(min_dates)} when that falls in the possible range"
    if max_dates:
        return f", but not after {words(max_dates)} when that falls in the possible range"
    return ""


register(Algorithm(
    subject_local=True,
    name="derive_vars_dt", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_dt,
    origin="Derived", summary="Numeric date from an ISO 8601 --DTC, partial dates imputed, with the --DTF flag",
    method=("{new_vars_prefix}DT is the date part of {dtc}; partial dates imputed up to '{highest_imputation}' "
            "(n none, D day, M month and day) to the {date_imputation} possible date, not before {min_dates} nor "
            "after {max_dates} when those fall in the possible range (the maximum prevailing); {new_vars_prefix}DTF "
            "says which part was imputed.")))
