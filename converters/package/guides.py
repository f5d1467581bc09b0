"""Reviewer's guide skeletons (``csdrg.md``, ``adrg.md``) drafted from what the build knows.

Markdown, so the user can finish them and convert them to PDF (e.g. ``pandoc csdrg.md -o csdrg.pdf``). The
sections follow the PHUSE Clinical Study Data Reviewer's Guide and Analysis Data Reviewer's Guide templates
(introduction, standards, datasets, data conventions, conformance, data problems); what the build cannot know
(protocol design text, the aCRF) is left as a marked ``TODO`` for the author:

- standards and versions, and the datasets (name, label, class, structure, keys, records) from the metadata
  model (``metadata.json``);
- the conventions the study team wrote in the mappings README (the sections whose heading names the standard,
  e.g. "SDTM mapping conventions": reference start, grading scales, RACE = MULTIPLE ...);
- the validation dispositions with their reasons (the explanations of accepted findings belong here) and the
  unexplained findings left;
- the rejection log summed by dataset, action and reason, and the FDA technical rejection criteria results.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from converters.metadata.model import Study
from converters.package.rejection import RejectionCheck

#: Rejection reasons are grouped after removing the quoted raw value, so one reason is one line of the summary.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
MAX_REASONS = 40


@dataclass
class GuideInputs:
    """Everything one guide is drafted from; any part may be missing."""

    kind: str  # "SDTM" or "ADaM"
    study: Study | None = None
    readme: Path | None = None
    dispositions: Path | None = None
    validation_summary: Path | None = None  # summary.csv of the validation reports
    rejections: Path | None = None
    build_summary: Path | None = None
    checks: list[RejectionCheck] = field(default_factory=list)
    dataset_folder: str = ""  # package-relative folder of the datasets


def _md(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return lines + [""]


def readme_sections(readme: Path | None, kind: str) -> list[tuple[str, str]]:
    """``## `` sections of a study README whose heading names ``kind`` (SDTM/ADaM) or raw forms left unmapped."""
    if readme is None or not readme.is_file():
        return []
    sections: list[tuple[str, list[str]]] = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
    wanted = []
    for title, body in sections:
        lowered = title.lower()
        if kind.lower() in lowered or (kind == "SDTM" and "not yet mapped" in lowered):
            wanted.append((title, "\n".join(body).strip()))
    return wanted


def _records(build_summary: Path | None) -> dict[str, str]:
    if build_summary is None or not build_summary.is_file():
        return {}
    with open(build_summary, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # SDTM's build summary names the domain and records_written; ADaM's names the dataset and its records.
    return {row.get("domain") or row.get("dataset", ""): row.get("records_written") or row.get("records", "")
            for row in rows}


def dataset_rows(study: Study, records: dict[str, str]) -> Sequence[Sequence[object]]:
    rows = []
    for ds in study.datasets:
        count = records.get(ds.name, ds.records if ds.records is not None else "")
        rows.append([ds.name, ds.label, ds.dataset_class or "", ds.structure or "", ", ".join(ds.keys), count])
    return rows


def rejection_rows(rejections: Path | None) -> tuple[Sequence[Sequence[object]], int]:
    """Rows of the rejection log counted by dataset, action and reason (quoted values removed)."""
    if rejections is None or not rejections.is_file():
        return [], 0
    counts: Counter[tuple[str, str, str]] = Counter()
    with open(rejections, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            reason = _QUOTED.sub("'...'", row.get("reason", ""))
            counts[(row.get("domain", ""), row.get("action", ""), reason)] += 1
    ordered = sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], -kv[1], kv[0][2]))
    rows = [[d or "(no domain)", a, r, n] for (d, a, r), n in ordered[:MAX_REASONS]]
    return rows, max(len(ordered) - MAX_REASONS, 0)


def disposition_rows(path: Path | None) -> Sequence[Sequence[object]]:
    if path is None or not path.is_file():
        return []
    from converters.validate.dispositions import load_dispositions

    return [[d.rule, d.dataset or "", d.variable or "", d.usubjid or "", d.reason, d.by]
            for d in load_dispositions(path)]


def unexplained_rows(summary: Path | None) -> Sequence[Sequence[object]]:
    if summary is None or not summary.is_file():
        return []
    with open(summary, encoding="utf-8", newline="") as handle:
        return [[r["rule"], r["severity"], r["dataset"], r["count"], r["unexplained"], r["title"]]
                for r in csv.DictReader(handle) if r.get("unexplained", "0") not in ("0", "")]


def draft_guide(inputs: GuideInputs) -> str:
    """The Markdown text of one reviewer's guide."""
    kind = inputs.kind
    name = "Clinical Study Data Reviewer's Guide" if kind == "SDTM" else "Analysis Data Reviewer's Guide"
    study = inputs.study
    out = [f"# {name}", ""]
    if study is not None:
        out += [f"Study {study.studyid}: {study.name or study.description}", "",
                f"Protocol: {study.protocol or study.studyid}", ""]
    out += ["Drafted by cdisc-convert from the study's metadata, mapping notes, validation dispositions and rejection "
            "log. Sections marked TODO need the author; the rest restates what the build recorded.", ""]
    out += ["## 1 Introduction", "", "### 1.1 Purpose", "",
            f"This guide describes the {kind} datasets of the study and the conventions used to produce them.", "",
            "### 1.2 Study data standards and dictionary inventory", ""]
    if study is not None and study.standards:
        out += _table(["Standard", "Version", "Type"], [[s.name, s.version, s.type] for s in study.standards])
    out += ["TODO: dictionaries (MedDRA version of the AE coding, WHODrug if used).", ""]
    out += ["## 2 Protocol description", "", "TODO: design, objectives and schedule from the protocol.", ""]
    out += [f"## 3 {kind} datasets", ""]
    if inputs.dataset_folder:
        out += [f"Location in the package: `{inputs.dataset_folder}`.", ""]
    if study is not None:
        out += _table(["Dataset", "Label", "Class", "Structure", "Keys", "Records"],
                      dataset_rows(study, _records(inputs.build_summary)))
    out += ["## 4 Data conventions", ""]
    sections = readme_sections(inputs.readme, kind)
    for title, body in sections:
        out += [f"### {title}", "", body, ""]
    if not sections:
        out += ["TODO: the conventions of this study (reference start, grading scales, multiple races ...).", ""]
    out += ["## 5 Data conformance", "", "### 5.1 FDA technical rejection criteria", ""]
    out += _table(["Rule", "Status", "File", "Result"], [[c.rule, c.status, c.file, c.message] for c in inputs.checks])
    out += ["### 5.2 Explained validation findings", ""]
    dispositions = disposition_rows(inputs.dispositions)
    if dispositions:
        out += _table(["Rule", "Dataset", "Variable", "Subject", "Explanation", "By"], dispositions)
    else:
        out += ["No validation dispositions were given.", ""]
    out += ["### 5.3 Findings without an explanation", ""]
    unexplained = unexplained_rows(inputs.validation_summary)
    if unexplained:
        out += _table(["Rule", "Severity", "Dataset", "Findings", "Unexplained", "Title"], unexplained)
    else:
        out += ["None." if inputs.validation_summary else "The data was not validated in this run.", ""]
    out += ["## 6 Data problems in the raw exports", ""]
    rows, more = rejection_rows(inputs.rejections)
    if rows:
        out += ["Every raw row ends in a record or in the rejection log (`logs/`); by dataset, action and reason:", ""]
        out += _table(["Dataset", "Action", "Reason", "Rows"], rows)
        if more:
            out += [f"... and {more} more reasons in the rejection log.", ""]
    else:
        out += ["No raw row was rejected or left out." if inputs.rejections else "No rejection log.", ""]
    return "\n".join(out).rstrip() + "\n"


def write_guide(inputs: GuideInputs, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draft_guide(inputs), encoding="utf-8")
    return path
