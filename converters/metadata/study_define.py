"""What study.yaml says for the define: the MetaDataVersion OID and name, the documents (aCRF, reviewer's
guides) with their files, and the versions of external dictionaries (MedDRA, WHODrug).

study.yaml (all optional)::

    standards: {meddra: "27.1", whodrug: "2025-03 B3"}
    define:
      metadata_version: {oid: MDV.CARNK-SCLC-101.SDTM, name: CARNK-SCLC-101 SDTM, description: ...}
      documents:
        - {id: acrf, kind: AnnotatedCRF, title: Annotated CRF, file: docs/acrf.pdf}
        - {id: csdrg, kind: SupplementalDoc, title: Clinical Study Data Reviewer's Guide, file: docs/csdrg.pdf}

Files are relative to study.yaml and must exist; the define command copies them beside define.xml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import Location, SpecError
from converters.metadata.model import Codelist, Document, Study

DOCUMENT_KINDS = ("AnnotatedCRF", "SupplementalDoc")
#: Variables whose values come from an external dictionary: (dictionary, study.yaml standards key or None).
EXTERNAL_DICTIONARIES: dict[str, tuple[str, str | None]] = {
    **{f"{p}{v}": ("MedDRA", "meddra") for p in ("AE", "MH", "CE")
       for v in ("LLT", "DECOD", "HLT", "HLGT", "BODSYS", "SOC")},
    "CMDECOD": ("WHODrug", "whodrug"), "PRDECOD": ("WHODrug", "whodrug"),
    "COUNTRY": ("ISO 3166-1 alpha-3", None),
}
CODELIST_NAMES = {"MedDRA": "MEDDRA", "WHODrug": "WHODRUG", "ISO 3166-1 alpha-3": "ISO3166"}


@dataclass
class DefineSettings:
    """The define section of study.yaml, resolved."""

    mdv_oid: str | None = None
    mdv_name: str | None = None
    mdv_description: str | None = None
    documents: list[Document] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # leaf ID -> file on disk
    dictionary_versions: dict[str, str] = field(default_factory=dict)  # meddra -> 27.1


def _fail(message: str, file: Path, line: int | None, hint: str | None = None) -> SpecError:
    return SpecError(message, Location(str(file), line), hint)


def _line(node: object, key: str) -> int | None:
    """The line of ``key`` in a mapping read by the line-keeping YAML loader (None for other mappings)."""
    line_of = getattr(node, "line_of", None)
    return line_of(key) if line_of is not None else None


def read_define_settings(path: str | Path) -> DefineSettings:
    """Read the define section and dictionary versions of study.yaml (or of the study.yaml in a folder)."""
    from converters.spec.yaml_lines import load_yaml_file

    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    doc = load_yaml_file(path)
    settings = DefineSettings()
    standards = doc.get("standards") or {}
    for key in ("meddra", "whodrug"):
        if standards.get(key) is not None:
            settings.dictionary_versions[key] = str(standards[key])
    section = doc.get("define") or {}
    if not isinstance(section, dict):
        raise _fail("define: must be a mapping", path, _line(doc, "define"))
    for key in section:
        if key not in ("metadata_version", "documents"):
            raise _fail(f"define: unknown key {key!r}", path, _line(section, key),
                        "define takes metadata_version and documents")
    mdv = section.get("metadata_version") or {}
    settings.mdv_oid = mdv.get("oid")
    settings.mdv_name = mdv.get("name")
    settings.mdv_description = mdv.get("description")
    for row in section.get("documents") or []:
        line = _line(row, "id")
        missing = [k for k in ("id", "title", "file") if not row.get(k)]
        if missing:
            raise _fail(f"define.documents: a document needs {', '.join(missing)}", path, line,
                        "e.g. {id: acrf, kind: AnnotatedCRF, title: Annotated CRF, file: acrf.pdf}")
        kind = row.get("kind", "SupplementalDoc")
        if kind not in DOCUMENT_KINDS:
            raise _fail(f"define.documents: kind {kind!r} is not one of {', '.join(DOCUMENT_KINDS)}", path, line)
        file = (path.parent / str(row["file"])).resolve()
        if not file.is_file():
            raise _fail(f"define.documents: file {row['file']} not found (looked for {file})", path, line,
                        "files are relative to study.yaml")
        oid = f"LF.{row['id']}"
        settings.documents.append(Document(oid=oid, title=str(row["title"]), href=file.name, kind=kind))
        settings.files[oid] = file
    return settings


def apply_define_settings(study: Study, settings: DefineSettings) -> Study:
    """Put the MetaDataVersion, documents and external dictionaries into ``study`` (in place; returned)."""
    study.mdv_oid = settings.mdv_oid or study.mdv_oid
    study.mdv_name = settings.mdv_name or study.mdv_name
    study.mdv_description = settings.mdv_description or study.mdv_description
    if settings.documents:
        study.documents = list(settings.documents)
    acrf = next((d.oid for d in study.documents if d.kind == "AnnotatedCRF"), None)
    for ds in study.datasets:
        for var in [*ds.variables, *(vl.item for vl in ds.value_level)]:
            if var.origin is not None and var.origin.pages and var.origin.document is None and acrf:
                var.origin.document = acrf
    assign_external_dictionaries(study, settings.dictionary_versions)
    return study


def assign_external_dictionaries(study: Study, versions: dict[str, str]) -> None:
    """Variables coded with MedDRA, WHODrug or ISO 3166 refer to an ExternalCodeList with the dictionary version."""
    known = {c.name for c in study.codelists}
    for ds in study.datasets:
        for var in ds.variables:
            entry = EXTERNAL_DICTIONARIES.get(var.name)
            if entry is None or var.codelist or var.is_numeric:
                continue
            dictionary, key = entry
            name = CODELIST_NAMES[dictionary]
            var.codelist = name
            if name not in known:
                study.codelists.append(Codelist(name=name, label=dictionary, dictionary=dictionary,
                                                version=versions.get(key) if key else None))
                known.add(name)
