"""Assemble a package from the folders earlier stages wrote, atomically.

A stage's output folder holds its datasets (``<name>.xpt`` and/or Dataset-JSON ``<name>.json``), optionally its
define (``define.xml``, ``define.html``, the ``*.xsl`` stylesheet), and its logs and metadata (``rejections.csv``,
``build-summary.csv``, ``metadata.json``), which is what ``converters.sdtm.output.write_build`` writes and what
the ADaM and define stages are expected to write too (``converters.pipeline.extensions``).

The package is built in ``.<name>.staging`` beside the target; the rejection criteria are checked there, before
anything replaces the target; then the manifest is written and the staging folder renamed into place (the old
package is renamed aside first and removed last). Any failure removes the staging folder and leaves the old
package as it was.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import DataError, Location
from converters.package.guides import GuideInputs, write_guide
from converters.package.layout import DEFINE_FILES, MANIFEST, PackageLayout
from converters.package.manifest import build_manifest, input_entries, write_manifest
from converters.package.rejection import RejectionCheck, RejectionCriteriaError, check_rejection_criteria, failures

#: Files of a stage folder that are not datasets.
NOT_DATASETS = {"metadata.json", "define.json"}
LOG_FILES = ("rejections.csv", "build-summary.csv")
RAW_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".sas7bdat", ".xpt", ".json", ".ndjson", ".xml")


@dataclass
class PackageSources:
    """What goes into one study's package. ``sdtm``/``adam``: stage output folders (see module docstring)."""

    study: str  # folder name under m5/datasets
    sdtm: Path
    adam: Path | None = None
    reports: dict[str, Path] = field(default_factory=dict)  # e.g. {"sdtm-validation": folder}
    mappings: Path | None = None  # README conventions, dispositions, and inputs for the manifest
    raw: Path | None = None  # inputs for the manifest
    studyid: str = ""


@dataclass
class PackageResult:
    path: Path
    checks: list[RejectionCheck]
    files: int


def dataset_files(folder: Path, fmt: str) -> list[Path]:
    """Dataset files of one format (``xpt`` or ``json``) in a stage folder, by name."""
    return sorted(p for p in folder.glob(f"*.{fmt}") if p.is_file() and p.name.lower() not in NOT_DATASETS)


def check_replaceable(out: Path) -> None:
    """The target must be absent, an empty folder, or a package this tool wrote (it holds manifest.json).

    Stands in for the hardening issue's output-folder guard until that lands.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(f"the package folder {out} is a file", Location(str(out)), hint="give --out a folder path")
    if any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise DataError(f"{out} is not empty and is not a package cdisc-convert wrote (no {MANIFEST})",
                        Location(str(out)), hint="give an empty or new folder; a package is replaced as a whole")


def _copy_standard(folder: Path, target: Path, formats: tuple[str, ...]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        for path in dataset_files(folder, fmt):
            shutil.copyfile(path, target / path.name.lower())
    for name in DEFINE_FILES:
        if (folder / name).is_file():
            shutil.copyfile(folder / name, target / name)
    for style in sorted(folder.glob("*.xsl")):
        shutil.copyfile(style, target / style.name)


def _copy_side(folder: Path, layout: PackageLayout, kind: str) -> None:
    logs = layout.logs / kind
    for name in LOG_FILES:
        if (folder / name).is_file():
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, logs / name)
    if (folder / "metadata.json").is_file():
        layout.metadata.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "metadata.json", layout.metadata / f"{kind}-metadata.json")


def _metadata(folder: Path):
    from converters.metadata.io import read_metadata

    path = folder / "metadata.json"
    return read_metadata(path) if path.is_file() else None


def _standards(sources: PackageSources) -> list[dict[str, str]]:
    from converters.standards import adamig, ct, sdtmig

    rows = [{"name": sdtmig.name, "version": sdtmig.version}]
    if sources.adam is not None:
        rows.append({"name": adamig.name, "version": adamig.version})
    rows += [{"name": "CDISC CT", "version": ct.version}, {"name": "Define-XML", "version": "2.1"},
             {"name": "Dataset-JSON", "version": "1.1"}, {"name": "SAS XPORT", "version": "5"}]
    return rows


def _guides(sources: PackageSources, layout: PackageLayout, checks: list[RejectionCheck]) -> None:
    readme = sources.mappings / "README.md" if sources.mappings else None
    dispositions = sources.mappings / "validation-dispositions.yaml" if sources.mappings else None
    parts = [("SDTM", sources.sdtm, "sdtm", layout.tabulations, "csdrg.md")]
    if sources.adam is not None:
        parts.append(("ADaM", sources.adam, "adam", layout.analysis, "adrg.md"))
    for kind, folder, key, target, name in parts:
        report = sources.reports.get(f"{key}-validation")
        write_guide(GuideInputs(
            kind=kind, study=_metadata(folder), readme=readme,
            dispositions=dispositions if dispositions and dispositions.is_file() and kind == "SDTM" else None,
            validation_summary=report / "summary.csv" if report and (report / "summary.csv").is_file() else None,
            rejections=folder / "rejections.csv" if (folder / "rejections.csv").is_file() else None,
            build_summary=folder / "build-summary.csv" if (folder / "build-summary.csv").is_file() else None,
            checks=[c for c in checks if (key == "sdtm") == ("tabulations" in c.file)],
            dataset_folder=layout.relative(target)), layout.guides / name)


def swap_into_place(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with the output-folder guard's swap, then remove the old package."""
    from converters.writers.output_folder import swap_folders

    os.chmod(new, 0o755)
    swap_folders(new, target)  # afterwards ``new`` holds the old package (an exchange) or is gone (renamed in)
    shutil.rmtree(new, ignore_errors=True)


def staging_folder(out: Path) -> Path:
    """The fixed-name temporary folder beside ``out`` that the package is built in."""
    return out.parent / f".{out.name}.staging"


def assemble_package(sources: PackageSources, out: Path, *, formats: tuple[str, ...] = ("xpt",),
                     created: str = "", command: list[str] | None = None,
                     stages: list[dict[str, str]] | None = None, expect_adam: bool = False,
                     define_pending: str | None = None, adam_pending: str | None = None) -> PackageResult:
    """Build the package of ``sources`` at ``out`` (replaced as a whole); RejectionCriteriaError names the rule."""
    out = Path(out).resolve()
    check_replaceable(out)
    staging = staging_folder(out)
    if staging.exists():
        shutil.rmtree(staging)  # a crashed earlier run's leftovers (the name is ours)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    try:
        layout = PackageLayout(staging, sources.study)
        _copy_standard(sources.sdtm, layout.tabulations, formats)
        _copy_side(sources.sdtm, layout, "sdtm")
        if sources.adam is not None:
            _copy_standard(sources.adam, layout.analysis, formats)
            _copy_side(sources.adam, layout, "adam")
        for name, folder in sorted(sources.reports.items()):
            shutil.copytree(folder, layout.reports / name)
        checks = check_rejection_criteria(layout, formats=formats, expect_adam=expect_adam,
                                          define_pending=define_pending, adam_pending=adam_pending)
        failed = failures(checks)
        if failed:
            raise RejectionCriteriaError(failed)
        _guides(sources, layout, checks)
        inputs: dict[str, list[dict[str, object]]] = {}
        if sources.mappings is not None:
            inputs["mappings"] = input_entries(sources.mappings)
        if sources.raw is not None:
            inputs["raw"] = [e for e in input_entries(sources.raw) if "/" not in str(e["path"])
                             and str(e["path"]).lower().endswith(RAW_SUFFIXES)]
        manifest = build_manifest(staging, study=sources.study, studyid=sources.studyid, created=created,
                                  standards=_standards(sources), inputs=inputs,
                                  checks=[c.as_dict() for c in checks], command=list(command or []),
                                  stages=list(stages or []))
        write_manifest(staging, manifest)
        files = len(manifest["files"]) + 1  # type: ignore[arg-type]
        swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackageResult(out, checks, files)
