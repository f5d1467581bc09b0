"""derive_var_flag: a Y/N (or Y/null) flag from a condition on the record's own variables (CRSFL, DLTEVLFL)."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, flag_values
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str
    condition: Filter
    true_value: str = "Y"
    false_value: str | None = None


def derive_var_flag(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    frame = working_copy(frame)
    frame[options.new_var] = flag_values(evaluate(frame, options.condition), options.true_value, options.false_value)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = '{options.true_value}' when {describe(options.condition)}; "
        f"else {repr(options.false_value) if options.false_value is not None else 'null'}."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_flag", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_flag,
    origin="Derived", summary="Flag records that meet a condition on their own variables",
    method="{new_var} = '{true_value}' when {condition}; else {false_value}."))
