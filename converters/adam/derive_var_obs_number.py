"""derive_var_obs_number: sequence number (ASEQ) per group in an order."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, sort_records, words
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    new_var: str = "ASEQ"
    by_vars: list[str] = ["USUBJID"]
    order: list[str] = []


def derive_var_obs_number(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, options.by_vars + [o.lstrip("-") for o in options.order], "the dataset")
    ordered = sort_records(frame, options.by_vars, options.order)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} numbers the records 1, 2, ... within {words(options.by_vars)}"
        f"{' ordered by ' + words(options.order) if options.order else ''}."))
    ordered = ordered.assign(**{options.new_var: ordered.groupby(options.by_vars, sort=False).cumcount() + 1.0})
    return ordered.reset_index(drop=True)


register(Algorithm(
    subject_local=True, record_order="sorted",
    name="derive_var_obs_number", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_obs_number,
    origin="Derived", summary="Sequence number per group in an order (ASEQ); also sorts the dataset",
    method="{new_var} numbers the records 1, 2, ... within {by_vars} in the order {order}."))
