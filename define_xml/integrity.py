"""OID integrity of a define: every OID referenced is defined, every one defined is referenced, none twice."""
from __future__ import annotations

from collections import Counter

from lxml import etree

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
ARM = "http://www.cdisc.org/ns/arm/v1.0"

#: (element, attribute holding its OID) of everything a define defines; ItemGroupDefs need no reference.
DEFINED = (
    (f"{{{ODM}}}ItemDef", "OID"), (f"{{{ODM}}}CodeList", "OID"), (f"{{{ODM}}}MethodDef", "OID"),
    (f"{{{DEF}}}CommentDef", "OID"), (f"{{{DEF}}}WhereClauseDef", "OID"), (f"{{{DEF}}}ValueListDef", "OID"),
    (f"{{{DEF}}}leaf", "ID"), (f"{{{DEF}}}Standard", "OID"), (f"{{{ODM}}}ItemGroupDef", "OID"),
)
NEED_NO_REFERENCE = {f"{{{ODM}}}ItemGroupDef"}
#: attributes that refer to a defined OID (on any element).
REFERENCES = ("ItemOID", "CodeListOID", "MethodOID", f"{{{DEF}}}CommentOID", "WhereClauseOID", "ValueListOID",
              "leafID", f"{{{DEF}}}ArchiveLocationID", f"{{{DEF}}}StandardOID", f"{{{DEF}}}ItemOID",
              "ItemGroupOID", "ParameterOID")


def oid_problems(tree: etree._ElementTree) -> list[str]:
    """Messages for dangling references, unreferenced definitions and duplicate OIDs (empty when sound)."""
    root = tree.getroot()
    defined: dict[str, str] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for tag, attr in DEFINED:
        for el in root.iter(tag):
            oid = el.get(attr)
            if oid is None:
                continue
            counts[(tag, oid)] += 1
            defined[oid] = tag
    problems = [f"{etree.QName(tag).localname} {oid} is defined {n} times" for (tag, oid), n in counts.items() if n > 1]
    referenced: set[str] = set()
    for el in root.iter():
        for attr in REFERENCES:
            oid = el.get(attr)
            if oid is None:
                continue
            referenced.add(oid)
            if oid not in defined:
                parent = el.getparent()
                where = el.get("OID") or (parent.get("OID") if parent is not None else None) \
                    or etree.QName(el).localname
                problems.append(f"{etree.QName(attr).localname} {oid} (on {where}, line {el.sourceline}) is not defined")
    # the Define-XML CT package describes the define's own enumerations: nothing in the define refers to it
    implicit = {el.get("OID") for el in root.iter(f"{{{DEF}}}Standard") if el.get("PublishingSet") == "DEFINE-XML"}
    for oid, tag in defined.items():
        if tag not in NEED_NO_REFERENCE and oid not in referenced and oid not in implicit:
            problems.append(f"{etree.QName(tag).localname} {oid} is defined but nothing refers to it")
    return problems
