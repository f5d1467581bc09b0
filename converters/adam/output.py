"""Write an ADaM build: XPT v5 and Dataset-JSON 1.1 per dataset, metadata.json, build-summary.csv and the
escalation summary, atomically (a temporary folder beside the target replaces it in one rename)."""
from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from converters.adam.build import AdamBuild
from converters.adam.escalation import EscalationSummary, write_escalation_csv
from converters.metadata.io import write_metadata
from converters.writers.dataset_json import write_dataset_json
from converters.writers.xpt import write_xpt

DEFAULT_CREATED = datetime(2025, 1, 1, 0, 0, 0)
SUMMARY_COLUMNS = ["dataset", "source", "source_records", "records", "subjects", "variables"]


def summary_rows(build: AdamBuild) -> list[list]:
    """Per dataset: name, source dataset, source records read, records written, subjects, variables."""
    return [[d.name, d.source, d.source_records, len(d.frame),
             int(d.frame["USUBJID"].nunique()) if "USUBJID" in d.frame else "", len(d.dataset.variables)]
            for d in build.datasets]


def write_adam(build: AdamBuild, out: str | Path, created: datetime | None = None,
               escalation: EscalationSummary | None = None) -> Path:
    """Write every dataset of ``build`` (and the escalation summary) to ``out``, replacing it as a whole."""
    from converters.sdtm.output import _swap
    from converters.sdtm.study import os_error

    out = Path(out).resolve()
    created = created or DEFAULT_CREATED
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise os_error(exc, "write") from None
    try:
        oid = build.study.studyid
        for d in build.datasets:
            write_xpt(d.frame, d.dataset, tmp / f"{d.name.lower()}.xpt", created=created)
            write_dataset_json(d.frame, d.dataset, tmp / f"{d.name.lower()}.json", study_oid=oid,
                               metadata_version_oid=f"MDV.{oid}.ADaMIG.1.3", created=created)
        with open(tmp / "build-summary.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(SUMMARY_COLUMNS)
            writer.writerows(summary_rows(build))
        if escalation is not None:
            write_escalation_csv(escalation, tmp / "escalation-summary.csv")
        write_metadata(build.study, tmp / "metadata.json")
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_error(exc, "write") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
