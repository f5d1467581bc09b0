"""Validation reports: HTML (summary, filters, drill-down), XLSX and CSV (never break on size), JSON for machines."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult
from converters.validate.model import SEVERITY_RANK

FORMATS = ("html", "xlsx", "csv", "json")
#: Records per rule and dataset shown in the HTML drill-down and the XLSX detail sheet.
DETAIL_CAP = 1000


def summary_rows(result: ValidationResult) -> pd.DataFrame:
    """One row per rule and dataset with counts and the rule's catalog data, worst and unexplained first."""
    from converters.validate.catalog import REGISTRY

    f = result.findings
    cols = ["rule", "severity", "dataset", "count", "explained", "unexplained", "new", "title", "message",
            "citation", "core", "fda"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    grouped = (f.assign(explained=f["explained"].astype(int), new=f["new"].astype(int))
               .groupby(["rule", "severity", "dataset"], sort=False)
               .agg(count=("rule", "size"), explained=("explained", "sum"), new=("new", "sum"),
                    message=("message", "first")).reset_index())
    grouped["unexplained"] = grouped["count"] - grouped["explained"]
    grouped["title"] = grouped["rule"].map(lambda r: REGISTRY[r].title)
    grouped["citation"] = grouped["rule"].map(lambda r: REGISTRY[r].citation)
    grouped["core"] = grouped["rule"].map(lambda r: REGISTRY[r].core)
    grouped["fda"] = grouped["rule"].map(lambda r: REGISTRY[r].fda)
    grouped["_open"] = grouped["unexplained"].eq(0)
    grouped["_rank"] = grouped["severity"].map(SEVERITY_RANK)
    grouped = grouped.sort_values(["_open", "_rank", "rule", "dataset"], kind="stable")
    return grouped[cols].reset_index(drop=True)


def write_reports(result: ValidationResult, out_dir: str | Path, formats=FORMATS, title: str = "") -> list[Path]:
    """Write the chosen report formats into ``out_dir`` (created); return the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_rows(result)
    written: list[Path] = []
    if "json" in formats:
        from converters.validate.reports.json import write_json

        written.append(write_json(result, summary, out / "findings.json", title))
    if "csv" in formats:
        from converters.validate.reports.csv import write_csv

        written += write_csv(result, summary, out)
    if "xlsx" in formats:
        from converters.validate.reports.xlsx import write_xlsx

        written.append(write_xlsx(result, summary, out / "findings.xlsx"))
    if "html" in formats:
        from converters.validate.reports.html import write_html

        written.append(write_html(result, summary, out / "report.html", title))
    return written


def dataset_rows(result: ValidationResult) -> list[dict]:
    """Datasets read: name, label, records, variables, file."""
    study = result.study
    if study is None:
        return []
    return [{"dataset": name, "label": ds.meta.label or "", "records": len(ds), "variables": len(ds.columns),
             "file": ds.path.name if ds.path else ""} for name, ds in sorted(study.datasets.items())]
