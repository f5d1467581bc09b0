"""JSON report for machines: summary, the findings grouped by problem, the rules that ran, datasets read, stale
dispositions.

``findings`` holds one entry per distinct problem (:func:`converters.validate.reports.finding_groups`): the
keys of a finding (``record``, ``usubjid`` and ``seq`` of its first record), ``count`` (records with that
problem) and ``records`` (the first few).  A rule failing on a million records with three distinct values
gives three entries; ``findings.csv`` lists every record.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult
from converters.validate.reports.csv import COLUMNS


def report_header(result: ValidationResult, summary: pd.DataFrame, title: str = "") -> dict:
    """Everything of the report except the findings."""
    from converters import __version__
    from converters.validate.reports import dataset_rows

    study = result.study
    return {
        "tool": f"cdisc-convert {__version__}",
        "title": title,
        "standard": study.standard if study else "",
        "ct_version": "2025-03-28",
        "folder_ig_version": study.ig_version[0] if study else "",
        "folder_ig_version_from": study.ig_version[1] if study else "",
        "encodings": {name: getattr(ds.facts, "encoding", "") for name, ds in sorted(study.datasets.items())
                      if getattr(ds.facts, "encoding", "ascii") != "ascii"} if study else {},
        "study": study.studyid if study else "",
        "datasets": dataset_rows(result),
        "rules_run": [r.id for r in result.rules],
        "rule_errors": result.rule_errors,
        "finding_records": int(len(result.findings)),
        "summary": summary.astype(object).where(summary.notna(), None).to_dict(orient="records"),
        "stale_dispositions": [{"rule": d.rule, "dataset": d.dataset, "line": d.line, "reason": d.reason}
                               for d in result.stale_dispositions],
    }


def finding_records(result: ValidationResult):
    """Each group of findings as a plain dict (None for missing), in report order, with its count and first records."""
    from converters.validate.reports import finding_groups

    groups = finding_groups(result)
    keys = [*COLUMNS, "count", "records"]
    findings = groups.reindex(columns=keys)
    columns = [findings[c].astype(object).where(findings[c].notna(), None).tolist() for c in keys]
    for values in zip(*columns):
        yield dict(zip(keys, values))


def write_json(result: ValidationResult, summary: pd.DataFrame, path: Path, title: str = "") -> Path:
    """One JSON document; findings one per line so large reports stay fast to write and easy to diff."""
    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain)
    header = report_header(result, summary, title)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=_plain)},\n")
        out.write(' "findings": [')
        for i, record in enumerate(finding_records(result)):
            out.write(("\n  " if i == 0 else ",\n  ") + compact.encode(record))
        out.write("\n ]\n}\n")
    return path


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)
