"""derive_var_extreme_dt: the first or last date per subject across several sources (LSTALVDT, first response)."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, Mode, VerbOptions, as_dates
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class DateSource(VerbOptions):
    dataset: str  # an SDTM or ADaM dataset, or the dataset being built (its own name)
    date: str
    filter: Filter | None = None


class Options(VerbOptions):
    new_var: str
    sources: list[DateSource]
    mode: Mode = "last"
    by_vars: list[str] = ["USUBJID"]


def derive_var_extreme_dt(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    parts = []
    for source in options.sources:
        data = frame if source.dataset.upper() == context.dataset_name else context.dataset(source.dataset)
        if source.filter:
            data = data[evaluate(data, source.filter)]
        context.require(data, options.by_vars + [source.date], source.dataset)
        part = data[options.by_vars].copy()
        part["__date__"] = as_dates(data[source.date]).dt.normalize()
        parts.append(part.dropna(subset=["__date__"]))
    dates = pd.concat(parts, ignore_index=True)
    agg = dates.groupby(options.by_vars)["__date__"].agg("min" if options.mode == "first" else "max")
    frame = frame.drop(columns=[options.new_var], errors="ignore").merge(
        agg.rename(options.new_var).reset_index(), on=options.by_vars, how="left")
    listed = "; ".join(f"{s.dataset.upper()}.{s.date} where {describe(s.filter)}" for s in options.sources)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = the {'earliest' if options.mode == 'first' else 'latest'} complete date per "
        f"{', '.join(options.by_vars)} among: {listed}."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_extreme_dt", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_extreme_dt,
    origin="Derived", summary="First or last complete date per subject across several datasets and variables",
    method="{new_var} = the {mode} date among {sources}."))
