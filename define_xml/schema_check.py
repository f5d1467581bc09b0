"""Validate a define against the bundled official schemas (Define-XML 2.1, ARM 1.0), offline."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

DEFINE_XSD = ("cdisc-define-2.1", "define2-1-0.xsd")
ARM_XSD = ("cdisc-arm-1.0", "arm1-0-0.xsd")
ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"


def safe_parser() -> etree.XMLParser:
    """An XML parser with entities, DTDs and the network off."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@lru_cache(maxsize=2)
def schema(arm: bool) -> etree.XMLSchema:
    """The Define-XML 2.1 schema, or the ARM 1.0 schema (which includes it) for ADaM defines with results."""
    folder, name = ARM_XSD if arm else DEFINE_XSD
    path = Path(str(resources.files("define_xml").joinpath("schema", folder, name)))
    return etree.XMLSchema(etree.parse(str(path), safe_parser()))


def uses_arm(tree: etree._ElementTree) -> bool:
    return bool(tree.getroot().xpath("//*[namespace-uri()=$ns]", ns=ARM_NS))


def schema_errors(tree: etree._ElementTree) -> list[str]:
    """``line N: message`` for each schema error (empty when valid); ARM schema when the define uses arm:."""
    xsd = schema(uses_arm(tree))
    if xsd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}"
            for e in xsd.error_log]  # type: ignore[attr-defined]  # lxml-stubs: _ErrorLog is iterable at run time
