"""Write define.xml (and define.html) for a folder of datasets from its metadata model.

Every write is checked first, and a define that fails a check is not written:

1. the official schema (Define-XML 2.1, or ARM 1.0 when the define carries analysis results), via lxml;
2. OID integrity: every OID referenced is defined, every one defined is referenced, none defined twice;
3. define against data: the validator's define rules (DF*) run on the folder with the new define and must
   find nothing, so the define describes exactly the folder's datasets, variables, lengths and terms.

The HTML is the official CDISC stylesheet (``define2-1.xsl``, bundled in ``define_xml/stylesheet/``) applied
with lxml; the stylesheet is also copied beside define.xml, which names it in an ``xml-stylesheet``
instruction, so a browser opening define.xml renders the same page.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import jinja2
from lxml import etree

from converters.errors import DataError, Location
from converters.metadata.model import Study
from converters.writers.transport import write_bytes_atomically
from define_xml.context import build_context
from define_xml.integrity import oid_problems
from define_xml.schema_check import safe_parser, schema_errors

STYLESHEET = "define2-1.xsl"
#: the files a define writes beside the datasets
DEFINE_FILES = ("define.xml", "define.html", STYLESHEET)
#: creation stamp when none is given: fixed, so identical metadata gives identical bytes.
DEFAULT_CREATED = datetime(2025, 1, 1, 0, 0, 0)


@dataclass
class DefineReport:
    """What a define write produced and what its checks found."""

    xml: Path | None = None
    html: Path | None = None
    schema: str = ""  # "Define-XML 2.1" or "Define-XML 2.1 + ARM 1.0"
    schema_errors: list[str] = field(default_factory=list)
    oid_problems: list[str] = field(default_factory=list)
    data_problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.schema_errors or self.oid_problems or self.data_problems)

    def problems(self) -> list[str]:
        return ([f"schema: {e}" for e in self.schema_errors] + [f"OID: {e}" for e in self.oid_problems]
                + [f"data: {e}" for e in self.data_problems])


def _environment() -> jinja2.Environment:
    folder = str(resources.files("define_xml").joinpath("templates"))
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


def render_define(study: Study, created: datetime | None = None) -> bytes:
    """The define.xml bytes of ``study`` (not checked)."""
    context = build_context(study, created=created or DEFAULT_CREATED, stylesheet=STYLESHEET)
    text = _environment().get_template("define.xml.j2").render(study=study, d=context)
    return text.encode("utf-8")


def parse_define(data: bytes) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(data, safe_parser()))


def count_define(tree: etree._ElementTree) -> dict[str, int]:
    """How many datasets, variables, value-level entries, codelists, methods, comments and displays it holds."""
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
          "arm": "http://www.cdisc.org/ns/arm/v1.0"}
    paths = {"datasets": "//odm:ItemGroupDef", "variables": "//odm:ItemGroupDef/odm:ItemRef",
             "value-level": "//def:ValueListDef/odm:ItemRef", "where clauses": "//def:WhereClauseDef",
             "codelists": "//odm:CodeList", "methods": "//odm:MethodDef", "comments": "//def:CommentDef",
             "documents": "//odm:MetaDataVersion/def:leaf", "result displays": "//arm:ResultDisplay"}
    counts: dict[str, int] = {}
    for name, path in paths.items():
        found = tree.xpath(path, namespaces=ns)
        if not isinstance(found, list):  # an element path always selects a node list
            raise TypeError(f"XPath {path} did not select nodes")
        counts[name] = len(found)
    return counts


def check_define_tree(tree: etree._ElementTree, report: DefineReport) -> None:
    """Schema and OID checks of a define into ``report``."""
    from define_xml.schema_check import uses_arm

    report.schema = "Define-XML 2.1 + ARM 1.0" if uses_arm(tree) else "Define-XML 2.1"
    report.schema_errors = schema_errors(tree)
    report.oid_problems = oid_problems(tree)
    report.counts = count_define(tree)


def data_problems(define: Path, folder: Path) -> list[str]:
    """Findings of the validator's define rules (DF*) for ``define`` against the datasets in ``folder``.

    The datasets are read as the rules look at them (:mod:`define_xml.data_check`): file headers and the distinct
    values of the columns compared with a codelist, so the check costs what the metadata holds, not the records.
    """
    from converters.validate import validate_study
    from converters.validate.define_reader import read_define
    from define_xml.data_check import load_checked

    meta = read_define(define, check_schema=False)
    study = load_checked(folder, meta)
    study.define = meta
    result = validate_study(study, dispositions=None, previous=None, select=["DF000"])
    rows = result.findings
    if rows.empty:
        return []
    return list(dict.fromkeys(f"{r.rule} {r.dataset}: {r.message}" for r in rows.itertuples()))  # each once


def write_define(study: Study, folder: str | Path, *, out: str | Path | None = None, created: datetime | None = None,
                 html: bool = True, check_data: bool = True, files: dict[str, Path] | None = None) -> DefineReport:
    """Write ``define.xml`` (and ``define.html``, ``define2-1.xsl``) describing the datasets in ``folder``.

    ``out`` is the folder the define goes into (default ``folder``; dataset leaves are relative to it).  The
    define is checked against the schema, for OID integrity and (``check_data``) against the datasets in
    ``folder``; when a check fails nothing is written and a DataError lists the problems.  ``files`` (leaf ID ->
    file, from study.yaml's define.documents) are copied beside define.xml, where the leaves point.
    """
    folder = Path(folder)
    out_dir = Path(out) if out is not None else folder
    out_dir.mkdir(parents=True, exist_ok=True)
    _point_leaves(study, folder, out_dir)
    data = render_define(study, created)
    tree = parse_define(data)
    report = DefineReport()
    check_define_tree(tree, report)
    if check_data and report.ok:
        probe = out_dir / ".define-check.xml"
        try:
            probe.write_bytes(data)
            report.data_problems = data_problems(probe, folder)
        finally:
            probe.unlink(missing_ok=True)
    if not report.ok:
        shown = report.problems()
        more = f" (and {len(shown) - 20} more)" if len(shown) > 20 else ""
        raise DataError("the define was not written: " + "; ".join(shown[:20]) + more,
                        Location(str(out_dir / "define.xml")),
                        hint="the metadata.json does not match the datasets or the model is incomplete")
    report.xml = write_bytes_atomically(out_dir / "define.xml", data)
    stylesheet = stylesheet_path()
    if html:
        report.html = write_bytes_atomically(out_dir / "define.html", render_html(tree))
    for source in [stylesheet, *(files or {}).values()]:
        target = out_dir / source.name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
    return report


def write_folder_define(folder: str | Path, *, study_dir: str | Path | None = None, out: str | Path | None = None,
                        created: datetime | None = None, html: bool = True) -> DefineReport:
    """Write the define of a dataset folder from its ``metadata.json`` (what ``define`` and ``run`` call).

    ``study_dir`` (a mapping folder or its study.yaml) adds study.yaml's define settings: MetaDataVersion,
    documents and dictionary versions.
    """
    from converters.metadata.io import read_metadata
    from converters.metadata.study_define import apply_define_settings, read_define_settings

    folder = Path(folder)
    study = read_metadata(folder / "metadata.json")
    settings = read_define_settings(Path(study_dir)) if study_dir is not None else None
    if settings is not None:
        apply_define_settings(study, settings)
    return write_define(study, folder, out=out, created=created, html=html,
                        files=settings.files if settings is not None else None)


def write_guarded_define(folder: str | Path, *, out: str | Path | None = None, force: bool = False,
                         study_dir: str | Path | None = None, created: datetime | None = None,
                         html: bool = True) -> DefineReport:
    """What ``cdisc-convert define`` does: :func:`write_folder_define` behind the output-folder guard.

    With ``out`` (another folder) the define is written as a folder of its own through the guard (new, empty or
    ours; inputs and their ancestors refused; swapped in atomically).  Into the dataset folder itself it writes
    only when that folder is ours (its marker then lists the define files too) or holds no define files yet; a
    define.xml, define.html or define2-1.xsl of someone else's is replaced only with ``force``.
    """
    from converters.writers.output_folder import read_marker, write_marker, write_output_folder

    folder = Path(folder)
    if out is not None and Path(out).resolve() != folder.resolve():
        with write_output_folder(out, "define", force=force, inputs=[folder, study_dir]) as tmp:
            report = write_folder_define(folder, study_dir=study_dir, out=tmp, created=created, html=html)
        final = Path(out).resolve()
        report.xml = final / "define.xml"
        report.html = final / "define.html" if html else None
        return report
    marker = read_marker(folder)
    present = [name for name in DEFINE_FILES if (folder / name).exists()]
    if marker is None and present and not force:
        raise DataError(f"{folder} already holds {', '.join(present)} that this tool did not write",
                        Location(str(folder / present[0])),
                        hint="give --out a new folder for the define, or add --force to replace those files")
    report = write_folder_define(folder, study_dir=study_dir, created=created, html=html)
    if marker is not None:
        write_marker(folder, str(marker.get("kind", "define")), "complete")
    return report


def _point_leaves(study: Study, folder: Path, out_dir: Path) -> None:
    """Dataset leaves relative to the define: ``<name>.xpt`` beside it, or the path from ``out_dir`` to ``folder``."""
    import os

    if folder.resolve() == out_dir.resolve():
        return
    rel = Path(os.path.relpath(folder.resolve(), out_dir.resolve()))
    for ds in study.datasets:
        if ds.leaf is None:
            ds.leaf = (rel / f"{ds.name.lower()}.xpt").as_posix()


def stylesheet_path() -> Path:
    return Path(str(resources.files("define_xml").joinpath("stylesheet", STYLESHEET)))


def render_html(tree: etree._ElementTree) -> bytes:
    """define.html: the official CDISC define2-1.xsl applied to the define."""
    xslt = etree.XSLT(etree.parse(str(stylesheet_path()), safe_parser()))
    return bytes(xslt(tree))
