"""Read what a Define-XML (2.0 or 2.1) says about datasets, variables and codelists, for define-vs-data rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """Datasets with their variables, and codelists with their coded values, as the define states them.

    ``study`` is the whole define read into the metadata model (``define_xml.reader.read_study``), the same
    model the writer reads; the dictionaries below are views of it for the define-vs-data rules.
    """

    path: Path
    datasets: dict[str, dict[str, DefineVariable]] = field(default_factory=dict)
    dataset_labels: dict[str, str] = field(default_factory=dict)
    codelists: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # OID -> (name, values)
    schema_errors: list[str] = field(default_factory=list)
    version: str | None = "2.1"  # Define-XML version by namespace: 2.1, 2.0, 1.0 (None: not a define)
    study: Any = None  # converters.metadata.model.Study
    tree: Any = None  # the parsed document (lxml ElementTree)

    @property
    def supported(self) -> bool:
        return self.version == "2.1"

    def codelist_values_for(self, dataset: str) -> dict[str, set[str]]:
        """Variable -> coded values of the codelists the define names for it, in ``dataset``: at variable level
        and on its value-level items (a result variable's codelist sits on the items whose results are text)."""
        out: dict[str, set[str]] = {}
        for name, var in self.datasets.get(dataset, {}).items():
            if var.codelist and var.codelist in self.codelists:
                out[name] = set(self.codelists[var.codelist][1])
        for name, _where, oid in self.value_codelists(dataset):
            out.setdefault(name, set()).update(self.codelists[oid][1])
        return out

    def value_codelists(self, dataset: str) -> list[tuple[str, tuple, str]]:
        """(variable, where conditions, CodeList OID) of each value-level item of ``dataset`` naming a codelist."""
        out = []
        for ds in getattr(self.study, "datasets", None) or ():
            if ds.name.upper() != dataset:
                continue
            for vl in ds.value_level:
                oid = f"CL.{vl.item.codelist}" if vl.item.codelist else None
                if oid in self.codelists:
                    out.append((vl.variable, vl.where, oid))
        return out


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def read_define(path: str | Path, check_schema: bool = True) -> DefineMeta:
    """Parse ``path``; DataError naming the file if it is not XML.  Schema errors are kept, not raised.

    A Define-XML 1.0 or 2.0 document is read as far as its version says (``version``), with no datasets:
    the 2.1 rules do not apply to it.
    """
    from lxml import etree

    from define_xml.reader import define_version, read_study

    source = Path(path)
    try:
        tree = etree.parse(str(source), _parser())
    except (OSError, etree.XMLSyntaxError) as exc:
        raise DataError(f"cannot read define: {exc}", where=Location(file=str(source)),
                        hint="give a Define-XML 2.1 file with --define") from exc
    meta = DefineMeta(path=source, version=define_version(tree), tree=tree)
    if not meta.supported:
        return meta
    study = read_study(tree)
    meta.study = study
    for ds in study.datasets:
        name = ds.name.upper()
        meta.dataset_labels[name] = ds.label
        meta.datasets[name] = {v.name: DefineVariable(v.name, v.data_type, v.length, v.label,
                                                      f"CL.{v.codelist}" if v.codelist else None)
                               for v in ds.variables}
    for cl in study.codelists:
        if cl.is_external:
            continue  # values come from a dictionary the define does not list
        meta.codelists[cl.oid] = (cl.label or cl.name, {t.submission_value for t in cl.terms})
    if check_schema:
        meta.schema_errors = schema_errors(tree)
    return meta


def schema_errors(tree) -> list[str]:
    """Messages of the Define-XML 2.1 XSD (ARM 1.0 when the define has analysis results) for ``tree``."""
    from define_xml.schema_check import schema_errors as check

    return check(tree)[:200]
