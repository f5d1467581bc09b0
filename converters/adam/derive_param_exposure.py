"""derive_param_exposure: a per-subject exposure parameter aggregated from administration records (ADEX)."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions
from converters.adam.params import append_records, new_records
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    filter: Filter
    by_vars: list[str] = ["STUDYID", "USUBJID"]
    analysis_var: str = "AVAL"
    summary_fun: Literal["count", "n_distinct", "sum", "min", "max", "mean"] = "sum"
    set_values_to: dict[str, str | float | int]
    keep_vars: list[str] = []


def derive_param_exposure(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    source = frame[evaluate(frame, options.filter)]
    context.require(source, options.by_vars + ([options.analysis_var] if options.summary_fun != "count" else []),
                    "the records the filter keeps")
    records = new_records(source, options.by_vars, options.keep_vars, options.set_values_to)
    grouped = source.groupby(options.by_vars, sort=False)
    if options.summary_fun == "count":
        values = grouped.size()
    elif options.summary_fun == "n_distinct":
        values = grouped[options.analysis_var].nunique()
    else:
        values = pd.to_numeric(source[options.analysis_var], errors="coerce").groupby(
            [source[b] for b in options.by_vars], sort=False).agg(options.summary_fun)
    records = records.merge(values.rename("__value__").astype("float64").reset_index(), on=options.by_vars,
                            how="left")
    records["AVAL"] = records.pop("__value__")
    for name in options.set_values_to:
        context.note(name, "Assigned")
    what = "records" if options.summary_fun == "count" else options.analysis_var
    context.note_parameter("AVAL", f"{options.set_values_to.get('PARAMCD', '')}: {options.summary_fun} of {what} "
                           f"per {', '.join(options.by_vars)} over records where {describe(options.filter)}.")
    return append_records(frame, records)


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_exposure", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_param_exposure, origin="Derived",
    summary="Per-subject exposure parameter (count, sum, distinct count ...) over administration records",
    method="New parameter {set_values_to}: AVAL = {summary_fun} of {analysis_var} per {by_vars} over records "
           "where {filter}."))
