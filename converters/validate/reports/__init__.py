"""Validation reports: HTML (summary, filters, drill-down), XLSX and CSV (never break on size), JSON for machines."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
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


#: What makes findings one problem: the same rule, dataset, variables, values and message, with the same
#: status (explained by the same disposition, new or not).  Subjects and records differ within a group.
GROUP_KEYS = ["rule", "severity", "dataset", "variable", "values", "message", "explained", "reason", "by", "new"]
#: Records named with each group in the JSON and HTML reports (every record is in findings.csv).
FIRST_RECORDS = 5


def finding_groups(result: ValidationResult) -> pd.DataFrame:
    """One row per distinct problem (:data:`GROUP_KEYS`), in report order: its count and its first records.

    ``record``, ``usubjid`` and ``seq`` are those of the group's first record; ``records`` lists the first
    :data:`FIRST_RECORDS` as ``{record, usubjid, seq}``.  Memory follows the groups: one grouping pass over
    the findings, then only the groups and their first records are kept.
    """
    f = result.findings
    cached = result.cache.get("groups")
    if isinstance(cached, tuple) and cached[0] is f:
        return cached[1]
    columns = [*GROUP_KEYS, "record", "usubjid", "seq", "count", "records"]
    if f.empty:
        return pd.DataFrame(columns=columns)
    keys = [c for c in GROUP_KEYS if c in f.columns]
    codes = np.zeros(len(f), dtype=np.int64)
    for column in keys:  # one integer per distinct combination, in order of first appearance
        part, uniques = pd.factorize(f[column].astype(object).where(f[column].notna(), ""))
        codes = pd.factorize(codes * (len(uniques) + 1) + part)[0].astype(np.int64)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    firsts = order[starts]
    groups = f.iloc[firsts].reset_index(drop=True)
    groups["count"] = counts
    head = [order[start:start + min(FIRST_RECORDS, count)] for start, count in zip(starts, counts)]
    record, usubjid, seq = (f["record"].to_numpy(dtype=object), f["usubjid"].to_numpy(dtype=object),
                            f["seq"].to_numpy(dtype=object))
    groups["records"] = pd.Series([[{"record": None if pd.isna(record[i]) else int(record[i]), "usubjid": usubjid[i],
                           "seq": seq[i]} for i in rows] for rows in head], dtype=object)
    groups = groups.reindex(columns=[c for c in columns if c in groups.columns or c in ("count", "records")])
    result.cache["groups"] = (f, groups)
    return groups


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
