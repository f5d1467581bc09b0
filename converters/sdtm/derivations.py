"""Named derivations (the ``derive`` algorithm): a registry of small Python functions, never eval.

A spec says ``{derive: first_exposure, args: {...}}``; the name is looked up
here.  Each derivation declares its phase:

* ``row``: runs per record block with the block's raw columns and the values
  built so far (``RowContext``);
* ``domain``: runs after every domain's records are built and subjects are
  checked, with all built domains at hand (``DomainContext``), e.g. DM's
  reference dates from EX and DS.

Each derivation returns a Series aligned on the frame it was given and carries
the method text Define-XML shows for the variable.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pydantic import BaseModel

from converters.algorithms.arguments import ARGUMENT_KINDS, KIND_TYPES, options_model  # noqa: F401
from converters.algorithms.registry import Algorithm, derivations, register
from converters.errors import DataError, Location, SpecError
from converters.sdtm.columns import distinct_text, take, trimmed
from converters.sdtm.dates import date_part
from converters.spec.study import pattern_fields


@dataclass
class RowContext:
    raw: pd.DataFrame  # the block's raw columns (text), with __row__
    out: pd.DataFrame  # target variables built so far
    study: Any  # converters.spec.study.StudyDefinition
    resolve: Callable[[str], pd.Series]  # raw column or built variable by name
    reasons: dict[str, pd.Series] = field(default_factory=dict)  # variable -> why it is null on purpose


@dataclass
class DomainContext:
    frame: pd.DataFrame  # the domain being derived
    domains: dict[str, pd.DataFrame]  # every built domain by name (after subject checks)
    study: Any
    raw: dict = field(default_factory=dict)  # raw sources by form name


@dataclass(frozen=True)
class Derivation:
    """The engine's view of one named derivation: ``fn(context, **args)`` and its arguments."""

    name: str
    phase: str  # row or domain
    fn: Callable[..., pd.Series]
    description: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> set[str]:
        return set(self.required) | set(self.optional)


#: Registry phase of each derivation phase: row-level ones run per record block, domain-level ones read the
#: other built domains (the registry's ``study`` phase).
PHASE_OF = {"row": "record", "domain": "study"}


class _Registered(Mapping):
    """Name -> Derivation for every SDTM algorithm of the shared registry used through ``derive``.

    Those declared here with ``@derivation`` keep their function; one registered directly in
    ``converters.algorithms`` (a new algorithm in one module) is called through its ``fill``.
    """

    def __init__(self) -> None:
        self.declared: dict[str, Derivation] = {}

    def _entries(self) -> dict[str, Algorithm]:
        return derivations("SDTM")

    def __getitem__(self, name: str) -> Derivation:
        entry = self._entries()[name]
        if name in self.declared and self.declared[name].fn is getattr(entry.fill, "__wrapped__", None):
            return self.declared[name]
        fields = entry.options.model_fields
        required = tuple(f.alias or n for n, f in fields.items() if f.is_required())
        optional = tuple(f.alias or n for n, f in fields.items() if not f.is_required())

        def call(ctx: Any, **args: Any) -> pd.Series:
            frame = ctx.raw if isinstance(ctx, RowContext) else ctx.frame
            return entry.fill(frame, entry.options.model_validate(args), ctx)

        return Derivation(name, "row" if entry.phase == "record" else "domain", call, entry.summary, required,
                          optional)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())


REGISTRY = _Registered()


def derivation(name: str, phase: str, description: str, required=(), optional=(), reads: dict[str, str] | None = None,
               columns: Callable[[Mapping[str, Any], Any], list[str]] | None = None):
    """Register ``fn`` as derivation ``name`` (decorator): one entry in the shared algorithm registry (``reads`` and
    ``columns``: what its arguments name, see ``converters.algorithms.registry.Algorithm``)."""
    def add(fn):
        required_, optional_ = tuple(required), tuple(optional)
        model = options_model(name, required_, optional_)

        def fill(frame: pd.DataFrame, options: BaseModel, context: Any) -> pd.Series:
            return fn(context, **options.model_dump(by_alias=True, exclude_none=True))

        fill.__wrapped__ = fn
        REGISTRY.declared[name] = Derivation(name, phase, fn, description, required_, optional_)
        register(Algorithm(name=name, standards=("SDTM",), phase=PHASE_OF[phase], options=model, fill=fill,
                           origin="Derived", summary=description,
                           method=description.replace("{", "{{").replace("}", "}}"), reads=reads or {},
                           columns=columns))
        return fn
    return add


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text, blank as missing (a ``string`` Series), worked out once per distinct value."""
    return trimmed(values)


def _obj(values: pd.Series) -> pd.Series:
    out = values.astype("object")
    return out.where(values.notna(), None)


# ----------------------------------------------------------------------------------------------- row phase
@derivation("usubjid", "row", "USUBJID formed by the study's pattern (study.yaml usubjid.pattern, e.g. "
            "STUDYID-SUBJID) from the record's raw identifiers.", columns=lambda args, study: [] if study is None else
            [text for is_field, text in pattern_fields(study.usubjid_pattern) if is_field and text != "STUDYID"])
def derive_usubjid(ctx: RowContext) -> pd.Series:
    from converters.sdtm.reference_dates import usubjids

    return _obj(usubjids(ctx.study, ctx.raw))


@derivation("concat", "row", "Values of the listed fields joined by a separator (blank fields left out).",
            required=("columns",), optional=("separator",))
def derive_concat(ctx: RowContext, columns: list[str], separator: str = " ") -> pd.Series:
    parts = [_text(ctx.resolve(c)) for c in columns]
    out = pd.Series(pd.NA, index=ctx.raw.index, dtype="string")
    for part in parts:
        out = out.where(part.isna(), out.where(out.isna(), out + separator).fillna("") + part.fillna(""))
    return _obj(out)


@derivation("format", "row", "Text built from a template with raw fields in braces (e.g. 'CYCLE {CYCLE} DAY "
            "{CYDAY}'); blank when any field is blank.", required=("template",),
            columns=lambda args, study: [text for is_field, text in pattern_fields(args["template"]) if is_field]
            if isinstance(args.get("template"), str) else [])
def derive_format(ctx: RowContext, template: str) -> pd.Series:
    from converters.spec.study import pattern_fields

    out = pd.Series("", index=ctx.raw.index, dtype="string")
    for is_field, text in pattern_fields(template):
        out = out + (_text(ctx.resolve(text)) if is_field else text)
    return _obj(out)


@derivation("first_value", "row", "The first non-blank of the listed fields.", required=("columns",))
def derive_first_value(ctx: RowContext, columns: list[str]) -> pd.Series:
    out = pd.Series(pd.NA, index=ctx.raw.index, dtype="string")
    for c in columns:
        out = out.fillna(_text(ctx.resolve(c)))
    return _obj(out)


@derivation("age", "row", "Age in completed years from the birth date to the reference date "
            "(blank when either date is partial).", required=("birth", "reference"))
def derive_age(ctx: RowContext, birth: str, reference: str) -> pd.Series:
    b, r = date_part(ctx.resolve(birth)), date_part(ctx.resolve(reference))
    years = r.dt.year - b.dt.year - ((r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day)))
    return years.astype("float64")


@derivation("arm_name", "row", "Arm description (ARM) looked up from the arm code (ARMCD) in the study's arms.",
            required=("from",))
def derive_arm_name(ctx: RowContext, **kwargs) -> pd.Series:
    codes = _text(ctx.resolve(kwargs["from"]))
    table = {a.armcd: a.arm for a in ctx.study.arms}
    return _obj(codes.map(table, na_action="ignore"))


@derivation("planned_arm", "row", "Planned arm (ARMCD, or ARM with variable: ARM) from the raw columns of "
            "study.yaml arm_assignment (e.g. arm code and dose level) through arms[].raw_codes; blank when every "
            "column is blank (not assigned). A combination no arm lists stops the build with its rows.",
            optional=("variable",))
def derive_planned_arm(ctx: RowContext, variable: str = "ARMCD") -> pd.Series:
    """The planned arm of each record from its arm-assignment columns (whole-column lookup)."""
    from converters.spec.study import arm_key

    study = ctx.study
    if study.arm_assignment is None:
        raise DataError("derive: planned_arm needs 'arm_assignment' in study.yaml", Location(str(study.path)))
    if variable not in ("ARMCD", "ARM"):
        raise DataError(f"derive: planned_arm gives ARMCD or ARM, not {variable!r}", Location(str(study.path)))
    parts = [_text(ctx.resolve(c)) for c in study.arm_assignment.columns]
    blank = pd.concat([p.isna() for p in parts], axis=1).all(axis=1)
    key = parts[0].fillna("")
    for part in parts[1:]:
        key = key + " " + part.fillna("")
    value = {arm_key(code): (a.armcd if variable == "ARMCD" else a.arm) for a in study.arms for code in a.raw_codes}
    out = key.map(value).where(~blank)
    bad = out.isna() & ~blank
    if bad.any():
        rows = ctx.raw["__row__"][bad].tolist()[:5] if "__row__" in ctx.raw else []
        raise DataError(f"arm assignment {sorted(set(key[bad]))[:5]} (columns "
                        f"{', '.join(study.arm_assignment.columns)}) is not a raw code of any arm in study.yaml",
                        Location(study.arm_assignment.form + ".csv", row=rows[0] if rows else None,
                                 column=study.arm_assignment.columns[0]),
                        f"rows {rows}: add the combination to arms[].raw_codes or correct the raw data")
    return _obj(out)


def _choice_columns(args: Mapping[str, Any], study: Any) -> list[str]:
    """The check-box columns ``multiple_choice`` reads: the keys of its ``choices`` (or of the value map it names)."""
    choices = args.get("choices")
    if isinstance(choices, dict):
        return list(choices)
    maps = getattr(study, "value_maps", None)
    if not isinstance(choices, str) or maps is None:
        return []
    if choices not in maps:
        close = difflib.get_close_matches(choices, sorted(maps), n=1)
        raise LookupError(f"study.yaml has no value map {choices!r}", "choices",
                          f"did you mean {close[0]}?" if close else None)
    return list(maps[choices])


def _choices(ctx, choices) -> dict[str, str]:
    if isinstance(choices, str):
        return dict(ctx.study.value_maps[choices])
    return {str(k): str(v) for k, v in choices.items()}


@derivation("multiple_choice", "row", "The single value ticked among check boxes; MULTIPLE when several are ticked "
            "(SDTMIG 3.4 DM assumption for RACE), the individual values going to SUPP-- by 'item'.",
            required=("choices",), optional=("checked", "multiple", "item"), columns=lambda args, study: _choice_columns(args, study))
def derive_multiple_choice(ctx: RowContext, choices, checked: str | Sequence[str] = ("1", "Y"), multiple: str = "MULTIPLE",
                           item: int | None = None) -> pd.Series:
    """Check-box columns (``choices``: column -> value, or a study.yaml value map name) to one value.

    A box counts as ticked when its text is one of ``checked``.  With ``item: n``
    the n-th ticked value (in ``choices`` order) is returned instead, only when
    several boxes are ticked (for SUPPDM RACE1, RACE2 ...).
    """
    table = _choices(ctx, choices)
    ticks = {str(c).upper() for c in ([checked] if isinstance(checked, str) else checked)}
    index = ctx.raw.index
    if not table:
        return pd.Series(None, index=index, dtype="object")
    ticked = np.column_stack([trimmed(ctx.resolve(col), upper=True).isin(ticks).fillna(False).astype(bool)
                              .to_numpy() for col in table])
    names = np.array(list(table.values()), dtype=object)
    count = ticked.sum(axis=1)
    if item is not None:
        rank = np.cumsum(ticked, axis=1)
        hit = ticked & (rank == int(item))
        pick = np.where(hit.any(axis=1), names[hit.argmax(axis=1)], None)
        # numpy stubs: None is a valid (object) choice
        return pd.Series(np.where(count > 1, pick, None), index=index, dtype="object")  # type: ignore[call-overload]
    first = np.where(count >= 1, names[ticked.argmax(axis=1)], None)
    return pd.Series(np.where(count > 1, multiple, first), index=index, dtype="object")


@derivation("number", "row", "The numeric value of a collected field, times 'factor' when given (unit "
            "conversion).", required=("column",), optional=("factor",))
def derive_number(ctx: RowContext, column: str, factor: float = 1) -> pd.Series:
    return (pd.to_numeric(_text(ctx.resolve(column)), errors="coerce").astype("float64") * float(factor))


# -------------------------------------------------------------------------------------------- domain phase
def _domain(ctx: DomainContext, name: str) -> pd.DataFrame:
    return ctx.domains.get(name, pd.DataFrame(columns=["USUBJID"]))


def _filtered(frame: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    """Rows of a built domain where every ``variable: value`` (or ``variable: [values]``) of ``where`` holds."""
    from converters.sdtm.reference_dates import where_mask

    if not where:
        return frame
    return frame[where_mask(frame, where)]


def _per_subject(ctx: DomainContext, dates: pd.DataFrame, how: str) -> pd.Series:
    """The earliest/latest ISO value per subject (compared on the text, which sorts as time for ISO 8601)."""
    dates = dates.dropna(subset=["value"])
    if dates.empty:
        return pd.Series(None, index=ctx.frame.index, dtype="object")
    return _obj(ctx.frame["USUBJID"].map(earliest_or_latest(dates["USUBJID"], dates["value"], how)))


def earliest_or_latest(usubjid: pd.Series, value: pd.Series, how: str) -> pd.Series:
    """Per subject (index) the smallest (``how="first"``) or largest text of ``value`` (no missing values): what
    sorting by subject and text and taking each subject's first or last gives, by ranking the distinct texts
    instead of sorting every record."""
    subjects, names = pd.factorize(usubjid, use_na_sentinel=True)
    codes, texts = distinct_text(value)
    ranks = np.empty(len(texts), dtype=np.int64)
    ranks[sorted(range(len(texts)), key=texts.__getitem__)] = np.arange(len(texts))
    keep = subjects >= 0
    ranked = pd.Series(ranks[codes[keep]]).groupby(subjects[keep], sort=True)
    best = (ranked.min() if how == "first" else ranked.max())
    order = np.argsort(ranks)  # rank -> distinct text
    picked = np.asarray(texts, dtype=object)[order[best.to_numpy()]]
    by_name = pd.Series(picked, index=pd.Index(np.asarray(names, dtype=object)[best.index.to_numpy()], name="USUBJID"),
                        dtype="object")
    return by_name


def _iso_only(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    return text.where(text.str.match(r"^\d{4}").fillna(False).astype(bool))


@derivation("first_date", "domain", "Earliest date/time of the named variables in a domain for the subject, "
            "among records matching 'where'.", required=("domain", "variables"), optional=("where",),
            reads={"domain": "domain", "variables": "variables", "where": "conditions"})
def derive_first_date(ctx: DomainContext, domain: str, variables: list[str], where: dict | None = None) -> pd.Series:
    return _per_subject(ctx, _stack(ctx, domain, variables, where), "first")


@derivation("last_date", "domain", "Latest date/time of the named variables in a domain for the subject, "
            "among records matching 'where'.", required=("domain", "variables"), optional=("where",),
            reads={"domain": "domain", "variables": "variables", "where": "conditions"})
def derive_last_date(ctx: DomainContext, domain: str, variables: list[str], where: dict | None = None) -> pd.Series:
    return _per_subject(ctx, _stack(ctx, domain, variables, where), "last")


def _stack(ctx: DomainContext, domain: str, variables, where) -> pd.DataFrame:
    frame = _filtered(_domain(ctx, domain), where)
    variables = [variables] if isinstance(variables, str) else list(variables)
    parts = [pd.DataFrame({"USUBJID": frame["USUBJID"], "value": _iso_only(frame[v])})
             for v in variables if v in frame]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["USUBJID", "value"])


@derivation("last_contact", "domain", "Latest full or partial date/time in any --DTC variable of any built "
            "domain for the subject (last known contact).", optional=("domains",), reads={"domains": "domains"})
def derive_last_contact(ctx: DomainContext, domains: list[str] | None = None) -> pd.Series:
    parts = []
    for name, frame in sorted(ctx.domains.items()):
        if domains and name not in domains:
            continue
        for col in frame.columns:
            if col.endswith("DTC") and col != "RFICDTC" and not col.startswith("__"):
                parts.append(pd.DataFrame({"USUBJID": frame["USUBJID"], "value": _iso_only(frame[col])}))
    if not parts:
        return pd.Series(None, index=ctx.frame.index, dtype="object")
    return _per_subject(ctx, pd.concat(parts, ignore_index=True), "last")


#: End-relation values (--ENRF, --ENRTPT; CT STENRF) and outcomes (--OUT; CT OUT) that mark a record's event as
#: still going on: its end date, if any, is not a date the subject was seen.
ONGOING_END = {
    "ENRF": {"ONGOING", "AFTER", "DURING/AFTER"},
    "ENRTPT": {"ONGOING", "AFTER", "DURING/AFTER"},
    "OUT": {"NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING"},
}
#: Domains whose dates are not contact with the subject: DM's own dates (birth, consent, death, reference
#: dates) and the trial-design and relationship datasets.
NOT_CONTACT = frozenset({"DM", "SE", "TA", "TE", "TI", "TS", "TV", "RELREC"})


def _ongoing(frame: pd.DataFrame, domain: str) -> pd.Series:
    """True for records whose event was still going on when last collected (CT STENRF / OUT values)."""
    out = pd.Series(False, index=frame.index)
    for suffix, values in ONGOING_END.items():
        col = domain + suffix
        if col in frame:
            out |= trimmed(frame[col], upper=True).isin(values).fillna(False).astype(bool)
    return out


_FULL_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def contact_dates(domains: dict[str, pd.DataFrame], cutoff: str | None = None) -> pd.DataFrame:
    """Every complete date (USUBJID, date) on which a subject was seen, from the built domains.

    Counted: each record's --DTC (collection: visit, assessment, disposition), --STDTC and --ENDTC, in
    every domain except ``NOT_CONTACT``; not the --ENDTC of an event still ongoing (``ONGOING_END``), not a
    partial date (the day is unknown) and not a date after the data cut-off.
    """
    parts = []
    for name, frame in sorted(domains.items()):
        if name in NOT_CONTACT or name.startswith("SUPP") or "USUBJID" not in frame:
            continue
        ongoing = None
        for col in (f"{name}DTC", f"{name}STDTC", f"{name}ENDTC"):
            if col not in frame:
                continue
            codes, text = distinct_text(frame[col])  # each distinct date cut and checked once
            days = [value.strip()[:10] for value in text]
            day = pd.Series(take(days, codes), index=frame.index, dtype="object")
            keep = pd.Series(np.array([_FULL_DAY.fullmatch(d) is not None for d in days] + [False])[codes],
                             index=frame.index)
            if col.endswith("ENDTC"):
                ongoing = _ongoing(frame, name) if ongoing is None else ongoing
                keep &= ~ongoing
            parts.append(pd.DataFrame({"USUBJID": frame["USUBJID"][keep].astype("object"),
                                       "date": day[keep].astype("object")}))
    if not parts:
        return pd.DataFrame({"USUBJID": pd.Series(dtype="object"), "date": pd.Series(dtype="object")})
    dates = pd.concat(parts, ignore_index=True)
    if cutoff:
        dates = dates[dates["date"] <= cutoff]
    return dates.reset_index(drop=True)


@derivation("participation_end", "domain", "End of participation (last known contact): the subject's date from "
            "the study.yaml date source 'source' (end of study) when the subject has ended; for a subject still "
            "ongoing at the data cut-off, the latest complete date of contact in the collected data (any --DTC, "
            "--STDTC or --ENDTC of a non-DM domain, except end dates of ongoing events and dates after the "
            "cut-off).", optional=("source", "domains"), reads={"domains": "domains"})
def derive_participation_end(ctx: DomainContext, source: str = "study_end",
                             domains: list[str] | None = None) -> pd.Series:
    """RFPENDTC per SDTMIG 3.4 (date/time of last contact), partition-safe by subject."""
    ended = derive_source_date(ctx, source)
    frames = {n: f for n, f in ctx.domains.items() if not domains or n in domains}
    contact = contact_dates(frames, getattr(ctx.study, "data_cutoff", None))
    last = _per_subject(ctx, contact.rename(columns={"date": "value"}), "last")
    return _obj(ended.where(ended.notna(), last))


@derivation("flag_if_present", "domain", "Y when the named variable of the record is not blank, else blank.",
            required=("variable",), optional=("value",), reads={"variable": "record"})
def derive_flag_if_present(ctx: DomainContext, variable: str, value: str = "Y") -> pd.Series:
    present = _text(ctx.frame[variable]).notna() if variable in ctx.frame else pd.Series(False, index=ctx.frame.index)
    # numpy stubs: None is a valid (object) choice
    return pd.Series(np.where(present, value, None), index=ctx.frame.index, dtype="object")  # type: ignore[call-overload]


@derivation("lookup", "domain", "Value of a variable in another built domain for the same subject "
            "(the first matching record by sequence).", required=("domain", "variable"), optional=("where",),
            reads={"domain": "domain", "variable": "variables", "where": "conditions"})
def derive_lookup(ctx: DomainContext, domain: str, variable: str, where: dict | None = None) -> pd.Series:
    frame = _filtered(_domain(ctx, domain), where)
    if variable not in frame or frame.empty:
        return pd.Series(None, index=ctx.frame.index, dtype="object")
    first = frame.dropna(subset=[variable]).drop_duplicates("USUBJID")
    return _obj(ctx.frame["USUBJID"].map(first.set_index("USUBJID")[variable]))


@derivation("source_date", "domain", "The subject's date from a study.yaml date source (e.g. reference_start: the "
            "first CAR-NK infusion; study_end: the end-of-study date).", required=("source",))
def derive_source_date(ctx: DomainContext, source: str) -> pd.Series:
    from converters.sdtm.reference_dates import source_dates

    if source not in ctx.study.sources:  # the spec loader refuses this with the spec line; never blank silently
        raise SpecError(f"derive: the date source {source!r} is not defined in study.yaml",
                        Location(str(ctx.study.path)),
                        f"date sources defined in study.yaml: {', '.join(sorted(ctx.study.sources)) or 'none'}")
    dates = source_dates(ctx.study, ctx.raw, ctx.study.sources[source])
    return _obj(ctx.frame["USUBJID"].map(dates))


@derivation("actual_arm", "domain", "The arm the subject actually received (ACTARMCD, or ACTARM with variable: "
            "ARM), from the subject's first exposure record (by EXSTDTC; among records matching 'filter_add'): the "
            "planned arm when its study.yaml 'treatment' matches that record on 'by_vars', else the first arm whose "
            "treatment matches; blank when no arm matches (ARMNRS UNPLANNED TREATMENT) or the subject has no exposure "
            "record (ARMNRS ASSIGNED, NOT TREATED). When no arm declares a treatment, the planned arm of every "
            "treated subject.",
            required=("variable",), optional=("domain", "by_vars", "filter_add"),
            reads={"variable": "record", "domain": "domain", "by_vars": "variables", "filter_add": "conditions"})
def derive_actual_arm(ctx: DomainContext, variable: str, domain: str = "EX", by_vars: list[str] | None = None,
                      filter_add: dict | None = None) -> pd.Series:
    """ACTARMCD/ACTARM from what was given (SDTMIG 3.4 DM: null, with ARMNRS, when no arm matches)."""
    exposure = _filtered(_domain(ctx, domain), filter_add)
    treated = set(exposure["USUBJID"].dropna())
    arms = [a for a in ctx.study.arms if a.treatment]
    planned_code = _text(ctx.frame["ARMCD"]) if "ARMCD" in ctx.frame else None
    if not arms or planned_code is None:
        return _obj(ctx.frame[variable].where(ctx.frame["USUBJID"].isin(treated)))
    wanted = [v.upper() for v in (by_vars or sorted({k for a in arms for k, _ in a.treatment}))]
    start = f"{domain}STDTC"
    order = [c for c in ("USUBJID", start) if c in exposure]
    first = exposure.sort_values(order, kind="mergesort", na_position="last").drop_duplicates("USUBJID")
    first = first.set_index("USUBJID")
    given = {v: _comparable(first[v]) if v in first else pd.Series(pd.NA, index=first.index, dtype="string")
             for v in wanted}
    subjects = ctx.frame["USUBJID"]
    actual = pd.Series(pd.NA, index=ctx.frame.index, dtype="string")
    matches = {}
    for arm in arms:
        target = {k: _comparable(pd.Series([v]))[0] for k, v in arm.treatment}
        hit = pd.Series(True, index=first.index)
        for v in wanted:
            hit &= given[v].eq(target.get(v, pd.NA)).fillna(False).astype(bool)
        matches[arm.armcd] = subjects.isin(set(hit.index[hit.to_numpy(dtype=bool)]))
    planned_hit = pd.Series(False, index=ctx.frame.index)
    for armcd, hit in matches.items():
        planned_hit |= hit & planned_code.eq(armcd).fillna(False).astype(bool)
    actual = actual.where(~planned_hit, planned_code)
    for armcd, hit in matches.items():  # study.yaml order: the first arm that matches
        actual = actual.where(actual.notna() | ~hit, armcd)
    actual = actual.where(subjects.isin(treated))
    if variable.upper() == "ARMCD":
        return _obj(actual)
    return _obj(actual.map({a.armcd: a.arm for a in ctx.study.arms}, na_action="ignore"))


def _comparable(values: pd.Series) -> pd.Series:
    """Values compared as numbers when they read as numbers (``1e8`` = ``100000000``), else as upper-case text."""
    text = _text(values.astype("string")).str.upper()
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    return text.where(number.isna(), number.map(repr, na_action="ignore").astype("string"))


#: Exposure variables an unplanned arm's description names first (then any other variable the arms' treatments name).
UNPLANNED_ARM_VARIABLES = ("TRT", "DOSE", "DOSU", "DOSFRM", "ROUTE")


@derivation("unplanned_arm", "domain", "ACTARMUD (SDTMIG 3.4 DM): a description of the treatment actually given to a "
            "subject whose treatment no planned arm describes (exposure records, ACTARMCD blank or UNPLAN: ARMNRS "
            "UNPLANNED TREATMENT), from the subject's first exposure record (by --STDTC; among records matching "
            "'filter_add'): the values of 'by_vars' (default: --TRT, --DOSE, --DOSU and whatever else the arms' "
            "study.yaml treatment names) joined by spaces, e.g. 'DRUG X 30 mg'; blank for every other subject.",
            optional=("domain", "by_vars", "filter_add"),
            reads={"domain": "domain", "by_vars": "variables", "filter_add": "conditions"})
def derive_unplanned_arm(ctx: DomainContext, domain: str = "EX", by_vars: list[str] | None = None,
                         filter_add: dict | None = None) -> pd.Series:
    """ACTARMUD for subjects treated outside every planned arm (whole-column: one lookup of first records)."""
    f = ctx.frame
    exposure = _filtered(_domain(ctx, domain), filter_add)
    act = _text(f["ACTARMCD"]) if "ACTARMCD" in f else pd.Series(pd.NA, index=f.index, dtype="string")
    unplanned = f["USUBJID"].isin(set(exposure["USUBJID"].dropna())) & \
        (act.isna() | act.str.upper().isin(("UNPLAN", "UNPLANNED")).fillna(False).astype(bool))
    if by_vars:
        wanted = [v.upper() for v in ([by_vars] if isinstance(by_vars, str) else by_vars)]
    else:
        named = [k.upper() for a in ctx.study.arms if a.treatment for k, _ in a.treatment]
        wanted = [domain + s for s in UNPLANNED_ARM_VARIABLES if domain + s in exposure or domain + s in named]
        wanted += [v for v in dict.fromkeys(named) if v not in wanted]
    wanted = [v for v in wanted if v in exposure]
    if not wanted or not unplanned.any():
        return pd.Series(None, index=f.index, dtype="object")
    order = [c for c in ("USUBJID", f"{domain}STDTC") if c in exposure]
    first = exposure.sort_values(order, kind="mergesort", na_position="last").drop_duplicates("USUBJID")
    first = first.set_index("USUBJID")
    words = pd.Series("", index=first.index, dtype="string")
    for variable in wanted:
        values = first[variable]
        if pd.api.types.is_numeric_dtype(values):  # 30.0 -> '30', 0.5 -> '0.5'
            text = values.map(lambda v: f"{v:g}", na_action="ignore").astype("string")
        else:
            text = _text(values.astype("string"))
        words = (words + " " + text.fillna("")).str.strip()
    description = words.replace("", pd.NA)  # type: ignore[call-overload]  # pandas-stubs: replace() takes pd.NA
    return _obj(f["USUBJID"].map(description).where(unplanned))


@derivation("arm_null_reason", "domain", "ARMNRS: the reason the collected arm gave (a value-map entry {no_value: "
            "reason}), else the 'not_assigned' reason (e.g. SCREEN FAILURE) when ARMCD is blank; when ARMCD is set "
            "but ACTARMCD is blank: UNPLANNED TREATMENT if the subject has exposure records (in 'domain', among "
            "records matching 'filter_add'), else ASSIGNED, NOT TREATED.",
            optional=("not_assigned", "not_treated", "domain", "filter_add"))
def derive_arm_null_reason(ctx: DomainContext, not_assigned: str = "SCREEN FAILURE",
                           not_treated: str = "ASSIGNED, NOT TREATED", domain: str = "EX",
                           filter_add: dict | None = None) -> pd.Series:
    f = ctx.frame
    armcd = _text(f["ARMCD"]) if "ARMCD" in f else pd.Series(pd.NA, index=f.index, dtype="string")
    act = _text(f["ACTARMCD"]) if "ACTARMCD" in f else armcd
    treated = f["USUBJID"].isin(set(_filtered(_domain(ctx, domain), filter_add)["USUBJID"].dropna()))
    unassigned = np.where(treated, "UNPLANNED TREATMENT", not_treated)
    # numpy stubs: None is a valid (object) choice
    out = pd.Series(np.where(armcd.isna(), not_assigned, np.where(act.isna(), unassigned, None)),  # type: ignore[call-overload]
                    index=f.index,
                    dtype="object")
    given = NULL_REASON + "ARMCD"  # the value map's reason for a collected arm that means "no arm"
    if given in f:
        out = out.where(f[given].isna() | armcd.notna(), f[given])
    return out


#: Hidden column prefix: why a variable is null on purpose (value-map entries {no_value: reason}).
NULL_REASON = "__nullreason__"


# findings and exposure derivations live in a module of their own and register here on import
from converters.sdtm import findings as _findings  # noqa: E402,F401
