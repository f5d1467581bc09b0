"""What a define says about keys and the implementation-guide version, for the validator's key and version logic.

Kept apart from :mod:`converters.validate.define_reader` (the define-vs-data reader): the KeySequence of each
dataset's ItemRefs (Define-XML 2.0 and 2.1) and the IG version (2.1: ``def:Standard Type="IG"``; 2.0: the
MetaDataVersion's ``def:StandardVersion``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from define_xml.reader import whole_number

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF_NAMESPACES = ("{http://www.cdisc.org/ns/def/v2.1}", "{http://www.cdisc.org/ns/def/v2.0}")


@dataclass
class DefineKeys:
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dataset -> variables by KeySequence
    ig_version: str = ""


def read_define_keys(path: str | Path) -> DefineKeys:
    """Keys and IG version of a define (empty when the file has none; a define that does not parse gives none)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError):
        return DefineKeys()
    names = {item.get("OID"): item.get("Name", "") for item in root.iter(f"{ODM}ItemDef")}
    out = DefineKeys()
    for group in root.iter(f"{ODM}ItemGroupDef"):
        keyed = []
        for ref in group.iter(f"{ODM}ItemRef"):
            sequence = whole_number(ref.get("KeySequence"))  # "²" is a digit to isdigit(), not to int()
            if sequence is not None and ref.get("ItemOID") in names:
                keyed.append((sequence, names[ref.get("ItemOID")]))
        if keyed:
            out.keys[group.get("Name", "").upper()] = tuple(name for _, name in sorted(keyed))
    for ns in DEF_NAMESPACES:
        for standard in root.iter(f"{ns}Standard"):
            if standard.get("Type") == "IG" and "SDTM" in (standard.get("Name") or "").upper():
                out.ig_version = standard.get("Version", "")
                return out
        for mdv in root.iter(f"{ODM}MetaDataVersion"):
            if "SDTM" in (mdv.get(f"{ns}StandardName") or "").upper():
                out.ig_version = mdv.get(f"{ns}StandardVersion", "")
                return out
    return out
