"""Define-XML on its own: the checks reviewers' tools make of a define, with or without the data beside it.

They read the define through the metadata model (``DefineMeta.study``) and its XML (``DefineMeta.tree``), so
``cdisc-convert validate --define define.xml`` runs them with no dataset folder at all.
"""
from __future__ import annotations

from pathlib import Path

from converters.standards import ct
from converters.validate.model import Hits, rule
from converters.validate.rules_ct import IG_VALUES

DEFINE = "Define-XML 2.1 specification"


def _study(study):
    define = getattr(study, "define", None)
    if define is None or not getattr(define, "supported", False) or define.study is None:
        return None
    return define.study


@rule("DX0001", "Error", "Define is not Define-XML 2.1", "The define is Define-XML {version}; only Define-XML 2.1 "
      "is checked, so none of the define rules ran", f"{DEFINE} 1.1 (Define-XML 2.1 namespace)",
      applies_to=("study",), standard="define")
def check_define_version(study, _):
    define = getattr(study, "define", None)
    if define is not None and not define.supported:
        version = define.version or "unknown (no def: namespace)"
        yield Hits(dataset="DEFINE", params={"version": version}, value=f"Define-XML {version}")


@rule("DX0002", "Error", "OID not defined or not referenced", "{problem}", f"{DEFINE} 2.3 (OIDs and references)",
      applies_to=("study",), standard="define")
def check_oid_integrity(study, _):
    from define_xml.integrity import oid_problems

    if _study(study) is None:
        return
    for problem in oid_problems(study.define.tree):
        yield Hits(dataset="DEFINE", params={"problem": problem}, value=problem)


def _tabulation(meta):
    return [ds for ds in meta.datasets if ds.purpose == "Tabulation"]


@rule("DX0003", "Warning", "SDTM variable without Role", "{dataset}.{variable} has no Role on its ItemRef",
      f"{DEFINE} 5.3.3 (ItemRef Role, required for SDTM and SEND)", applies_to=("study",), standard="define")
def check_roles(study, _):
    meta = _study(study)
    for ds in _tabulation(meta) if meta else ():
        for var in ds.variables:
            if not var.role:
                yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)


@rule("DX0004", "Warning", "Collected origin without aCRF pages", "{dataset}.{variable} is Collected but its "
      "origin names no aCRF page", f"{DEFINE} 5.3.11.1 (def:Origin Collected, def:DocumentRef)",
      applies_to=("study",), standard="define")
def check_collected_pages(study, _):
    meta = _study(study)
    for ds in _tabulation(meta) if meta else ():
        for var in ds.variables:
            if var.origin is not None and var.origin.type == "Collected" and not var.value_list \
                    and not (var.origin.pages and var.origin.document):
                yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)


@rule("DX0005", "Warning", "Derived variable without method", "{dataset}.{variable} is Derived but has no "
      "MethodOID", f"{DEFINE} 5.3.11 (Derived origin and MethodDef)", applies_to=("study",), standard="define")
def check_derived_methods(study, _):
    meta = _study(study)
    for ds in meta.datasets if meta else ():
        for var in ds.variables:
            if var.origin is not None and var.origin.type == "Derived" and not var.method and not var.value_list:
                yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)


def _ct_codelist(cl):
    """The bundled CT codelist a define codelist stands for (by NCI code, else short name), or None."""
    for key in (cl.nci_code, cl.name):
        if key and ct.has_codelist(key):
            return ct.codelist(key)
    return None


@rule("DX0006", "Error", "Codelist term not in CT", "Codelist {codelist}: {term} is not a term of CDISC CT "
      "{version} and is not marked def:ExtendedValue", f"{DEFINE} 5.3.6.2 (CodeListItem, def:ExtendedValue)",
      applies_to=("study",), standard="define")
def check_terms_in_ct(study, _):
    meta = _study(study)
    for cl in meta.codelists if meta else ():
        info = _ct_codelist(cl) if cl.standard and not cl.is_external else None
        if info is None:
            continue
        for term in cl.terms:
            if not term.extended and term.submission_value not in info.submission_values:
                yield Hits(dataset="DEFINE", params={"codelist": cl.name, "term": term.submission_value,
                                                     "version": ct.version}, value=term.submission_value)


@rule("DX0007", "Error", "Extended value on a non-extensible codelist", "Codelist {codelist} is not extensible "
      "but {term} is marked def:ExtendedValue", f"{DEFINE} 5.3.6.2 (def:ExtendedValue); CDISC CT extensibility",
      applies_to=("study",), standard="define")
def check_extended_values(study, _):
    meta = _study(study)
    for cl in meta.codelists if meta else ():
        info = _ct_codelist(cl) if not cl.is_external else None
        if info is None or info.extensible:
            continue
        for term in cl.terms:
            if term.extended and (info.name, term.submission_value) not in IG_VALUES:  # RACE MULTIPLE: the IG's
                yield Hits(dataset="DEFINE", params={"codelist": cl.name, "term": term.submission_value},
                           value=term.submission_value)


@rule("DX0008", "Error", "Dataset without KeySequence", "{dataset} names no key variable (KeySequence)",
      f"{DEFINE} 5.3.3 (ItemRef KeySequence)", applies_to=("study",), standard="define")
def check_keys(study, _):
    meta = _study(study)
    for ds in meta.datasets if meta else ():
        if not ds.has_no_data and not any(v.key_sequence for v in ds.variables):
            yield Hits(dataset=ds.name, value=ds.name)


@rule("DX0009", "Error", "Leaf file missing", "{what} {href} is not found beside the define",
      f"{DEFINE} 5.3.10 (def:leaf xlink:href)", applies_to=("study",), standard="define")
def check_leaf_files(study, _):
    meta = _study(study)
    if meta is None:
        return
    folder = Path(study.define.path).parent
    for ds in meta.datasets:
        if ds.leaf and not ds.has_no_data and not (folder / ds.leaf).is_file():
            yield Hits(dataset=ds.name, params={"what": "dataset file", "href": ds.leaf}, value=ds.leaf)
    for doc in meta.documents:
        if doc.href and not (folder / doc.href.split("#")[0]).is_file():
            yield Hits(dataset="DEFINE", params={"what": f"document {doc.title!r}", "href": doc.href},
                       value=doc.href)
