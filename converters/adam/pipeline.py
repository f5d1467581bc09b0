"""One study's ADaM from an SDTM folder to written files: the entry point of ``adam``, ``demo`` and ``run``."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from converters.adam.build import AdamBuild, AdamDataset
from converters.adam.escalation import EscalationSummary
from converters.metadata.model import Study, ValueLevel


def build_and_write_adam(mappings: Path, sdtm: Path, out: Path, created: datetime | None,
                         progress: Callable[[str], None] = lambda _: None, *, force: bool = False,
                         keep_frames: bool = True, batch_subjects: int | None = None
                         ) -> tuple[AdamBuild, EscalationSummary | None]:
    """Derive the study's ADaM datasets from ``sdtm`` by its ADaM specs, with the escalation summary, into ``out``.

    Each dataset is written as soon as it is built.  ``keep_frames`` False: a written dataset's frame is then
    thinned to what the rest of the build reads (:meth:`AdamDataset.thin`; the escalation summary's and the
    analysis results' datasets stay whole), so memory holds one dataset being built, not all of them.
    ``batch_subjects``: datasets of subject-local steps are derived per batch of that many subjects (the same
    files); None derives each whole.
    """
    from converters.adam.build import build_adam as derive_adam
    from converters.adam.escalation import escalation_summary, load_escalation_spec
    from converters.memory import release_free_memory
    from converters.adam.output import DEFAULT_CREATED, write_dataset_files, write_study_files
    from converters.adam.results import RESULTS_FILE, load_results_spec
    from converters.writers.output_folder import check_output_folder, write_output_folder

    inputs = [mappings, sdtm]
    check_output_folder(out, "adam", force=force, inputs=inputs)
    spec_dir = mappings / "adam" if (mappings / "adam").is_dir() else mappings
    escalation_spec = load_escalation_spec(spec_dir / "escalation.yaml") \
        if (spec_dir / "escalation.yaml").is_file() else None
    results_spec = load_results_spec(spec_dir / RESULTS_FILE) if (spec_dir / RESULTS_FILE).is_file() else None
    whole = {escalation_spec.adsl.upper(), escalation_spec.events.dataset.upper()} if escalation_spec else set()
    if results_spec is not None:
        whole |= {ds.dataset.upper() for display in results_spec.displays for result in display.results
                  for ds in result.datasets}
    stamp = created or DEFAULT_CREATED
    value_levels: dict[str, list[ValueLevel]] = {}

    with write_output_folder(out, "adam", force=force, inputs=inputs) as tmp:
        def write_built(d: AdamDataset, study: Study) -> None:
            if _has_parameters(d):
                value_levels[d.name] = _bds_value_level(d)
            write_dataset_files(d, tmp, study.studyid, stamp)
            if not keep_frames and d.name not in whole:
                d.thin()
                release_free_memory()  # what this dataset and the SDTM datasets read for it last held

        build = derive_adam(mappings, sdtm, progress=progress, on_built=write_built, batch_subjects=batch_subjects)
        escalation = None
        if escalation_spec is not None:
            escalation = escalation_summary(escalation_spec, {d.name: d.whole() for d in build.datasets})
        describe_results(build, spec_dir, value_levels)
        write_study_files(build, tmp, stamp, escalation)
    return build, escalation


def _has_parameters(d: AdamDataset) -> bool:
    return d.dataset.dataset_class == "BASIC DATA STRUCTURE" and "PARAMCD" in d.frame.columns


def _bds_value_level(d: AdamDataset) -> list[ValueLevel]:
    from converters.metadata.value_level import BDS_RESULTS, bds_value_level

    return bds_value_level(d.dataset, d.columns(["PARAMCD", *BDS_RESULTS]))


def describe_results(build: AdamBuild, spec_dir: Path, value_levels: dict[str, list[ValueLevel]] | None = None
                     ) -> None:
    """Value-level metadata of the BDS datasets by PARAMCD, and the study's Analysis Results Metadata (results.yaml).

    ``value_levels``: per dataset, the value-level metadata already derived (before its frame was thinned).
    """
    from converters.adam.results import RESULTS_FILE, derive_analysis_results, load_results_spec

    for d in build.datasets:
        if value_levels is not None and d.name in value_levels:
            d.dataset.value_level = value_levels[d.name]
        elif _has_parameters(d):
            d.dataset.value_level = _bds_value_level(d)
    if (spec_dir / RESULTS_FILE).is_file():
        spec = load_results_spec(spec_dir / RESULTS_FILE)
        build.study.analysis_results = derive_analysis_results(spec, {d.name: d.whole() for d in build.datasets},
                                                               spec_dir / RESULTS_FILE)


def build_adam(sdtm: Path, out: Path, *, mappings: Path, created: datetime,
               progress: Callable[[str], None] | None = None, batch_subjects: int | None = None
               ) -> list[AdamDataset]:
    """The ``run`` pipeline's ADaM stage: the datasets written (frames thinned), or none without ADaM specs;
    ``batch_subjects`` as for :func:`build_and_write_adam`."""
    if not (mappings / "adam").is_dir():
        return []
    build, _ = build_and_write_adam(mappings, sdtm, out, created, progress or (lambda _: None), keep_frames=False,
                                    batch_subjects=batch_subjects)
    return build.datasets
