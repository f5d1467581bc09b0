"""Write an ADaM build: XPT v5 and Dataset-JSON 1.1 per dataset, metadata.json, build-summary.csv, the escalation
summary and define.xml, atomically through the output-folder guard (a temporary folder replaces the target)."""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from converters.adam.build import AdamBuild, AdamDataset
from converters.adam.escalation import EscalationSummary, write_escalation_csv
from converters.engine.compact import CompactFrame
from converters.metadata.io import write_metadata
from converters.sdtm.output import write_pieces
from converters.writers.dataset_json import write_dataset_json
from converters.writers.output_folder import write_output_folder
from converters.writers.text_facts import TextFacts, dataset_text_facts
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
        d.subjects = int(d.columns(["USUBJID"])["USUBJID"].nunique()) if "USUBJID" in d.frame.columns else ""
    return d.subjects


#: records of a dataset held as codes made into an object frame at a time when it is written
PIECE_RECORDS = 100_000


def write_dataset_files(d: AdamDataset, folder: Path, study_oid: str, created: datetime) -> None:
    """``<dataset>.xpt`` and ``<dataset>.json`` of one built dataset, its text columns measured once for both.

    A dataset held as codes (put together from batches of subjects) is written piece by piece, each piece of
    :data:`PIECE_RECORDS` records made an object frame only while it is written, with the slices of the whole
    dataset's text facts: the same bytes as writing it whole (``tests/test_adam_batches.py``).
    """
    if isinstance(d.frame, CompactFrame):
        write_pieces(d.dataset, folder / d.name.lower(), compact_pieces(d.frame, d.facts, PIECE_RECORDS),
                     len(d.frame), created, study_oid, f"MDV.{study_oid}.ADaMIG.1.3")
        return
    facts = d.facts or dataset_text_facts(d.frame, d.dataset)  # each text column measured once for all
    write_xpt(d.frame, d.dataset, folder / f"{d.name.lower()}.xpt", created=created, facts=facts)
    write_dataset_json(d.frame, d.dataset, folder / f"{d.name.lower()}.json", study_oid=study_oid,
                       metadata_version_oid=f"MDV.{study_oid}.ADaMIG.1.3", created=created, facts=facts)


def compact_pieces(frame: CompactFrame, facts: Mapping[str, TextFacts], size: int
                   ) -> Iterator[tuple[pd.DataFrame, dict[str, TextFacts]]]:
    """The records of ``frame`` ``size`` at a time, each as an object frame with its text facts (cut from the
    whole dataset's ``facts``, :func:`slice_facts`)."""
    for start in range(0, len(frame), size):
        stop = min(start + size, len(frame))
        piece = frame.take(np.arange(start, stop)).frame()
        yield piece, {name: slice_facts(found, start, stop) for name, found in facts.items()}
        del piece


def slice_facts(facts: TextFacts, start: int, stop: int) -> TextFacts:
    """The text facts of records ``start:stop`` of a column, as :func:`text_facts` of those records gives them
    (only the values they use, in order of first appearance among them), cut from the whole column's facts
    without measuring a value again."""
    local, used = pd.factorize(facts.codes[start:stop])  # -1 (missing) is one of the codes factorized
    used = np.asarray(used)
    present = used >= 0
    recode = np.where(present, np.cumsum(present) - 1, -1)
    kept = used[present]
    return TextFacts(codes=recode[local].astype(facts.codes.dtype), values=facts.values[kept],
                     nbytes=facts.nbytes[kept], nchars=facts.nchars[kept])


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
