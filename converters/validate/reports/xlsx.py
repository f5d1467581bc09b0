"""XLSX report in write-only mode: a summary sheet and detail sheets capped so Excel never chokes.

Details hold at most ``DETAIL_CAP`` records per rule and dataset and at most ``SHEET_CAP``
rows per sheet (further sheets continue); every cap says how many rows were left out,
and ``findings.csv`` holds them all.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.validate.engine import ValidationResult
from converters.validate.reports import DETAIL_CAP
from converters.validate.reports.csv import COLUMNS

SHEET_CAP = 200_000
MAX_SHEETS = 5


def write_xlsx(result: ValidationResult, summary: pd.DataFrame, path: Path, detail_cap: int = DETAIL_CAP,
               sheet_cap: int = SHEET_CAP) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    f = result.findings
    shown = f.groupby(["rule", "dataset"], sort=False).head(detail_cap) if len(f) else f
    shown_counts = shown.groupby(["rule", "dataset"]).size() if len(shown) else pd.Series(dtype=int)
    ws = wb.create_sheet("Summary")
    ws.append(["Rule", "Severity", "Dataset", "Findings", "Explained", "Unexplained", "New", "Title", "Message",
               "Citation", "CORE", "FDA", "Rows in detail", "Rows left out of detail"])
    for row in summary.to_dict("records"):  # records, not itertuples: a column is named "count"
        in_detail = int(shown_counts.get((row["rule"], row["dataset"]), 0))
        ws.append([row["rule"], row["severity"], row["dataset"], int(row["count"]), int(row["explained"]),
                   int(row["unexplained"]), int(row["new"]), row["title"], row["message"], row["citation"],
                   row["core"], row["fda"], in_detail, int(row["count"]) - in_detail])
    left_out_total = len(f) - len(shown)
    detail = shown.reindex(columns=COLUMNS)
    start, sheet_no = 0, 1
    while True:
        chunk = detail.iloc[start:start + sheet_cap]
        ws = wb.create_sheet("Findings" if sheet_no == 1 else f"Findings {sheet_no}")
        ws.append([c.capitalize() for c in COLUMNS])
        for values in chunk.astype(object).where(chunk.notna(), None).itertuples(index=False, name=None):
            ws.append([_cell(v) for v in values])
        start += sheet_cap
        if start >= len(detail) or sheet_no >= MAX_SHEETS:
            left_out_total += max(len(detail) - start, 0)
            break
        sheet_no += 1
    if left_out_total:
        ws.append([f"{left_out_total} finding rows left out of the detail sheets "
                   f"(at most {detail_cap} per rule and dataset); findings.csv holds every row"])
    ws = wb.create_sheet("Rules")
    ws.append(["Rule", "Severity", "Title", "Citation", "CORE", "FDA"])
    for item in result.rules:
        ws.append([item.id, item.severity, item.title, item.citation, item.core, item.fda])
    wb.save(path)
    _fix_timestamps(path)
    return path


def _cell(value):
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never let a data value become a spreadsheet formula
    return value


def _fix_timestamps(path: Path) -> None:
    """Pin the workbook's created/modified stamps so identical input gives an identical file."""
    import zipfile

    fixed = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                              rb"<dcterms:\1\2>2000-01-01T00:00:00Z</dcterms:\1>", data)
            item = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            item.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(item, data)
    fixed.replace(path)
