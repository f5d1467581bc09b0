"""One study's ADaM from an SDTM folder to written files: the entry point of ``adam``, ``demo`` and ``run``."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from converters.adam.build import AdamBuild, AdamDataset
from converters.adam.escalation import EscalationSummary


def build_and_write_adam(mappings: Path, sdtm: Path, out: Path, created: datetime | None,
                         progress: Callable[[str], None] = lambda _: None, *, force: bool = False
                         ) -> tuple[AdamBuild, EscalationSummary | None]:
    """Derive the study's ADaM datasets from ``sdtm`` by its ADaM specs, with the escalation summary, into ``out``."""
    from converters.adam.build import build_adam as derive_adam
    from converters.adam.escalation import escalation_summary, load_escalation_spec
    from converters.adam.output import write_adam

    from converters.writers.output_folder import check_output_folder

    inputs = [mappings, sdtm]
    check_output_folder(out, "adam", force=force, inputs=inputs)
    build = derive_adam(mappings, sdtm, progress=progress)
    spec_dir = mappings / "adam" if (mappings / "adam").is_dir() else mappings
    escalation = None
    if (spec_dir / "escalation.yaml").is_file():
        spec = load_escalation_spec(spec_dir / "escalation.yaml")
        escalation = escalation_summary(spec, {d.name: d.frame for d in build.datasets})
    describe_results(build, spec_dir)
    write_adam(build, out, created, escalation, force=force, inputs=inputs)
    return build, escalation


def describe_results(build: AdamBuild, spec_dir: Path) -> None:
    """Value-level metadata of the BDS datasets by PARAMCD, and the study's Analysis Results Metadata (results.yaml)."""
    from converters.adam.results import RESULTS_FILE, derive_analysis_results, load_results_spec
    from converters.metadata.value_level import bds_value_level

    for d in build.datasets:
        if d.dataset.dataset_class == "BASIC DATA STRUCTURE" and "PARAMCD" in d.frame:
            d.dataset.value_level = bds_value_level(d.dataset, d.frame)
    if (spec_dir / RESULTS_FILE).is_file():
        spec = load_results_spec(spec_dir / RESULTS_FILE)
        build.study.analysis_results = derive_analysis_results(spec, {d.name: d.frame for d in build.datasets},
                                                               spec_dir / RESULTS_FILE)


def build_adam(sdtm: Path, out: Path, *, mappings: Path, created: datetime,
               progress: Callable[[str], None] | None = None) -> list[AdamDataset]:
    """The ``run`` pipeline's ADaM stage: the datasets written, or none when the study has no ADaM specs."""
    if not (mappings / "adam").is_dir():
        return []
    build, _ = build_and_write_adam(mappings, sdtm, out, created, progress or (lambda _: None))
    return build.datasets
