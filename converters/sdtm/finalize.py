"""Shape a built domain for submission and describe it in the metadata model.

* Req variables must be filled: a record with a blank Req value is dropped and
  logged (it cannot be submitted as it is).
* Variables in SDTMIG 3.4 order; Req and Exp variables always present; Perm
  variables only when they carry data; sponsor-defined variables last.
* Numbers as float64, text as object with None for null.
* Metadata: labels, types, core, role and codelists from SDTMIG; lengths from
  the data; origins and methods from the algorithm that filled each variable.

Lengths and the codelist terms in use are read from the text facts of each column
(:mod:`converters.writers.text_facts`) when the build passes them: each text column is then
measured once per build, on its distinct values, for the metadata, the checks and both writers.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from converters.metadata.model import Codelist, CodelistTerm, Dataset, Method, Origin, ValueLevel, Variable, \
    WhereCondition
from converters.algorithms.registry import algorithm
from converters.sdtm.model_variables import allowed_variables
from converters.sdtm.rejections import DROPPED, RejectionLog
from converters.spec.model import VariableSpec
from converters.standards import ct, sdtmig
from converters.writers.text_facts import TextFacts, remember_codes

from converters.standards.keys import NATURAL_KEYS as DEFAULT_KEYS  # natural keys when the spec names none
from converters.standards.keys import SUPP_KEYS


def byte_length(values: pd.Series, facts: TextFacts | None = None) -> int:
    """Longest value in UTF-8 bytes (at least 1); read from the column's text ``facts`` when given."""
    if facts is not None and facts.records == len(values):
        return max(1, facts.max_bytes)
    uniques = pd.Series(pd.unique(values.dropna()), dtype="object").astype(str)
    if uniques.empty:
        return 1
    encoded = uniques.str.encode("utf-8")
    return max(1, int(encoded.str.len().max()))  # type: ignore[misc]  # pandas-stubs: .str.len() works on bytes


def origin_of(var: VariableSpec) -> Origin:
    """Define-XML origin implied by the algorithm (overridable in the spec)."""
    pages = (var.crf_page,) if var.crf_page else ()
    kind = var.origin_type
    source = "Investigator" if kind == "Collected" else "Sponsor"
    return Origin(type=kind, source=source, pages=pages if kind == "Collected" else ())


def method_text(domain: str, var: VariableSpec) -> str | None:
    """Human-readable derivation for Define-XML (MethodDef), or None for collected and assigned values: the spec's
    ``description``, else the text the algorithm's registration gives for this use of it."""
    if var.description:
        return var.description
    entry = algorithm(var.algorithm, "SDTM")
    return entry.describe(var) if entry.describe is not None else (entry.method or None)


def describe_condition(cond) -> str:
    """A condition in words: ``EXYN is 'Y'``, ``(CYCLE is one of '1', '2' and DOSE is not blank)``."""
    if cond.op in ("all", "any"):
        joiner = " and " if cond.op == "all" else " or "
        return "(" + joiner.join(describe_condition(c) for c in cond.children) + ")"
    if cond.op == "not":
        return "not " + describe_condition(cond.children[0])
    if cond.op in ("is_null", "not_null"):
        return f"{cond.column} is {'blank' if cond.op == 'is_null' else 'not blank'}"
    words = {"equals": "is", "not_equals": "is not", "in": "is one of", "not_in": "is not one of",
             "contains": "contains", "lt": "is before or less than", "le": "is on or before or at most",
             "gt": "is after or greater than", "ge": "is on or after or at least"}
    if cond.other:
        return f"{cond.column} {words[cond.op]} {cond.other}"
    return f"{cond.column} {words[cond.op]} {', '.join(repr(v) for v in cond.values)}"


def drop_blank_required(domain: str, frame: pd.DataFrame, log: RejectionLog, raw_column: dict[str, str],
                        required: list[str]) -> pd.DataFrame:
    """Drop and log records whose Req variables are blank."""
    bad_any = pd.Series(False, index=frame.index)
    for name in required:
        if name not in frame:
            continue
        blank = pd.Series(blank_values(frame[name]), index=frame.index) & ~bad_any
        if blank.any():
            log.add(domain, "", frame.loc[blank, "__row__"], raw_column.get(name, name), None,
                    f"{name} is required (Req) but blank", DROPPED)
            # the log wants the record's own source file
            log.last()["source"] = frame.loc[blank, "__source__"].to_numpy()
            bad_any |= blank
    return frame.loc[~bad_any].reset_index(drop=True)


def blank_values(values: pd.Series) -> np.ndarray:
    """Per record: True where the value is missing, or (object columns) text of blanks only; each distinct value
    looked at once."""
    if values.dtype != object:
        return values.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values)
    text = pd.Series(uniques, dtype="object").astype("string")
    blank = np.append(text.str.strip().eq("").fillna(False).to_numpy(dtype=bool), True)  # last: missing
    return blank[codes]


def shape_domain(domain: str, frame: pd.DataFrame, specs: dict[str, VariableSpec],
                 every_perm: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Columns in SDTMIG order with Core presence rules; returns the frame and its variable names.

    ``every_perm``: keep every Perm variable the frame has, filled or not (a piece of a domain finished per
    batch of subjects: whether a Perm variable carries data is decided on all pieces, ``kept_names``)."""
    standard = allowed_variables(domain)
    names = []
    for sv in standard:
        present = sv.name in frame.columns
        if sv.core in ("Req", "Exp"):
            if not present and sv.core == "Exp":
                frame[sv.name] = np.nan if sv.type == "Num" else None
            if sv.name in frame.columns:
                names.append(sv.name)
        elif present and (every_perm or frame[sv.name].notna().any()):
            names.append(sv.name)
    std = {sv.name for sv in standard}
    names += [n for n, v in specs.items() if n not in std and v.sponsor_defined and n in frame.columns]
    out = pd.DataFrame(index=frame.index)
    types = {sv.name: sv.type for sv in standard}
    factorized: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for n in names:
        kind = types.get(n) or ("Num" if specs.get(n) is not None and specs[n].data_type == "Num" else "Char")
        if kind == "Num":
            out[n] = pd.to_numeric(frame[n], errors="coerce").astype("float64")
            continue
        text = _text_with_none(frame[n])
        if text is None:
            col = frame[n].astype("object")
            out[n] = col.where(pd.notna(col), None)
            continue
        values, factorized[n] = text
        out[n] = pd.Series(values, index=frame.index, dtype=object, copy=False)
    remember_codes(out, factorized)  # the build's text facts of ``out`` are measured on these codes
    return out, names


def _text_with_none(column: pd.Series) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
    """A text column as objects with None for missing, from one factorization, and that factorization (codes,
    -1 for missing, into the distinct values); None when a value is not a ``str`` (the column is then converted
    as it is)."""
    objects = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(objects)
    if not all(type(v) is str for v in uniques):  # noqa: E721  (1, 1.0 and True would be one value)
        return None
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques
    table[-1] = None
    return table[codes], (codes, np.asarray(uniques, dtype=object))


@dataclass(frozen=True)
class ColumnStats:
    """What the metadata reads of a finished column: whether any value is filled, whether every number is
    whole, and the longest text in UTF-8 bytes. Each is an ``any``, an ``all`` or a ``max``, so the stats of a
    domain finished in pieces are those of its pieces merged (``merge``)."""

    filled: bool
    whole: bool = True
    max_bytes: int = 0

    def merge(self, other: ColumnStats) -> ColumnStats:
        return ColumnStats(self.filled or other.filled, self.whole and other.whole,
                           max(self.max_bytes, other.max_bytes))


def column_stats(frame: pd.DataFrame, names: list[str],
                 facts: Mapping[str, TextFacts] | None = None) -> dict[str, ColumnStats]:
    """:class:`ColumnStats` of the columns ``names`` of ``frame`` (text lengths read from ``facts`` when given)."""
    out = {}
    for name in names:
        column = frame[name]
        if column.dtype == np.float64:  # what shape_domain makes of a Num variable: numpy on the array
            numbers = column.to_numpy()
            numbers = numbers[~np.isnan(numbers)]
            out[name] = ColumnStats(bool(len(numbers)), bool((numbers == np.round(numbers)).all()), 0)
        elif pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
            col = column.dropna()
            out[name] = ColumnStats(bool(len(col)), bool((col == col.round()).all()), 0)
        else:
            known = (facts or {}).get(name)
            filled = bool((known.codes >= 0).any()) if known is not None and known.records == len(column) \
                else bool(column.notna().any())
            out[name] = ColumnStats(filled, True, byte_length(column, known) if filled else 0)
    return out


def merge_stats(parts: list[dict[str, ColumnStats]]) -> dict[str, ColumnStats]:
    """The stats of the pieces' columns taken together."""
    out: dict[str, ColumnStats] = {}
    for part in parts:
        for name, stats in part.items():
            out[name] = out[name].merge(stats) if name in out else stats
    return out


def dataset_metadata(domain: str, frame: pd.DataFrame, names: list[str], specs: dict[str, VariableSpec],
                     codelists_used: dict[str, str], keys: tuple[str, ...], methods: dict[str, Method],
                     facts: Mapping[str, TextFacts] | None = None, stats: Mapping[str, ColumnStats] | None = None,
                     records: int | None = None) -> Dataset:
    """The Dataset entry for a finished domain frame (``facts``: text facts of its columns, lengths read there).

    ``stats`` and ``records``: what the metadata reads of the data, given for a domain finished in pieces
    (``frame`` is then not read); else measured on ``frame``."""
    stats = stats if stats is not None else column_stats(frame, names, facts)
    info = sdtmig.dataset(domain)
    standard = {sv.name: sv for sv in allowed_variables(domain)}
    keys = tuple(k for k in (keys or DEFAULT_KEYS.get(domain, ("STUDYID", "USUBJID", f"{domain}SEQ")))
                 if k in names)
    variables = []
    for order, name in enumerate(names, start=1):
        spec = specs.get(name)
        if name in standard:
            var = standard[name].to_variable()
        elif spec is None:
            raise ValueError(f"{domain}.{name} is neither an SDTMIG 3.4 variable nor one the spec defines")
        else:
            var = Variable(name=name, label=spec.label or name, core="Perm",
                           data_type="float" if spec.data_type == "Num" else "text")
        var.order = order
        if spec is not None and spec.label and name not in standard:
            var.label = spec.label
        var.codelist = codelists_used.get(name) or var.codelist
        if var.data_type in ("integer", "float"):
            var.data_type = "integer" if stats[name].whole else "float"
            var.length = 8
        else:
            var.length = max(1, stats[name].max_bytes)
        if spec is not None:
            var.origin = origin_of(spec)
            text = method_text(domain, spec)
            if text and var.origin.type == "Derived":
                oid = f"MT.{domain}.{name}"
                methods[oid] = Method(oid, f"Algorithm to derive {domain}.{name}", text)
                var.method = oid
        elif name == "DOMAIN":
            var.origin = Origin("Assigned", "Sponsor")
        else:
            var.origin = Origin("Derived", "Sponsor") if stats[name].filled else Origin("Not Available")
        if name in keys:
            var.key_sequence = keys.index(name) + 1
        var.mandatory = var.core == "Req"
        variables.append(var)
    return Dataset(name=domain, label=info.label, domain=domain, dataset_class=info.dataset_class,
                   structure=info.structure, keys=keys, purpose="Tabulation", standard="STD.SDTMIG.3.4",
                   variables=variables, records=len(frame) if records is None else records)


def supp_metadata(parent: str, frame: pd.DataFrame, qualifiers: dict[str, VariableSpec],
                  codelists_used: dict[str, str], methods: dict[str, Method],
                  facts: Mapping[str, TextFacts] | None = None) -> Dataset:
    """The SUPP-- Dataset with value-level metadata for QVAL per QNAM (``facts``: text facts of its columns)."""
    facts = facts or {}
    name = f"SUPP{parent}"
    info = sdtmig.dataset(name)
    variables = []
    present = list(sdtmig.variables(name))
    for order, sv in enumerate(present, start=1):
        var = sv.to_variable()
        var.order = order
        var.length = byte_length(frame[sv.name], facts.get(sv.name)) if sv.name in frame else 1
        var.origin = Origin("Assigned", "Sponsor") if sv.name != "QVAL" else Origin("Collected", "Investigator")
        if sv.name in SUPP_KEYS:
            var.key_sequence = SUPP_KEYS.index(sv.name) + 1
        var.mandatory = var.core == "Req"
        if sv.name == "QVAL":
            var.value_list = f"VL.{name}.QVAL"
        variables.append(var)
    value_level = []
    for qnam, spec in qualifiers.items():
        length = _qval_length(frame, qnam, facts)
        if length is None:
            continue
        origin = origin_of(spec)
        item = Variable(name=qnam, label=spec.label or qnam, data_type="text", length=length,
                        codelist=codelists_used.get(qnam), origin=origin)
        text = method_text(parent, spec)
        if text and origin.type == "Derived":
            oid = f"MT.{name}.{qnam}"
            methods[oid] = Method(oid, f"Algorithm to derive {name}.{qnam}", text)
            item.method = oid
        value_level.append(ValueLevel("QVAL", (WhereCondition(name, "QNAM", "EQ", (qnam,)),), item))
    return Dataset(name=name, label=info.label, domain=parent, dataset_class=info.dataset_class,
                   structure=info.structure, keys=SUPP_KEYS, purpose="Tabulation", standard="STD.SDTMIG.3.4",
                   variables=variables, value_level=value_level, records=len(frame))


def _qval_length(frame: pd.DataFrame, qnam: str, facts: Mapping[str, TextFacts]) -> int | None:
    """Longest QVAL of one QNAM in UTF-8 bytes (at least 1), None when the QNAM has no record."""
    names, qvals = facts.get("QNAM"), facts.get("QVAL")
    if names is None or qvals is None or names.records != len(frame) or qvals.records != len(frame):
        values = frame.loc[frame["QNAM"] == qnam, "QVAL"]
        return None if values.empty else byte_length(values)
    at = np.flatnonzero(names.values == qnam)
    if not len(at):
        return None
    codes = qvals.codes[names.codes == at[0]]
    present = np.unique(codes[codes >= 0])
    return max(1, int(qvals.nbytes[present].max())) if len(present) else 1


def _distinct_in_use(frame: pd.DataFrame, name: str, facts: Mapping[str, TextFacts]) -> TextFacts | None:
    found = facts.get(name)
    return found if found is not None and found.records == len(frame) else None


def _terms_in_use(frame: pd.DataFrame, ds: Dataset, vl: ValueLevel, facts: Mapping[str, TextFacts]) -> list[str]:
    """Values of a value-level item where its where-clause holds, from the text facts when all columns have them."""
    item = _distinct_in_use(frame, vl.variable, facts)
    conditions = [(c, _distinct_in_use(frame, c.variable, facts)) for c in vl.where]
    if item is None or any(f is None for _c, f in conditions):
        rows = np.logical_and.reduce([frame[c.variable].astype(str).isin(c.values).to_numpy() for c in vl.where])
        return frame.loc[rows, vl.variable].dropna().astype(str).tolist()
    rows = np.ones(item.records, dtype=bool)
    for cond, where in conditions:
        assert where is not None
        holds = np.isin(where.values, np.asarray(cond.values, dtype=object))
        rows &= np.append(holds, "None" in cond.values)[where.codes]  # a missing value reads as 'None' (astype)
    codes = np.unique(item.codes[rows])
    return item.values[codes[codes >= 0]].tolist()


def codelists_in_use(frames: list[tuple[pd.DataFrame, Dataset]], extensions: dict[str, set[str]],
                     facts: Mapping[str, Mapping[str, TextFacts]] | None = None) -> list[Codelist]:
    """Codelists referenced by the datasets, with only the terms that occur (extensions marked).

    ``facts``: per dataset name, the text facts of its columns; the terms are then read from each column's
    distinct values instead of its records.
    """
    used: dict[str, set[str]] = {}
    for frame, ds in frames:
        known = (facts or {}).get(ds.name, {})
        for var in ds.variables:
            if var.codelist and (var.name in frame or var.name in known):
                distinct = _distinct_in_use(frame, var.name, known)
                values = distinct.values.tolist() if distinct is not None else frame[var.name].dropna().astype(str)
                used.setdefault(var.codelist, set()).update(values)
        for vl in ds.value_level:
            if vl.item.codelist and all(n in frame or n in known for n in (vl.variable, *(c.variable for c in vl.where))):
                used.setdefault(vl.item.codelist, set()).update(_terms_in_use(frame, ds, vl, known))
    out = []
    for name in sorted(used):
        if not ct.has_codelist(name):
            continue
        info = ct.codelist(name)
        terms = []
        for value in sorted(used[name]):
            term = info.term(value)
            if term is not None:
                terms.append(CodelistTerm(value, term.code, term.preferred_term))
            else:
                terms.append(CodelistTerm(value, None, None, extended=True))
        data_type = "text"
        out.append(Codelist(name=info.name, nci_code=info.code, label=info.label, extensible=info.extensible,
                            data_type=data_type, terms=terms))
    return out
