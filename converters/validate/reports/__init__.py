"""Validation reports: HTML (summary, filters, drill-down), XLSX and CSV (never break on size), JSON for machines."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def atomic_report(path: Path) -> Iterator[Path]:
    """A hidden temporary file beside ``path`` to write; renamed over ``path`` only when the block completes.

    A run that is killed or fails while writing leaves the previous report whole (and at most a ``.part``
    file, which the next run replaces).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_reports(result: ValidationResult, out_dir: str | Path, formats=FORMATS, title: str = "") -> list[Path]:
    """Write the chosen report formats into ``out_dir`` (created), each file atomically; return the files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_rows(result)
    written: list[Path] = []
    if "json" in formats:
        from converters.validate.reports.json import write_json

        with atomic_report(out / "findings.json") as tmp:
            write_json(result, summary, tmp, title)
        written.append(out / "findings.json")
    if "csv" in formats:
        from converters.validate.reports.csv import write_findings_csv, write_summary_csv

        with atomic_report(out / "findings.csv") as tmp:
            write_findings_csv(result, tmp)
        with atomic_report(out / "summary.csv") as tmp:
            write_summary_csv(summary, tmp)
        written += [out / "findings.csv", out / "summary.csv"]
    if "xlsx" in formats:
        from converters.validate.reports.xlsx import write_xlsx

        with atomic_report(out / "findings.xlsx") as tmp:
            write_xlsx(result, summary, tmp)
        written.append(out / "findings.xlsx")
    if "html" in formats:
        from converters.validate.reports.html import write_html

        with atomic_report(out / "report.html") as tmp:
            write_html(result, summary, tmp, title)
        written.append(out / "report.html")
    return written


def dataset_rows(result: ValidationResult) -> list[dict]:
    """Datasets read: name, label, records, variables, file."""
    study = result.study
    if study is None:
        return []
    return [{"dataset": name, "label": ds.meta.label or "", "records": len(ds), "variables": len(ds.columns),
             "file": ds.path.name if ds.path else ""} for name, ds in sorted(study.datasets.items())]
