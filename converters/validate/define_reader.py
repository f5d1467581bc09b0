"""Read what a Define-XML (2.0 or 2.1) says about datasets, variables and codelists, for define-vs-data rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import DataError, Location

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
DEF20 = "{http://www.cdisc.org/ns/def/v2.0}"


@dataclass
class DefineVariable:
    name: str
    data_type: str
    length: int | None
    label: str
    codelist: str | None  # CodeList OID


@dataclass
class DefineMeta:
    """Datasets with their variables, and codelists with their coded values, as the define states them."""

    path: Path
    datasets: dict[str, dict[str, DefineVariable]] = field(default_factory=dict)
    dataset_labels: dict[str, str] = field(default_factory=dict)
    codelists: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # OID -> (name, values)
    schema_errors: list[str] = field(default_factory=list)

    def codelist_values_for(self, dataset: str) -> dict[str, set[str]]:
        """Variable -> coded values of the codelist the define names for it, in ``dataset``."""
        out = {}
        for name, var in self.datasets.get(dataset, {}).items():
            if var.codelist and var.codelist in self.codelists:
                out[name] = self.codelists[var.codelist][1]
        return out


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def read_define(path: str | Path, check_schema: bool = True) -> DefineMeta:
    """Parse ``path``; DataError naming the file if it is not XML.  Schema errors are kept, not raised."""
    from lxml import etree

    source = Path(path)
    try:
        tree = etree.parse(str(source), _parser())
    except (OSError, etree.XMLSyntaxError) as exc:
        raise DataError(f"cannot read define: {exc}", where=Location(file=str(source)),
                        hint="give a Define-XML 2.1 file with --define") from exc
    root = tree.getroot()
    meta = DefineMeta(path=source)
    items: dict[str, tuple[str, str, int | None, str, str | None]] = {}
    for item in root.iter(f"{ODM}ItemDef"):
        length = item.get("Length")
        label = ""
        desc = item.find(f"{ODM}Description/{ODM}TranslatedText")
        if desc is not None and desc.text:
            label = desc.text.strip()
        ref = item.find(f"{ODM}CodeListRef")
        items[item.get("OID")] = (item.get("Name", ""), item.get("DataType", "text"),
                                  int(length) if length and length.isascii() and length.isdigit() else None, label,
                                  ref.get("CodeListOID") if ref is not None else None)
    for group in root.iter(f"{ODM}ItemGroupDef"):
        name = group.get("Name", "").upper()
        desc = group.find(f"{ODM}Description/{ODM}TranslatedText")
        meta.dataset_labels[name] = (desc.text or "").strip() if desc is not None else ""
        variables = {}
        for ref in group.iter(f"{ODM}ItemRef"):
            found = items.get(ref.get("ItemOID"))
            if found:
                variables[found[0]] = DefineVariable(*found)
        meta.datasets[name] = variables
    for cl in root.iter(f"{ODM}CodeList"):
        values = {i.get("CodedValue") for i in cl.iter(f"{ODM}CodeListItem")}
        values |= {i.get("CodedValue") for i in cl.iter(f"{ODM}EnumeratedItem")}
        meta.codelists[cl.get("OID")] = (cl.get("Name", ""), {v for v in values if v is not None})
    if check_schema:
        meta.schema_errors = schema_errors(tree)
    return meta


def schema_errors(tree) -> list[str]:
    """Messages of the Define-XML 2.1 XSD for ``tree`` (empty when valid or when the schema is not installed)."""
    from importlib import resources

    from lxml import etree

    try:
        xsd_path = resources.files("define_xml").joinpath("schema", "cdisc-define-2.1", "define2-1-0.xsd")
        schema = etree.XMLSchema(etree.parse(str(xsd_path), _parser()))
    except (OSError, ModuleNotFoundError, etree.XMLSchemaParseError):
        return []
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log][:200]
