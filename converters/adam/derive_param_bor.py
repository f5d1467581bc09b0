"""derive_param_bor: best overall response per subject, optionally confirmed, with a minimum duration for SD.

Works for RECIST 1.1 and ELN 2022 alike: the response values and their order come from the spec.

- ``source_filter`` picks the per-assessment records (e.g. ``{PARAMCD: OVR, ANL01FL: Y}``); ``end_at`` responses
  (PD, relapse) end the assessments that count (later ones are ignored);
- ``minimum_duration``: responses in ``values`` (SD, NON-CR/NON-PD) count only when the assessment is at least
  ``days`` after ``reference_date`` (RECIST: SD at least 42 days after the first dose); earlier ones count as
  ``fallback`` (NE);
- ``confirmation``: a response in ``confirm`` (CR, PR) counts only when a later assessment at least
  ``interval_days`` on is one of its confirming values, with at most ``max_ne_between`` NE and nothing outside
  ``allowed_between`` in between; an unconfirmed response counts as ``unconfirmed_as`` (SD, subject to the
  minimum duration);
- the best response by ``hierarchy`` (best first) is the subject's AVALC, ADT its first date; subjects of
  ``dataset_adsl`` (``subject_filter``) with no counted assessment get ``missing_value``.
"""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, as_dates
from converters.adam.params import append_records
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class MinimumDuration(VerbOptions):
    values: list[str]
    days: int
    fallback: str = "NE"


class Confirmation(VerbOptions):
    confirm: dict[str, list[str]]  # response -> responses that confirm it
    interval_days: int = 28
    max_ne_between: int = 1
    ne_value: str = "NE"
    allowed_between: list[str] = []
    unconfirmed_as: str = "SD"


class Options(VerbOptions):
    source_filter: Filter
    hierarchy: list[str]
    reference_date: str = "TRTSDT"
    end_at: list[str] = []
    minimum_duration: MinimumDuration | None = None
    confirmation: Confirmation | None = None
    dataset_adsl: str = "ADSL"
    subject_filter: Filter | None = None
    missing_value: str | None = "NE"
    set_values_to: dict[str, str | float | int]
    keep_vars: list[str] = ["STUDYID"]


def _counted(records: pd.DataFrame, end_at: list[str]) -> pd.DataFrame:
    """Records up to and including each subject's first ``end_at`` response."""
    if not end_at:
        return records
    ended = records["AVALC"].isin(end_at).astype(int)
    before = ended.groupby(records["USUBJID"]).cumsum() - ended
    return records[before.eq(0)]


def _confirmed(records: pd.DataFrame, conf: Confirmation) -> pd.Series:
    """Per record: the confirmed response (or None) by the later assessments of the same subject."""
    rec = records.reset_index(drop=False).rename(columns={"index": "__row__"})
    rec["__pos__"] = rec.groupby("USUBJID").cumcount()
    is_ne = rec["AVALC"].eq(conf.ne_value).astype(int)
    allowed = set(conf.allowed_between) | {conf.ne_value}
    is_other = (~rec["AVALC"].isin(list(allowed))).astype(int)
    rec["__ne__"] = is_ne.groupby(rec["USUBJID"]).cumsum()
    rec["__other__"] = is_other.groupby(rec["USUBJID"]).cumsum()
    first = rec[rec["AVALC"].isin(list(conf.confirm))]
    pairs = first[["USUBJID", "__row__", "__pos__", "AVALC", "__date__", "__ne__", "__other__"]].merge(
        rec[["USUBJID", "__pos__", "AVALC", "__date__", "__ne__", "__other__"]], on="USUBJID", suffixes=("", "_2"))
    pairs = pairs[pairs["__pos___2"] > pairs["__pos__"]]
    # NE and disallowed responses strictly between the two assessments, from the running counts
    ne_between = pairs["__ne___2"] - pairs["AVALC_2"].eq(conf.ne_value).astype(int) - pairs["__ne__"]
    other_between = (pairs["__other___2"] - (~pairs["AVALC_2"].isin(list(allowed))).astype(int)
                     - pairs["__other__"])
    allowed_pairs = {(first_value, second) for first_value, seconds in conf.confirm.items() for second in seconds}
    ok_value = pd.Series(pd.MultiIndex.from_arrays([pairs["AVALC"], pairs["AVALC_2"]]).isin(list(allowed_pairs)),
                         index=pairs.index) if len(pairs) else pd.Series([], dtype=bool)
    ok = (ok_value & (pairs["__date___2"] - pairs["__date__"] >= pd.Timedelta(days=conf.interval_days))
          & (ne_between <= conf.max_ne_between) & (other_between == 0))
    good = pairs.loc[ok, "__row__"].drop_duplicates()
    out = pd.Series(None, index=records.index, dtype=object)
    out.loc[good.to_numpy()] = records.loc[good.to_numpy(), "AVALC"]
    return out


def derive_param_bor(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    source = frame[evaluate(frame, options.source_filter)]
    context.require(source, ["USUBJID", "AVALC", "ADT"], "the assessment records")
    source = source[source["AVALC"].notna() & source["ADT"].notna()].copy()
    source["__date__"] = as_dates(source["ADT"])
    source = source.sort_values(["USUBJID", "__date__"], kind="mergesort")
    source = _counted(source, options.end_at)
    effective = source["AVALC"].astype(object).copy()
    if options.confirmation is not None:
        confirmed = _confirmed(source, options.confirmation)
        needs = source["AVALC"].isin(list(options.confirmation.confirm))
        effective = effective.where(~needs | confirmed.notna(), options.confirmation.unconfirmed_as)
    if options.minimum_duration is not None:
        context.require(source, [options.reference_date], "the assessment records")
        reference = as_dates(source[options.reference_date])
        early = (source["__date__"] - reference) < pd.Timedelta(days=options.minimum_duration.days)
        effective = effective.where(~(effective.isin(options.minimum_duration.values) & early.fillna(True)),
                                    options.minimum_duration.fallback)
    rank = {value: i for i, value in enumerate(options.hierarchy)}
    source["__eff__"] = effective
    source["__rank__"] = effective.map(rank).fillna(len(rank)).astype(int)
    best = source.sort_values(["USUBJID", "__rank__", "__date__"], kind="mergesort").drop_duplicates("USUBJID")
    adsl = context.dataset(options.dataset_adsl)
    if options.subject_filter:
        adsl = adsl[evaluate(adsl, options.subject_filter)]
    subjects = adsl[["USUBJID"] + [v for v in options.keep_vars if v in adsl.columns and v != "USUBJID"]]
    records = subjects.merge(best[["USUBJID", "__eff__", "__date__"]], on="USUBJID", how="left")
    records["AVALC"] = records.pop("__eff__").astype(object)
    records["ADT"] = records.pop("__date__")
    if options.missing_value is None:
        records = records[records["AVALC"].notna()]
    else:
        records["AVALC"] = records["AVALC"].where(records["AVALC"].notna(), options.missing_value)
    for name, value in options.set_values_to.items():
        records[name] = float(value) if isinstance(value, (int, float)) else value
        context.note(name, "Assigned")
    for name in subjects.columns:
        if name not in frame.columns:
            context.note(name, "Predecessor", predecessor=f"{options.dataset_adsl.upper()}.{name}")
    context.note_parameter("AVALC", _method(options))
    context.note_parameter("ADT", f"{options.set_values_to.get('PARAMCD', '')}: the first date of the best response.")
    return append_records(frame, records.reset_index(drop=True))


def _method(options: Options) -> str:
    text = (f"{options.set_values_to.get('PARAMCD', '')}: the best response by the order "
            f"{', '.join(options.hierarchy)} among records where {describe(options.source_filter)}")
    if options.end_at:
        text += f", up to the first {' or '.join(options.end_at)}"
    if options.confirmation is not None:
        c = options.confirmation
        confirm = "; ".join(f"{k} by a later {' or '.join(v)}" for k, v in c.confirm.items())
        text += (f"; responses count only when confirmed ({confirm}) at least {c.interval_days} days later with at "
                 f"most {c.max_ne_between} {c.ne_value} between, else as {c.unconfirmed_as}")
    if options.minimum_duration is not None:
        m = options.minimum_duration
        text += (f"; {' or '.join(m.values)} counts only at least {m.days} days after {options.reference_date}, "
                 f"else as {m.fallback}")
    return text + (f"; subjects without an assessment get {options.missing_value}." if options.missing_value
                   else ".")


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_bor", standards=("ADaM",), phase="dataset", options=Options, fill=derive_param_bor,
    origin="Derived",
    summary="Best overall response per subject by a hierarchy, with optional confirmation and minimum SD duration",
    method=("New parameter {set_values_to}: the best response by the order {hierarchy} among records where "
            "{source_filter} up to the first of {end_at}; confirmation {confirmation}; minimum duration "
            "{minimum_duration} after {reference_date}; ADT is the first date of the best response; subjects "
            "without a counted assessment get {missing_value}.")))
