"""CSV reports: every finding (no cap: CSV has no row limit) and the summary by rule and dataset."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult

COLUMNS = ["rule", "severity", "dataset", "variable", "record", "usubjid", "seq", "values", "message", "explained",
           "reason", "by", "new"]


def write_csv(result: ValidationResult, summary: pd.DataFrame, out: Path) -> list[Path]:
    """``findings.csv`` and ``summary.csv`` in ``out``."""
    return [write_findings_csv(result, out / "findings.csv"), write_summary_csv(summary, out / "summary.csv")]


def write_findings_csv(result: ValidationResult, path: Path) -> Path:
    result.findings.reindex(columns=COLUMNS).to_csv(path, index=False, lineterminator="\n")
    return path


def write_summary_csv(summary: pd.DataFrame, path: Path) -> Path:
    summary.to_csv(path, index=False, lineterminator="\n")
    return path
