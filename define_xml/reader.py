"""Read a Define-XML 2.1 back into the metadata model (the same Study the writer reads).

``write_define`` then ``read_study`` gives back the datasets, variables, value-level entries, codelists,
methods, comments, documents and analysis results that were written (a test checks the round trip).
"""
from __future__ import annotations

import re

from lxml import etree

from converters.metadata.model import (
    AnalysisDataset,
    AnalysisResult,
    Codelist,
    CodelistTerm,
    Comment,
    Dataset,
    Document,
    Method,
    Origin,
    ResultDisplay,
    Standard,
    Study,
    ValueLevel,
    Variable,
    WhereCondition,
)

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
ARM = "{http://www.cdisc.org/ns/arm/v1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
NAMESPACES = {
    "http://www.cdisc.org/ns/def/v2.1": "2.1", "http://www.cdisc.org/ns/def/v2.0": "2.0",
    "http://www.cdisc.org/ns/def/v1.0": "1.0",
}


def define_version(tree: etree._ElementTree) -> str | None:
    """``2.1``, ``2.0`` or ``1.0`` by the def: namespace the document uses (None when it uses none)."""
    root = tree.getroot()
    for uri in root.nsmap.values():
        if uri in NAMESPACES:
            return NAMESPACES[uri]
    for el in root.iter():
        for attr in el.attrib:
            uri = etree.QName(attr).namespace
            if uri in NAMESPACES:
                return NAMESPACES[uri]
    return None


def _text(el: etree._Element | None, path: str = f"{ODM}Description/{ODM}TranslatedText") -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


#: A whole number as XML Schema writes one (ASCII digits, optional +, surrounding blanks); 18 digits at most.
_WHOLE = re.compile(r"\s*\+?([0-9]{1,18})\s*")


def whole_number(value: str | None) -> int | None:
    """A Length, SignificantDigits, OrderNumber or KeySequence as a number; None (read as absent) when it is not
    a whole number in ASCII digits ("²", "12a", "") so that the schema check and the define rules report it."""
    found = _WHOLE.fullmatch(value) if value else None
    return int(found.group(1)) if found else None


def _yes(value: str | None) -> bool | None:
    return None if value is None else value == "Yes"


def _origin(item: etree._Element) -> Origin | None:
    el = item.find(f"{DEF}Origin")
    if el is None:
        return None
    doc = el.find(f"{DEF}DocumentRef")
    page = doc.find(f"{DEF}PDFPageRef") if doc is not None else None
    pages = tuple((page.get("PageRefs") or "").split()) if page is not None else ()
    described = _text(el) or None
    kind = el.get("Type", "")
    return Origin(type=kind, source=el.get("Source"), pages=(" ".join(pages),) if pages else (),
                  predecessor=described if kind == "Predecessor" else None,
                  document=doc.get("leafID") if doc is not None else None,
                  description=None if kind == "Predecessor" else described)


def _variable(item: etree._Element, codelist_names: dict[str, str]) -> Variable:
    ref = item.find(f"{ODM}CodeListRef")
    vl = item.find(f"{DEF}ValueListRef")
    return Variable(
        name=item.get("Name", ""), label=_text(item), data_type=item.get("DataType", "text"),
        length=whole_number(item.get("Length")), significant_digits=whole_number(item.get("SignificantDigits")),
        display_format=item.get(f"{DEF}DisplayFormat"),
        codelist=codelist_names.get(ref.get("CodeListOID", "")) if ref is not None else None,
        origin=_origin(item), comment=item.get(f"{DEF}CommentOID"),
        value_list=vl.get("ValueListOID") if vl is not None else None)


def _where(wc: etree._Element) -> tuple[WhereCondition, ...]:
    out = []
    for rc in wc.iter(f"{ODM}RangeCheck"):
        ds, _, var = (rc.get(f"{DEF}ItemOID") or "").removeprefix("IT.").partition(".")
        out.append(WhereCondition(ds, var, rc.get("Comparator", "EQ"),
                                  tuple((v.text or "") for v in rc.iter(f"{ODM}CheckValue"))))
    return tuple(out)


def _codelist(cl: etree._Element, ct_oids: set[str]) -> Codelist:
    name = cl.get("OID", "").removeprefix("CL.")
    alias = cl.find(f"{ODM}Alias")
    ext = cl.find(f"{ODM}ExternalCodeList")
    terms = []
    for item in [*cl.iter(f"{ODM}CodeListItem"), *cl.iter(f"{ODM}EnumeratedItem")]:
        a = item.find(f"{ODM}Alias")
        decode = _text(item, f"{ODM}Decode/{ODM}TranslatedText") or None
        terms.append((whole_number(item.get("OrderNumber")) or 0, CodelistTerm(
            item.get("CodedValue", ""), a.get("Name") if a is not None else None, decode,
            item.get(f"{DEF}ExtendedValue") == "Yes")))
    standard = cl.get(f"{DEF}StandardOID")
    return Codelist(name=name, nci_code=alias.get("Name") if alias is not None else None, label=cl.get("Name"),
                    data_type=cl.get("DataType", "text"), terms=[t for _, t in sorted(terms, key=lambda x: x[0])],
                    sponsor_defined=standard is None and ext is None,
                    dictionary=ext.get("Dictionary") if ext is not None else None,
                    version=ext.get("Version") if ext is not None else None,
                    standard=standard)


def _displays(mdv: etree._Element, where: dict[str, tuple[WhereCondition, ...]]) -> list[ResultDisplay]:
    out = []
    for rd in mdv.iter(f"{ARM}ResultDisplay"):
        results = []
        for ar in rd.iter(f"{ARM}AnalysisResult"):
            datasets = []
            for ad in ar.iter(f"{ARM}AnalysisDataset"):
                wref = ad.find(f"{DEF}WhereClauseRef")
                datasets.append(AnalysisDataset(
                    ad.get("ItemGroupOID", "").removeprefix("IG."),
                    tuple(v.get("ItemOID", "").split(".")[-1] for v in ad.iter(f"{ARM}AnalysisVariable")),
                    where.get(wref.get("WhereClauseOID", ""), ()) if wref is not None else ()))
            code = ar.find(f"{ARM}ProgrammingCode")
            results.append(AnalysisResult(
                oid=ar.get("OID", ""), description=_text(ar), reason=ar.get("AnalysisReason", ""),
                purpose=ar.get("AnalysisPurpose", ""), datasets=datasets, parameter=ar.get("ParameterOID"),
                documentation=_text(ar.find(f"{ARM}Documentation")),
                code=(code.findtext(f"{ARM}Code") or "") if code is not None else "",
                code_context=code.get("Context", "") if code is not None else "Python"))
        doc = rd.find(f"{DEF}DocumentRef")
        page = doc.find(f"{DEF}PDFPageRef") if doc is not None else None
        page_refs = page.get("PageRefs") if page is not None else None
        out.append(ResultDisplay(oid=rd.get("OID", ""), name=rd.get("Name", ""), title=_text(rd), results=results,
                                 document=doc.get("leafID") if doc is not None else None,
                                 pages=(page_refs,) if page_refs else ()))
    return out


def read_study(tree: etree._ElementTree) -> Study:
    """The Study a Define-XML 2.1 describes."""
    root = tree.getroot()
    study_el = root.find(f"{ODM}Study")
    mdv = study_el.find(f"{ODM}MetaDataVersion") if study_el is not None else None
    if study_el is None or mdv is None:
        return Study(studyid="")
    gv = study_el.find(f"{ODM}GlobalVariables")
    standards = [Standard(s.get("Name", ""), s.get("Version", ""), s.get("Type", "IG"), s.get("PublishingSet"))
                 for s in mdv.iter(f"{DEF}Standard")]
    ct_oids = {s.get("OID", "") for s in mdv.iter(f"{DEF}Standard") if s.get("Type") == "CT"}
    codelist_names = {cl.get("OID", ""): cl.get("OID", "").removeprefix("CL.") for cl in mdv.iter(f"{ODM}CodeList")}
    items = {it.get("OID"): it for it in mdv.iter(f"{ODM}ItemDef")}
    where = {wc.get("OID", ""): _where(wc) for wc in mdv.iter(f"{DEF}WhereClauseDef")}
    value_lists = {vl.get("OID"): vl for vl in mdv.iter(f"{DEF}ValueListDef")}
    acrf = {d.get("leafID") for d in mdv.findall(f"{DEF}AnnotatedCRF/{DEF}DocumentRef")}
    supp = {d.get("leafID") for d in mdv.findall(f"{DEF}SupplementalDoc/{DEF}DocumentRef")}
    datasets = []
    for ig in mdv.iter(f"{ODM}ItemGroupDef"):
        variables = []
        value_level = []
        for ref in ig.iter(f"{ODM}ItemRef"):
            item = items.get(ref.get("ItemOID"))
            if item is None:
                continue
            var = _variable(item, codelist_names)
            var.order = whole_number(ref.get("OrderNumber"))
            var.mandatory = ref.get("Mandatory") == "Yes"
            var.key_sequence = whole_number(ref.get("KeySequence"))
            var.method = ref.get("MethodOID")
            var.role = ref.get("Role")
            variables.append(var)
            vl = value_lists.get(var.value_list)
            for vref in vl.iter(f"{ODM}ItemRef") if vl is not None else ():
                vitem = items.get(vref.get("ItemOID"))
                wref = vref.find(f"{DEF}WhereClauseRef")
                if vitem is None or wref is None:
                    continue
                entry = _variable(vitem, codelist_names)
                entry.method = vref.get("MethodOID")
                value_level.append(ValueLevel(var.name, where.get(wref.get("WhereClauseOID", ""), ()), entry))
        klass = ig.find(f"{DEF}Class")
        sub = klass.find(f"{DEF}SubClass") if klass is not None else None
        leaf = ig.find(f"{DEF}leaf")
        keys = tuple(v.name for v in sorted((v for v in variables if v.key_sequence), key=lambda v: v.key_sequence or 0))
        datasets.append(Dataset(
            name=ig.get("Name", ""), label=_text(ig), domain=ig.get("Domain"),
            dataset_class=klass.get("Name") if klass is not None else None, structure=ig.get(f"{DEF}Structure"),
            keys=keys, purpose=ig.get("Purpose", "Tabulation"), standard=ig.get(f"{DEF}StandardOID"),
            variables=variables, value_level=value_level, comment=ig.get(f"{DEF}CommentOID"),
            subclass=sub.get("Name") if sub is not None else None, repeating=_yes(ig.get("Repeating")),
            is_reference_data=_yes(ig.get("IsReferenceData")), has_no_data=ig.get(f"{DEF}HasNoData") == "Yes",
            leaf=leaf.get(f"{XLINK}href") if leaf is not None else None))
    methods = []
    for mt in mdv.iter(f"{ODM}MethodDef"):
        fe = mt.find(f"{ODM}FormalExpression")
        doc = mt.find(f"{DEF}DocumentRef")
        methods.append(Method(mt.get("OID", ""), mt.get("Name", ""), _text(mt), mt.get("Type", "Computation"),
                              fe.text if fe is not None else None, doc.get("leafID") if doc is not None else None))
    comments = []
    for com in mdv.iter(f"{DEF}CommentDef"):
        doc = com.find(f"{DEF}DocumentRef")
        comments.append(Comment(com.get("OID", ""), _text(com), doc.get("leafID") if doc is not None else None))
    documents = []
    for leaf in mdv.findall(f"{DEF}leaf"):
        oid = leaf.get("ID", "")
        kind = "AnnotatedCRF" if oid in acrf else "SupplementalDoc" if oid in supp else "Other"
        documents.append(Document(oid, leaf.findtext(f"{DEF}title") or "", leaf.get(f"{XLINK}href", ""), kind))
    return Study(
        studyid=(gv.findtext(f"{ODM}StudyName") or "").strip() if gv is not None else "",
        name=(gv.findtext(f"{ODM}StudyDescription") or "").strip() if gv is not None else "",
        description=(gv.findtext(f"{ODM}StudyDescription") or "").strip() if gv is not None else "",
        protocol=(gv.findtext(f"{ODM}ProtocolName") or "").strip() if gv is not None else "",
        standards=standards, datasets=datasets,
        codelists=[_codelist(cl, ct_oids) for cl in mdv.iter(f"{ODM}CodeList")],
        methods=methods, comments=comments, documents=documents, mdv_oid=mdv.get("OID"), mdv_name=mdv.get("Name"),
        mdv_description=mdv.get("Description"), analysis_results=_displays(mdv, where))
