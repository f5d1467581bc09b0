"""Write a study build: XPT v5 and Dataset-JSON 1.1 per dataset, the rejection log, the build summary and
``metadata.json``, atomically.

Everything is written into a temporary folder beside the target, which then
replaces the target in one step, so a failed run leaves the previous output
intact; the target must be new, empty or this tool's previous output
(``converters.writers.output_folder``).  Timestamps come from ``created`` (never the clock), so
identical input gives byte-identical files.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from converters.memory import release_free_memory
from converters.metadata.io import write_metadata
from converters.metadata.model import Dataset
from converters.sdtm.coverage import write_coverage
from converters.sdtm.study import BuiltDomain, StudyBuild
from converters.writers.dataset_json import DatasetJsonPieces, write_dataset_json
from converters.writers.output_folder import write_output_folder
from converters.writers.text_facts import TextFacts
from converters.writers.transport import atomic_file
from converters.writers.xpt import XptPieces, write_xpt

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


def write_build(build: StudyBuild, out: str | Path, created: datetime | None = None, define: bool = True, *,
                force: bool = False, inputs: Iterable[str | Path | None] = (), release: bool = False) -> Path:
    """Write every dataset and report of ``build`` to ``out`` (replacing it as a whole), with define.xml unless
    ``define`` is False.  ``release``: drop each dataset's records once written (``BuiltDomain.release``), for a
    caller that needs only the counts and metadata afterwards; the memory of the whole study is then not held
    through the define.

    ``out`` goes through the output-folder guard (``converters.writers.output_folder``): it must be new,
    empty or this tool's previous output (``force`` skips that), and never one of ``inputs`` or a folder
    holding one.
    """
    created = created or DEFAULT_CREATED
    with write_output_folder(out, "sdtm", force=force, inputs=inputs) as tmp:
        _write_into(build, tmp, created, define, release)
    return Path(out).resolve()


def _write_into(build: StudyBuild, tmp: Path, created: datetime, define: bool = True, release: bool = False) -> None:
    """Write the datasets, the rejection log, the build summary, metadata.json and define.xml into ``tmp``."""
    from converters.metadata.study_define import apply_define_settings, read_define_settings
    from define_xml.context import mdv_oid

    settings = read_define_settings(build.definition.path) if define else None
    if settings is not None:
        apply_define_settings(build.study, settings)
    study_oid = build.study.studyid
    for d in build.domains:
        name = d.name.lower()
        if d.spilled is not None and len(d.spilled.paths) > 1 and \
                all(v.is_numeric or v.length is not None for v in d.dataset.variables):
            write_in_pieces(d, tmp / name, created, study_oid, mdv_oid(build.study))
        else:
            frame, facts = d.written_form()  # facts measured once by the build (a spilled domain: read back)
            write_xpt(frame, d.dataset, tmp / f"{name}.xpt", created=created, facts=facts)
            write_dataset_json(frame, d.dataset, tmp / f"{name}.json", study_oid=study_oid,
                               metadata_version_oid=mdv_oid(build.study), created=created, facts=facts)
            del frame, facts
        if release:
            d.release()
            release_free_memory()  # each dataset's records back to the system once written
    build.log.write_csv(tmp / "rejections.csv")
    write_coverage(build.coverage, tmp / "coverage.csv")
    with open(tmp / "build-summary.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows(summary_rows(build))
    write_metadata(build.study, tmp / "metadata.json")
    if settings is not None:
        from define_xml.writer import write_define

        write_define(build.study, tmp, created=created, files=settings.files)


def write_in_pieces(domain: BuiltDomain, stem: Path, created: datetime, study_oid: str, mdv: str) -> None:
    """Write a domain spilled in pieces (finished per batch of subjects) to ``stem``.xpt and ``stem``.json, one
    piece read back at a time: the same bytes as writing it whole, holding one piece (the headers come from
    the metadata, so every character variable has its length)."""
    assert domain.spilled is not None
    write_pieces(domain.dataset, stem, domain.spilled.load_pieces(), domain.spilled.records, created, study_oid, mdv)


def write_pieces(dataset: Dataset, stem: Path, pieces: Iterable[tuple[pd.DataFrame, Mapping[str, TextFacts] | None]],
                 records: int, created: datetime, study_oid: str, mdv: str) -> None:
    """Write a dataset given as ``pieces`` (frames with their text facts, in record order, ``records`` in all) to
    ``stem``.xpt and ``stem``.json, one piece at a time: the bytes of writing it whole (SDTM domains finished per
    batch, ADaM datasets put together from batches)."""
    with atomic_file(stem.with_suffix(".xpt"), dataset.name) as xpt_tmp, \
            atomic_file(stem.with_suffix(".json"), dataset.name) as json_tmp, \
            open(xpt_tmp, "wb") as xpt_handle, open(json_tmp, "wb") as json_handle:
        xpt = XptPieces(dataset, xpt_handle, created)
        rows = DatasetJsonPieces(dataset, json_handle, records, study_oid=study_oid,
                                 metadata_version_oid=mdv, created=created)
        for frame, facts in pieces:
            xpt.write(frame, facts)
            rows.write(frame, facts)
            del frame, facts
        xpt.close()
        rows.close()
