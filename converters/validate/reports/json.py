"""JSON report for machines: summary, every finding, the rules that ran, datasets read, stale dispositions."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult
from converters.validate.reports.csv import COLUMNS


def report_document(result: ValidationResult, summary: pd.DataFrame, title: str = "") -> dict:
    from converters import __version__
    from converters.validate.reports import dataset_rows

    study = result.study
    findings = result.findings.reindex(columns=COLUMNS).astype(object)
    findings = findings.where(findings.notna(), None)
    return {
        "tool": f"cdisc-convert {__version__}",
        "title": title,
        "standard": study.standard if study else "",
        "ct_version": "2025-03-28",
        "study": study.studyid if study else "",
        "datasets": dataset_rows(result),
        "rules_run": [r.id for r in result.rules],
        "rule_errors": result.rule_errors,
        "summary": summary.astype(object).where(summary.notna(), None).to_dict(orient="records"),
        "stale_dispositions": [{"rule": d.rule, "dataset": d.dataset, "line": d.line, "reason": d.reason}
                               for d in result.stale_dispositions],
        "findings": findings.to_dict(orient="records"),
    }


def write_json(result: ValidationResult, summary: pd.DataFrame, path: Path, title: str = "") -> Path:
    doc = report_document(result, summary, title)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=_plain) + "\n", encoding="utf-8")
    return path


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)
