"""derive_param_nca: one non-compartmental (NCA) parameter per subject from concentration-time records (ADPP).

The admiral-style ``derive_param_*`` verb for kinetics: from the records of ``dataset_add`` (an ADPC) that
``filter_add`` keeps, one record per ``by_vars`` group with AVAL =

- ``CMAX``: the largest quantifiable concentration (``analysis_var``);
- ``TMAX``: the time (``time_var``) of the first sample at CMAX;
- ``CLST``/``TLST``: the last quantifiable concentration and its time;
- ``AUCINT``: the area under the curve from ``interval[0]`` to ``interval[1]`` by the linear trapezoidal rule
  (CT PKANMET "LINEAR TRAPEZOIDAL METHOD"), on the actual times.

Below the lower limit of quantitation (a record whose ``blq_var`` is ``Y``): never a CMAX, TMAX, CLST or TLST;
for AUCINT set to 0 (``blq: zero``) or left out (``blq: omit``). A sample taken before the start of the interval
(the pre-dose sample, negative time) counts at the start. When no sample is at or after the end of the interval,
AUCINT is not calculable (no record); when the end falls between two samples, the concentration there is
interpolated linearly. A group without a quantifiable sample gets no CMAX, TMAX, CLST or TLST record.
Per subject, so partition-safe.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, words
from converters.adam.params import append_records, new_records
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register

Parameter = Literal["CMAX", "TMAX", "CLST", "TLST", "AUCINT"]


class Options(VerbOptions):
    dataset_add: str
    filter_add: Filter | None = None
    by_vars: list[str] = ["STUDYID", "USUBJID"]
    parameter: Parameter
    analysis_var: str = "AVAL"
    time_var: str = "AFRLT"
    blq_var: str | None = None
    blq: Literal["zero", "omit"] = "zero"
    interval: tuple[float, float] | None = None
    digits: int | None = None
    keep_vars: list[str] = []
    set_values_to: dict[str, str | float | int]

    @model_validator(mode="after")
    def _interval_for_auc(self) -> Options:
        if self.parameter == "AUCINT" and (self.interval is None or self.interval[1] <= self.interval[0]):
            raise ValueError("AUCINT needs 'interval: [start, end]' with start < end (in the unit of time_var)")
        return self


def _samples(data: pd.DataFrame, options: Options) -> pd.DataFrame:
    """By-vars, time, concentration and a BLQ mark per usable sample, in time order per group."""
    conc = pd.to_numeric(data[options.analysis_var], errors="coerce")
    blq = (data[options.blq_var].astype("string") == "Y").fillna(False).to_numpy() if options.blq_var \
        else np.zeros(len(data), dtype=bool)
    out = data[options.by_vars].copy()
    out["__t__"] = pd.to_numeric(data[options.time_var], errors="coerce").to_numpy()
    out["__c__"] = conc.to_numpy()
    out["__blq__"] = blq
    out = out[out["__t__"].notna() & (out["__c__"].notna() | out["__blq__"])]
    return out.sort_values(options.by_vars + ["__t__"], kind="mergesort")


def _extreme(s: pd.DataFrame, options: Options) -> pd.Series:
    q = s[~s["__blq__"] & s["__c__"].notna()]
    g = q.groupby(options.by_vars, sort=False)
    if options.parameter == "CMAX":
        return g["__c__"].max()
    if options.parameter in ("CLST", "TLST"):
        last = q.drop_duplicates(options.by_vars, keep="last").set_index(options.by_vars)
        return last["__c__" if options.parameter == "CLST" else "__t__"]
    top = q.sort_values(options.by_vars + ["__c__", "__t__"], ascending=[True] * len(options.by_vars) + [False, True],
                        kind="mergesort").drop_duplicates(options.by_vars, keep="first")
    return top.set_index(options.by_vars)["__t__"]


def _auc(s: pd.DataFrame, options: Options, start: float, end: float) -> pd.Series:
    """Linear trapezoidal AUC from ``start`` to ``end`` per group (whole-column over adjacent sample pairs)."""
    s = s.assign(__c__=s["__c__"].where(~s["__blq__"], 0.0 if options.blq == "zero" else np.nan))
    s = s[s["__c__"].notna()].assign(__t__=lambda x: x["__t__"].clip(lower=start))
    keys = [s[b] for b in options.by_vars]
    reaches = s.groupby(keys, sort=False)["__t__"].max() >= end
    t1, c1 = s["__t__"], s["__c__"]
    t2 = s.groupby(keys, sort=False)["__t__"].shift(-1)
    c2 = s.groupby(keys, sort=False)["__c__"].shift(-1)
    seg = t2.notna() & (t1 < end)
    hi = np.minimum(t2, end)
    c_hi = c1 + (c2 - c1) * (hi - t1) / (t2 - t1).where(t2 > t1)
    area = ((hi - t1) * (c1 + c_hi.fillna(c1)) / 2).where(seg, 0.0)
    total = area.groupby(keys, sort=False).sum()
    return total[reaches.reindex(total.index).fillna(False).astype(bool)]


def derive_param_nca(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    data = context.dataset(options.dataset_add)
    if options.filter_add:
        data = data[evaluate(data, options.filter_add)]
    context.require(data, options.by_vars + [options.analysis_var, options.time_var]
                    + ([options.blq_var] if options.blq_var else []), options.dataset_add)
    samples = _samples(data, options)
    if options.parameter == "AUCINT":
        start, end = options.interval or (0.0, 0.0)
        values = _auc(samples, options, start, end)
    else:
        values = _extreme(samples, options)
    if options.digits is not None:
        values = values.round(options.digits)
    records = new_records(data, options.by_vars, options.keep_vars, options.set_values_to)
    value_frame = values.rename("AVAL").astype("float64").reset_index()
    value_frame.columns = options.by_vars + ["AVAL"]
    records = records.merge(value_frame, on=options.by_vars, how="inner")
    for name in options.set_values_to:
        context.note(name, "Assigned")
    for name in options.by_vars + [v for v in options.keep_vars if v in data.columns]:
        if name not in context.provenance:  # carried from the concentration records (first verb of the dataset)
            context.note(name, "Predecessor", predecessor=f"{options.dataset_add.upper()}.{name}")
    context.note_parameter("AVAL", f"{options.set_values_to.get('PARAMCD', options.parameter)}: "
                           f"{_words(options)} per {words(options.by_vars)} from {options.dataset_add} records "
                           f"where {describe(options.filter_add)}.")
    return append_records(frame, records)


def _words(options: Options) -> str:
    """The parameter's derivation in words for the Define-XML method."""
    blq = f"records with {options.blq_var} = 'Y' (below LLOQ)" if options.blq_var else "below-LLOQ records"
    a, t = options.analysis_var, options.time_var
    if options.parameter == "AUCINT":
        start, end = options.interval or (0.0, 0.0)
        rule = "set to 0" if options.blq == "zero" else "left out"
        return (f"area under {a} against {t} from {start:g} to {end:g} by the linear trapezoidal method, {blq} "
                f"{rule}, samples before {start:g} counted at {start:g}, {a} at {end:g} interpolated linearly; "
                f"not calculated without a sample at or after {end:g}")
    what = {"CMAX": f"largest {a}", "TMAX": f"{t} of the first sample with the largest {a}",
            "CLST": f"last quantifiable {a}", "TLST": f"{t} of the last quantifiable {a}"}[options.parameter]
    return f"{what} ({blq} excluded)"


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_nca", standards=("ADaM",), phase="dataset", options=Options, fill=derive_param_nca,
    origin="Derived",
    summary="Per-subject NCA parameter (CMAX, TMAX, CLST, TLST, AUCINT by the linear trapezoidal rule) from ADPC",
    method="New parameter {set_values_to}: {parameter} per {by_vars} from {dataset_add} records where {filter_add} "
           "({analysis_var} against {time_var}; below-LLOQ records by {blq_var}: {blq} in AUCINT)."))
