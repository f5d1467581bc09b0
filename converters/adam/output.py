"""Write an ADaM build: XPT v5 and Dataset-JSON 1.1 per dataset, metadata.json, build-summary.csv, the escalation
summary and define.xml, atomically through the output-folder guard (a temporary folder replaces the target)."""
from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from converters.adam.build import AdamBuild, AdamDataset
from converters.adam.escalation import EscalationSummary, write_escalation_csv
from converters.metadata.io import write_metadata
from converters.writers.dataset_json import write_dataset_json
from converters.writers.output_folder import write_output_folder
from converters.writers.text_facts import dataset_text_facts
from converters.writers.xpt import write_xpt

DEFAULT_CREATED = datetime(2025, 1, 1, 0, 0, 0)
SUMMARY_COLUMNS = ["dataset", "source", "source_records", "records", "subjects", "variables"]


def summary_rows(build: AdamBuild) -> list[list]:
    """Per dataset: name, source dataset, source records read, records written, subjects, variables."""
    return [[d.name, d.source, d.source_records, len(d.frame), count_subjects(d), len(d.dataset.variables)]
            for d in build.datasets]


def count_subjects(d: AdamDataset) -> int | str:
    """Subjects in a built dataset ('' without USUBJID), counted once (before its frame is thinned)."""
    if d.subjects is None:
        d.subjects = int(d.frame["USUBJID"].nunique()) if "USUBJID" in d.frame else ""
    return d.subjects


def write_dataset_files(d: AdamDataset, folder: Path, study_oid: str, created: datetime) -> None:
    """``<dataset>.xpt`` and ``<dataset>.json`` of one built dataset, its text columns measured once for both."""
    facts = d.facts or dataset_text_facts(d.frame, d.dataset)  # each text column measured once for all
    write_xpt(d.frame, d.dataset, folder / f"{d.name.lower()}.xpt", created=created, facts=facts)
    write_dataset_json(d.frame, d.dataset, folder / f"{d.name.lower()}.json", study_oid=study_oid,
                       metadata_version_oid=f"MDV.{study_oid}.ADaMIG.1.3", created=created, facts=facts)


def write_study_files(build: AdamBuild, folder: Path, created: datetime, escalation: EscalationSummary | None = None,
                      *, define: bool = True) -> None:
    """What follows the datasets: build-summary.csv, the escalation summary, metadata.json and the define."""
    with open(folder / "build-summary.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows(summary_rows(build))
    if escalation is not None:
        write_escalation_csv(escalation, folder / "escalation-summary.csv")
    write_metadata(build.study, folder / "metadata.json")
    if define:
        from define_xml.writer import write_define

        write_define(build.study, folder, created=created)


def write_adam(build: AdamBuild, out: str | Path, created: datetime | None = None,
               escalation: EscalationSummary | None = None, *, define: bool = True, force: bool = False,
               inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write every dataset of ``build`` (and the escalation summary) to ``out``, replacing it as a whole, with its
    Define-XML 2.1 and define.html unless ``define`` is False.

    ``out`` goes through the output-folder guard (``converters.writers.output_folder``): new, empty or this tool's
    previous output (``force`` skips that), never one of ``inputs`` or a folder holding one.
    """
    created = created or DEFAULT_CREATED
    with write_output_folder(out, "adam", force=force, inputs=inputs) as tmp:
        for d in build.datasets:
            write_dataset_files(d, tmp, build.study.studyid, created)
        write_study_files(build, tmp, created, escalation, define=define)
    return Path(out).resolve()
