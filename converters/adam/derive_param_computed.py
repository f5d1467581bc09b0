"""derive_param_computed: a per-subject parameter as a product/ratio of other parameters, variables and numbers.

``numerator`` and ``denominator`` are lists of factors: a parameter code (its AVAL for the subject), a variable of
the records (its first value for the subject) or a number; AVAL = product(numerator) / product(denominator) x
``multiply`` (e.g. relative dose intensity = TOTDOSE / (NCYC x 3 x DOSE01P) x 100). No expression is evaluated.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.adam.params import append_records, new_records
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    by_vars: list[str] = ["STUDYID", "USUBJID"]
    numerator: list[str | float]
    denominator: list[str | float] = []
    multiply: float = 1.0
    digits: int | None = None
    set_values_to: dict[str, str | float | int]
    keep_vars: list[str] = []


def _factor(frame: pd.DataFrame, by: list[str], item: str | float, keys: pd.DataFrame) -> np.ndarray:
    if isinstance(item, (int, float)):
        return np.full(len(keys), float(item))
    if "PARAMCD" in frame.columns and frame["PARAMCD"].eq(item).any():
        part = frame.loc[frame["PARAMCD"].eq(item), by + ["AVAL"]].drop_duplicates(subset=by)
        values = keys.merge(part, on=by, how="left")["AVAL"]
    elif item in frame.columns:
        part = frame.loc[frame[item].notna(), by + [item]].drop_duplicates(subset=by)
        values = keys.merge(part, on=by, how="left")[item]
    else:
        raise KeyError(item)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def derive_param_computed(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    keys = frame[options.by_vars].drop_duplicates().reset_index(drop=True)
    value = np.full(len(keys), options.multiply)
    for item in options.numerator:
        value = value * _factor(frame, options.by_vars, item, keys)
    for item in options.denominator:
        den = _factor(frame, options.by_vars, item, keys)
        value = np.where(den != 0, value / np.where(den == 0, 1.0, den), np.nan)
    if options.digits is not None:
        value = np.round(value, options.digits)
    records = new_records(frame, options.by_vars, options.keep_vars, options.set_values_to)
    for name in options.set_values_to:
        context.note(name, "Assigned")
    divisor = f" / ({' x '.join(str(d) for d in options.denominator)})" if options.denominator else ""
    context.note_parameter("AVAL", f"{options.set_values_to.get('PARAMCD', '')}: "
                           f"{' x '.join(str(n) for n in options.numerator)}{divisor} x {options.multiply:g}"
                           f"{f', rounded to {options.digits} decimals' if options.digits is not None else ''}.")
    records = records.merge(keys.assign(AVAL=value), on=options.by_vars, how="left")
    return append_records(frame, records[records["AVAL"].notna()])


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_computed", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_param_computed, origin="Derived",
    summary="Per-subject parameter = product of factors / product of factors x a constant (no expressions)",
    method="New parameter {set_values_to}: AVAL = product of {numerator} / product of {denominator} x {multiply} "
           "per {by_vars}; a parameter code stands for its AVAL, a variable for its value."))
