"""CSV reports: every finding (no cap: CSV has no row limit) and the summary by rule and dataset."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult

COLUMNS = ["rule", "severity", "dataset", "variable", "record", "usubjid", "seq", "values", "message", "explained",
           "reason", "by", "new"]


def write_csv(result: ValidationResult, summary: pd.DataFrame, out: Path) -> list[Path]:
    findings_path, summary_path = out / "findings.csv", out / "summary.csv"
    result.findings.reindex(columns=COLUMNS).to_csv(findings_path, index=False, lineterminator="\n")
    summary.to_csv(summary_path, index=False, lineterminator="\n")
    return [findings_path, summary_path]
