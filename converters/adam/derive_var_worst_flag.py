"""derive_var_worst_flag: flag the worst record per group (admiral's derive_var_worst_flag).

The worst record of each ``by_vars`` group is the one with the highest ``analysis_var`` for the parameters listed in
``worst_high``, the lowest for those in ``worst_low``; parameters in neither list follow ``other`` (``high``,
``low``, or ``none``: not flagged), so a flag such as the worst post-baseline toxicity grade covers every parameter
without listing them. Records with a null ``analysis_var`` or outside ``filter`` are never flagged. Ties go to the
first record by ``order``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, flag_values, sort_records, words
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str
    by_vars: list[str] = ["USUBJID", "PARAMCD"]
    order: list[str] = ["ADT"]
    param_var: str = "PARAMCD"
    analysis_var: str = "AVAL"
    worst_high: list[str] = []
    worst_low: list[str] = []
    other: Literal["high", "low", "none"] = "none"
    filter: Filter | None = None
    true_value: str = "Y"
    false_value: str | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Options:
        overlap = set(self.worst_high) & set(self.worst_low)
        if overlap:
            raise ValueError(f"parameters both in worst_high and worst_low: {', '.join(sorted(overlap))}")
        return self


def derive_var_worst_flag(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """``new_var`` = ``true_value`` on the worst record of each group, else ``false_value``."""
    order_vars = [o.lstrip("-") for o in options.order]
    context.require(frame, [*options.by_vars, *order_vars, options.param_var, options.analysis_var], "the dataset")
    param = frame[options.param_var].astype(object).where(frame[options.param_var].notna(), "").astype(str)
    high = param.isin(options.worst_high).to_numpy(copy=True)
    low = param.isin(options.worst_low).to_numpy(copy=True)
    if options.other == "high":
        high |= ~low
    elif options.other == "low":
        low |= ~high
    value = pd.to_numeric(frame[options.analysis_var], errors="coerce")
    eligible = evaluate(frame, options.filter).to_numpy(dtype=bool) & value.notna().to_numpy() & (high | low)
    # one sort key: larger is worse (the value itself where high is worst, its negative where low is)
    key = pd.Series(np.where(high, value, -value), index=frame.index)
    work = frame.loc[eligible, [*options.by_vars, *order_vars]].copy()
    work["__worst__"] = key[eligible]
    ordered = sort_records(work, options.by_vars, ["-__worst__", *options.order])
    chosen = ordered.index[~ordered.duplicated(subset=options.by_vars, keep="first")]
    frame = working_copy(frame)
    frame[options.new_var] = flag_values(pd.Series(frame.index.isin(chosen), index=frame.index), options.true_value,
                                         options.false_value)
    sides = [f"highest for {options.param_var} in {', '.join(options.worst_high)}" if options.worst_high else "",
             f"lowest for {options.param_var} in {', '.join(options.worst_low)}" if options.worst_low else "",
             {"high": "highest for every other parameter", "low": "lowest for every other parameter",
              "none": ""}[options.other]]
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = '{options.true_value}' on the record with the worst {options.analysis_var} per "
        f"{words(options.by_vars)} ({'; '.join(s for s in sides if s)}) among records where "
        f"{describe(options.filter)} and {options.analysis_var} is not null; ties to the first by "
        f"{words(options.order)}; else {options.false_value or 'null'}."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_worst_flag", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_worst_flag,
    origin="Derived",
    summary="Flag the worst record per group: highest or lowest analysis value by parameter (WORS01FL)",
    method=("{new_var} = '{true_value}' on the record with the worst {analysis_var} per {by_vars} (highest for "
            "{worst_high}, lowest for {worst_low}, {other} for other parameters) among records where {filter}; "
            "ties to the first by {order}; else {false_value}.")))
