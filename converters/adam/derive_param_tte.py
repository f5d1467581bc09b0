"""derive_param_tte: a time-to-event parameter (OS, PFS, EFS, DOR) from event and censoring sources.

As admiral: per subject of ``dataset_adsl`` (``subject_filter``) with a start date, the earliest date among the
event sources is the event (CNSR 0); without one, the latest date among the censoring sources is the censoring
(CNSR = the source's ``censor``, 1 by default). Each source names a dataset, a filter, a date variable and the
values it sets (EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR); ``SRCSEQ`` is taken from the source's ``seq_var``.
The start date is an ADSL variable, or the first/last date of a source (DOR: the first response), in which case
subjects without one get no record. AVAL is left to ``derive_vars_duration`` (STARTDT to ADT), as in admiral.
"""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, Mode, VerbOptions, as_dates
from converters.adam.params import append_records
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class TteSource(VerbOptions):
    dataset: str
    date: str
    filter: Filter | None = None
    censor: int = 0
    seq_var: str | None = None
    set_values_to: dict[str, str | float | int] = {}


class StartSource(VerbOptions):
    dataset: str
    date: str
    filter: Filter | None = None
    mode: Mode = "first"


class Options(VerbOptions):
    dataset_adsl: str = "ADSL"
    subject_filter: Filter | None = None
    start_date: str | StartSource = "TRTSDT"
    event_conditions: list[TteSource]
    censor_conditions: list[TteSource]
    set_values_to: dict[str, str | float | int]
    keep_vars: list[str] = ["STUDYID"]


def _candidates(sources: list[TteSource], context: AdamContext, censor_default: int) -> pd.DataFrame:
    parts = []
    for order, source in enumerate(sources):
        data = context.dataset(source.dataset)
        if source.filter:
            data = data[evaluate(data, source.filter)]
        context.require(data, ["USUBJID", source.date] + ([source.seq_var] if source.seq_var else []),
                        source.dataset)
        part = pd.DataFrame({"USUBJID": data["USUBJID"].to_numpy(),
                             "ADT": as_dates(data[source.date]).dt.normalize().to_numpy(),
                             "CNSR": float(source.censor if source.censor or censor_default == 0 else censor_default),
                             "SRCSEQ": pd.to_numeric(data[source.seq_var], errors="coerce").to_numpy()
                             if source.seq_var else float("nan"),
                             "__order__": order})
        for name, value in source.set_values_to.items():
            part[name] = float(value) if isinstance(value, (int, float)) else value
        parts.append(part.dropna(subset=["ADT"]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["USUBJID", "ADT"])


def derive_param_tte(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    adsl = context.dataset(options.dataset_adsl)
    if options.subject_filter:
        adsl = adsl[evaluate(adsl, options.subject_filter)]
    keep = ["USUBJID"] + [v for v in options.keep_vars if v in adsl.columns and v != "USUBJID"]
    if isinstance(options.start_date, str):
        context.require(adsl, [options.start_date], options.dataset_adsl)
        subjects = adsl[keep].assign(STARTDT=as_dates(adsl[options.start_date]).dt.normalize().to_numpy())
    else:
        src = options.start_date
        data = context.dataset(src.dataset)
        if src.filter:
            data = data[evaluate(data, src.filter)]
        context.require(data, ["USUBJID", src.date], src.dataset)
        dates = as_dates(data[src.date]).dt.normalize().groupby(data["USUBJID"]).agg(
            "min" if src.mode == "first" else "max").rename("STARTDT")
        subjects = adsl[keep].merge(dates.reset_index(), on="USUBJID", how="inner")
    subjects = subjects[subjects["STARTDT"].notna()]
    events = _candidates(options.event_conditions, context, 0)
    events = events[events["USUBJID"].isin(subjects["USUBJID"])]
    events = events.merge(subjects[["USUBJID", "STARTDT"]], on="USUBJID")
    events = events[events["ADT"] >= events["STARTDT"]].drop(columns="STARTDT")
    first_event = events.sort_values(["USUBJID", "ADT", "__order__"], kind="mergesort").drop_duplicates("USUBJID")
    censors = _candidates(options.censor_conditions, context, 1)
    censors = censors[censors["USUBJID"].isin(subjects["USUBJID"]) & ~censors["USUBJID"].isin(first_event["USUBJID"])]
    last_censor = censors.sort_values(["USUBJID", "ADT", "__order__"], ascending=[True, False, True],
                                      kind="mergesort").drop_duplicates("USUBJID")
    chosen = pd.concat([first_event, last_censor], ignore_index=True).drop(columns="__order__")
    records = subjects.merge(chosen, on="USUBJID", how="inner")
    for name, value in options.set_values_to.items():
        records[name] = float(value) if isinstance(value, (int, float)) else value
    code = options.set_values_to.get("PARAMCD", "")
    for name in ("STARTDT", "ADT", "CNSR"):
        context.note_parameter(name, f"{code}: {_method(options)}")
    context.note_parameter("SRCSEQ", f"{code}: the sequence number of the source record of ADT, when it has one.")
    for name in keep:
        context.note(name, "Predecessor", predecessor=f"{options.dataset_adsl.upper()}.{name}")
    for name in {*options.set_values_to, *(k for s in [*options.event_conditions, *options.censor_conditions]
                                           for k in s.set_values_to)}:
        context.note(name, "Assigned")
    return append_records(frame, records.reset_index(drop=True))


def _method(options: Options) -> str:
    start = options.start_date if isinstance(options.start_date, str) else (
        f"the {options.start_date.mode} {options.start_date.dataset}.{options.start_date.date} where "
        f"{describe(options.start_date.filter)}")
    events = "; ".join(f"{s.dataset}.{s.date} where {describe(s.filter)}" for s in options.event_conditions)
    censors = "; ".join(f"{s.dataset}.{s.date} where {describe(s.filter)}" for s in options.censor_conditions)
    return (f"STARTDT = {start}. Event (CNSR = 0) at the earliest on or after STARTDT of: {events}. Otherwise "
            f"censored at the latest of: {censors}.")


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_tte", standards=("ADaM",), phase="dataset", options=Options, fill=derive_param_tte,
    origin="Derived", summary="Time-to-event parameter: first event, else last censoring date, with CNSR",
    method="New parameter {set_values_to} from event sources {event_conditions} and censoring sources "
           "{censor_conditions}, origin {start_date}."))
