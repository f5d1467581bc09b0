"""derive_var_merged_exist_flag: Y when the subject has a record in another dataset that meets a condition."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, flag_values
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    new_var: str
    condition: Filter
    true_value: str = "Y"
    false_value: str | None = "N"


def derive_var_merged_exist_flag(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    add = context.dataset(options.dataset_add)
    context.require(add, options.by_vars, options.dataset_add)
    hits = add.loc[evaluate(add, options.condition), options.by_vars].drop_duplicates()
    key = pd.MultiIndex.from_frame(frame[options.by_vars])
    found = key.isin(pd.MultiIndex.from_frame(hits)) if len(hits) else [False] * len(frame)
    frame = working_copy(frame)
    frame[options.new_var] = flag_values(pd.Series(found, index=frame.index), options.true_value,
                                         options.false_value)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = '{options.true_value}' when the subject has a {options.dataset_add.upper()} record "
        f"where {describe(options.condition)}; else "
        f"{repr(options.false_value) if options.false_value is not None else 'null'}."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_merged_exist_flag", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_var_merged_exist_flag, origin="Derived",
    summary="Flag subjects that have a record meeting a condition in another dataset",
    method="{new_var} = '{true_value}' when {dataset_add} has a record where {condition}; else {false_value}."))
