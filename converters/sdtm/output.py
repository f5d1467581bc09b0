"""Write a study build: XPT v5 and Dataset-JSON 1.1 per dataset, the rejection log, the build summary and
``metadata.json``, atomically.

Everything is written into a temporary folder beside the target, which then
replaces the target in one rename, so a failed run leaves the previous
output intact.  Timestamps come from ``created`` (never the clock), so
identical input gives byte-identical files.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from converters.metadata.io import write_metadata
from converters.sdtm.coverage import write_coverage
from converters.sdtm.study import StudyBuild
from converters.writers.dataset_json import write_dataset_json
from converters.writers.xpt import write_xpt

SUMMARY_COLUMNS = ["domain", "rows_read", "filtered", "records_written", "rows_rejected", "variables", "note"]
#: creation stamp when none is given: fixed, so output never depends on the clock.
DEFAULT_CREATED = datetime(2025, 1, 1, 0, 0, 0)


def summary_rows(build: StudyBuild) -> list[list]:
    """One row per dataset: rows read, filtered by the spec, written, rejected (dropped)."""
    rows = []
    for d in build.domains:
        if d.parent:
            note = f"generated from {d.parent} records"
        elif d.rows_read == 0 and d.records:
            note = "derived from study.yaml and built domains"
        else:
            note = ""
        rows.append([d.name, d.rows_read, d.filtered, d.records, d.rejected, len(d.dataset.variables), note])
    return rows


def write_build(build: StudyBuild, out: str | Path, created: datetime | None = None) -> Path:
    """Write every dataset and report of ``build`` to ``out`` (replacing it as a whole)."""
    from converters.sdtm.study import os_error

    out = Path(out).resolve()
    created = created or DEFAULT_CREATED
    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder", str(out))
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise os_error(exc, "write") from None
    try:
        _write_into(build, tmp, created)
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_error(exc, "write") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_into(build: StudyBuild, tmp: Path, created: datetime) -> None:
    """Write the datasets, the rejection log, the build summary and metadata.json into ``tmp``."""
    study_oid = build.study.studyid
    for d in build.domains:
        name = d.name.lower()
        write_xpt(d.frame, d.dataset, tmp / f"{name}.xpt", created=created)
        write_dataset_json(d.frame, d.dataset, tmp / f"{name}.json", study_oid=study_oid,
                           metadata_version_oid=f"MDV.{study_oid}.SDTMIG.3.4", created=created)
    build.log.write_csv(tmp / "rejections.csv")
    write_coverage(build.coverage, tmp / "coverage.csv")
    with open(tmp / "build-summary.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows(summary_rows(build))
    write_metadata(build.study, tmp / "metadata.json")


def _swap(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new``: rename the old one aside, rename the new one in, remove the old one."""
    os.chmod(new, 0o755)
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
