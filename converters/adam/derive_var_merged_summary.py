"""derive_var_merged_summary: a per-subject count, sum, minimum or maximum from another dataset (infusions, cycles)."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    filter_add: Filter | None = None
    new_var: str
    analysis_var: str | None = None
    summary_fun: Literal["count", "n_distinct", "sum", "min", "max", "mean"] = "count"
    missing_value: float | None = 0


def derive_var_merged_summary(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    add = context.dataset(options.dataset_add)
    if options.filter_add:
        add = add[evaluate(add, options.filter_add)]
    needed = options.by_vars + ([options.analysis_var] if options.analysis_var else [])
    context.require(add, needed, options.dataset_add)
    grouped = add.groupby(options.by_vars, sort=False)
    if options.summary_fun == "count":
        result = grouped.size()
    else:
        values = add[options.analysis_var]
        if options.summary_fun != "n_distinct":
            values = pd.to_numeric(values, errors="coerce")
        result = values.groupby([add[b] for b in options.by_vars], sort=False).agg(
            "nunique" if options.summary_fun == "n_distinct" else options.summary_fun)
    summary = result.rename(options.new_var).astype("float64").reset_index()
    frame = frame.drop(columns=[options.new_var], errors="ignore").merge(summary, on=options.by_vars, how="left")
    if options.missing_value is not None and options.summary_fun in ("count", "n_distinct", "sum"):
        frame[options.new_var] = frame[options.new_var].fillna(float(options.missing_value))
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = {options.summary_fun} of {options.analysis_var or 'records'} in "
        f"{options.dataset_add.upper()} per {', '.join(options.by_vars)} where {describe(options.filter_add)}"
        f"{f'; {options.missing_value:g} when there is none' if options.missing_value is not None else ''}."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_merged_summary", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_var_merged_summary, origin="Derived",
    summary="Per-subject count, distinct count, sum, min, max or mean of another dataset's records",
    method="{new_var} = {summary_fun} of {analysis_var} in {dataset_add} per {by_vars} where {filter_add}."))
