"""The metadata model resolved into what the Define-XML template writes: OIDs, ItemDefs, value lists, where
clauses, codelists, methods, comments and leaves, each exactly once and in a stable order.

The template only loops and prints; every decision (which OID, which page type, which codelists are written,
which SAS name a value-level item gets) is made here, so the same study always gives the same bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from converters import __version__
from converters.metadata.model import (
    Codelist,
    Dataset,
    Origin,
    ResultDisplay,
    Standard,
    Study,
    ValueLevel,
    Variable,
    WhereCondition,
)

_OID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def oid_part(text: str) -> str:
    """A piece of an OID: letters, digits, dot, underscore and hyphen only (other runs become ``_``)."""
    return _OID_UNSAFE.sub("_", str(text)).strip("_") or "_"


def class_name(dataset_class: str | None) -> str | None:
    """``Special-Purpose`` -> ``SPECIAL PURPOSE``: the def:Class enumeration is upper case with spaces."""
    if not dataset_class:
        return None
    return dataset_class.upper().replace("-", " ")


def yes_no(flag: bool | None) -> str:
    return "Yes" if flag else "No"


def mdv_oid(study: Study) -> str:
    """The MetaDataVersion OID: the study's own (from study.yaml) or ``MDV.<STUDYID>.<IG>.<version>``."""
    if study.mdv_oid:
        return study.mdv_oid
    ig = next((s for s in study.standards if s.type == "IG"), None)
    tag = f".{ig.name}.{ig.version}" if ig else ""
    return f"MDV.{oid_part(study.studyid)}{tag}"


@dataclass
class DefineContext:
    """Everything the template prints, resolved from one Study."""

    stylesheet: str
    created: str
    version: str
    originator: str
    context: str
    file_oid: str
    study_oid: str
    mdv_oid: str
    mdv_name: str
    mdv_description: str | None
    arm: bool
    standards: list[Standard] = field(default_factory=list)
    acrf: list[Any] = field(default_factory=list)
    supplemental: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    value_lists: list[dict] = field(default_factory=list)
    where_clauses: list[dict] = field(default_factory=list)
    datasets: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    codelists: list[dict] = field(default_factory=list)
    methods: list[dict] = field(default_factory=list)
    comments: list[Any] = field(default_factory=list)
    displays: list[dict] = field(default_factory=list)


def _origin(origin: Origin | None, acrf: str | None) -> dict | None:
    if origin is None:
        return None
    document = origin.document or (acrf if origin.pages else None)
    return {"type": origin.type, "source": origin.source, "predecessor": origin.predecessor,
            "description": origin.description, "document": document if origin.pages else None,
            "pages": " ".join(origin.pages), "page_type": origin.page_type}


class _Builder:
    """Collects ItemDefs, where clauses and value lists with unique OIDs."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.codelists = {c.name: c for c in study.codelists}
        self.written_codelists = {c.name for c in study.codelists if c.is_external or c.terms}
        acrf = [d for d in study.documents if d.kind == "AnnotatedCRF"]
        self.acrf = acrf[0].oid if acrf else None
        self.items: list[dict] = []
        self.where: dict[str, dict] = {}

    def codelist_oid(self, name: str | None) -> str | None:
        if not name or name not in self.written_codelists:
            return None
        return self.codelists[name].oid

    def item(self, oid: str, var: Variable, sas_name: str | None) -> dict:
        entry = {"oid": oid, "name": var.name, "data_type": var.data_type, "length": var.length,
                 "significant_digits": var.significant_digits, "display_format": var.display_format,
                 "sas_name": sas_name, "comment": var.comment, "label": var.label,
                 "codelist": self.codelist_oid(var.codelist), "origin": _origin(var.origin, self.acrf),
                 "value_list": var.value_list}
        self.items.append(entry)
        return entry

    def where_clause(self, conditions: tuple[WhereCondition, ...], oid: str) -> str:
        checks = [{"comparator": c.comparator, "item_oid": f"IT.{c.dataset}.{c.variable}", "vals": c.values}
                  for c in conditions]
        base, n = oid, 1
        while oid in self.where and self.where[oid]["checks"] != checks:
            n += 1
            oid = f"{base}.{n}"
        self.where[oid] = {"oid": oid, "checks": checks}
        return oid


def value_item_oid(ds: Dataset, vl: ValueLevel) -> str:
    parts = [f"{oid_part(c.variable)}.{'.'.join(oid_part(v) for v in c.values)}" for c in vl.where]
    return f"IT.{ds.name}.{vl.variable}." + ".".join(parts)


def _value_lists(ds: Dataset, b: _Builder) -> list[dict]:
    """One ValueListDef per described variable; each entry an ItemDef and a where clause."""
    lists: dict[str, dict] = {}
    seen: set[str] = set()
    for vl in ds.value_level:
        parent = ds.variable(vl.variable)
        list_oid = parent.value_list or f"VL.{ds.name}.{vl.variable}"
        parent.value_list = list_oid
        item_oid = value_item_oid(ds, vl)
        base, n = item_oid, 1
        while item_oid in seen:
            n += 1
            item_oid = f"{base}.{n}"
        seen.add(item_oid)
        where_oid = b.where_clause(vl.where, "WC." + item_oid[len("IT."):])
        # SDTM value-level items of SUPP-- are named by QNAM; others keep the parent variable's name
        b.item(item_oid, vl.item, None)
        lists.setdefault(list_oid, {"oid": list_oid, "refs": []})["refs"].append(
            {"item_oid": item_oid, "where_oid": where_oid, "method": vl.item.method})
    return list(lists.values())


def _domain_description(ds: Dataset, study: Study) -> str | None:
    """For a split or SUPP-- dataset (Name differs from Domain): the parent domain's label (Alias DomainDescription)."""
    if ds.purpose != "Tabulation" or not ds.domain or ds.domain == ds.name:
        return None
    parent = next((d for d in study.datasets if d.name == ds.domain), None)
    return parent.label if parent is not None else None


def _dataset(ds: Dataset, b: _Builder) -> dict:
    refs = []
    for n, var in enumerate(ds.variables, start=1):
        refs.append({"item_oid": ds.item_oid(var.name), "order": var.order or n,
                     "mandatory": yes_no(var.mandatory if var.mandatory is not None else var.core == "Req"),
                     "key_sequence": var.key_sequence, "method": var.method,
                     "role": var.role if ds.purpose == "Tabulation" else None})
    return {"oid": ds.oid, "name": ds.name, "domain": ds.domain if ds.purpose == "Tabulation" else None,
            "label": ds.label, "repeating": yes_no(ds.is_repeating), "reference": yes_no(ds.is_reference),
            "purpose": ds.purpose, "structure": ds.structure, "standard": ds.standard, "comment": ds.comment,
            "has_no_data": ds.has_no_data, "klass": class_name(ds.dataset_class), "subclass": ds.subclass,
            "leaf_id": f"LF.{ds.name}", "href": ds.leaf_href, "refs": refs,
            "domain_description": _domain_description(ds, b.study)}


def _codelist(cl: Codelist, ct_oid: str | None) -> dict:
    terms = [{"value": t.submission_value, "code": t.nci_code, "decode": t.decode or t.submission_value,
              "extended": t.extended} for t in cl.terms]
    standard = cl.standard
    if standard is None and not cl.is_external and cl.nci_code and not cl.sponsor_defined:
        standard = ct_oid
    return {"oid": cl.oid, "name": cl.label or cl.name, "data_type": cl.data_type, "standard": standard,
            "is_non_standard": standard is None and not cl.is_external,
            "dictionary": cl.dictionary, "version": cl.version, "decoded": cl.has_decodes, "terms": terms,
            "code": None if cl.is_external else cl.nci_code}


def _display(rd: ResultDisplay, b: _Builder) -> dict:
    results = []
    for ar in rd.results:
        datasets = []
        for i, ad in enumerate(ar.datasets, start=1):
            where_oid = b.where_clause(ad.where, f"WC.{oid_part(ar.oid)}.{ad.dataset}.{i}") if ad.where else None
            datasets.append({"oid": f"IG.{ad.dataset}", "where_oid": where_oid,
                             "variables": [f"IT.{ad.dataset}.{v}" for v in ad.variables]})
        results.append({"oid": ar.oid, "parameter": ar.parameter, "reason": ar.reason, "purpose": ar.purpose,
                        "description": ar.description, "datasets": datasets, "documentation": ar.documentation,
                        "code": ar.code, "code_context": ar.code_context})
    pages = " ".join(rd.pages)
    return {"oid": rd.oid, "name": rd.name, "title": rd.title, "document": rd.document, "pages": pages,
            "page_type": Origin("Other", pages=rd.pages).page_type, "results": results}


def build_context(study: Study, *, created: datetime, stylesheet: str = "define2-1.xsl",
                  originator: str = "cdisc-convert", context: str = "Submission") -> DefineContext:
    """Resolve ``study`` into the template's context."""
    b = _Builder(study)
    value_lists: list[dict] = []
    datasets = []
    for ds in study.datasets:
        value_lists += _value_lists(ds, b)
    for ds in study.datasets:
        datasets.append(_dataset(ds, b))
        for var in ds.variables:
            b.item(ds.item_oid(var.name), var, var.name)
    displays = [_display(rd, b) for rd in study.analysis_results]
    ig = next((s for s in study.standards if s.type == "IG"), None)
    name = study.mdv_name or f"Study {study.studyid}, {ig.name + ' ' + ig.version if ig else ''} Data Definitions"
    ct_std = next((s.oid for s in study.standards if s.type == "CT"), None)
    codelists = [_codelist(c, ct_std) for c in sorted(study.codelists, key=lambda c: c.name)
                 if c.name in b.written_codelists]
    methods = [{"oid": m.oid, "name": m.name, "type": m.type, "description": m.description,
                "expression": m.expression, "context": "Python", "document": m.document} for m in study.methods]
    return DefineContext(
        stylesheet=stylesheet, created=created.strftime("%Y-%m-%dT%H:%M:%S"), version=__version__,
        originator=originator, context=context, file_oid=f"{mdv_oid(study)}.define",
        study_oid=study.studyid, mdv_oid=mdv_oid(study), mdv_name=name.replace("  ", " "),
        mdv_description=study.mdv_description, arm=bool(displays), standards=list(study.standards),
        acrf=[d for d in study.documents if d.kind == "AnnotatedCRF"],
        supplemental=[d for d in study.documents if d.kind == "SupplementalDoc"],
        documents=list(study.documents), value_lists=value_lists, where_clauses=list(b.where.values()),
        datasets=datasets, items=b.items, codelists=codelists, methods=methods, comments=list(study.comments),
        displays=displays)
