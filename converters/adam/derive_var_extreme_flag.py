"""derive_var_extreme_flag: flag the first or last record per group by an order (AOCCFL, worst grade, ANL01FL)."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, Mode, VerbOptions, flag_values, sort_records, words
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str
    by_vars: list[str] = ["USUBJID"]
    order: list[str]
    mode: Mode = "first"
    filter: Filter | None = None
    true_value: str = "Y"
    false_value: str | None = None


def derive_var_extreme_flag(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, options.by_vars + [o.lstrip("-") for o in options.order], "the dataset")
    eligible = evaluate(frame, options.filter)
    keys = list(dict.fromkeys([*options.by_vars, *(o.lstrip("-") for o in options.order)]))
    ordered = sort_records(frame.loc[eligible, keys], options.by_vars, options.order)  # the keys, not every column
    keep: Literal["first", "last"] = "first" if options.mode == "first" else "last"
    chosen = ordered.index[~ordered.duplicated(subset=options.by_vars, keep=keep)]
    frame = working_copy(frame)
    order = words([f"{o[1:]} (descending)" if o.startswith("-") else o for o in options.order])
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = '{options.true_value}' on the {options.mode} record per {words(options.by_vars)} "
        f"ordered by {order} among records where {describe(options.filter)}; else {options.false_value or 'null'}."))
    frame[options.new_var] = flag_values(pd.Series(frame.index.isin(chosen), index=frame.index), options.true_value,
                                         options.false_value)
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_extreme_flag", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_var_extreme_flag, origin="Derived",
    summary="Flag the first or last record per group by an order, among the records a filter keeps",
    method=("{new_var} = '{true_value}' on the {mode} record per {by_vars} ordered by {order} (a leading '-' "
            "sorts descending) among records where {filter}; else {false_value}.")))
