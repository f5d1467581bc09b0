"""Run the stages of :data:`converters.pipeline.stages.STAGES` for one study, all or nothing.

Every stage before ``package`` writes into ``.<out>.work`` beside the package (a fixed name, so paths that reports
record are the same on every run); ``package`` builds the package in ``.<out>.staging`` and renames it into place.
The work folder is removed at the end, whether the run succeeded or not; a failing stage leaves the previous
package untouched.

Creation stamps (XPT headers, Dataset-JSON, define, manifest) come from ``created``: the ``--created`` option, else
the study's ``data_cutoff`` (study.yaml), else a fixed default, never the clock.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from converters.engine.options import BatchOptions
from converters.package.rejection import RejectionCheck
from converters.pipeline.stages import STAGES, StageResult

FORMATS = {"xpt": ("xpt",), "json": ("json",), "both": ("xpt", "json")}


@dataclass
class RunOptions:
    mappings: Path
    raw: Path | None
    out: Path
    format: str = "xpt"
    created: datetime | None = None
    command: list[str] = field(default_factory=list)
    say: Callable[[str], None] = lambda _msg: None
    #: subjects per batch and engine of the SDTM stage (not in the manifest's command: the output is the same)
    batch: BatchOptions = field(default_factory=BatchOptions)


@dataclass
class RunContext:
    """What the stages share: options, the work folder, the folders each stage left, and results so far."""

    mappings: Path
    raw: Path | None
    raw_folder: Path | None
    out: Path
    work: Path
    study: str
    formats: tuple[str, ...]
    created: datetime
    command: list[str]
    say: Callable[[str], None]
    studyid: str = ""
    folders: dict[str, Path] = field(default_factory=dict)
    results: list[StageResult] = field(default_factory=list)
    checks: list[RejectionCheck] = field(default_factory=list)
    define_written: bool = False
    unexplained_errors: int = 0
    batch: BatchOptions = field(default_factory=BatchOptions)


@dataclass
class RunOutcome:
    results: list[StageResult]
    seconds: dict[str, float]
    checks: list[RejectionCheck]
    unexplained_errors: int
    package: Path


def creation_stamp(mappings: Path, created: datetime | None) -> datetime:
    """``created``, else study.yaml's data_cutoff at midnight, else the fixed default of the writers."""
    from converters.sdtm.output import DEFAULT_CREATED
    from converters.spec.study import load_study

    if created is not None:
        return created
    study = load_study(mappings / "study.yaml")
    if study.data_cutoff:
        return datetime.fromisoformat(study.data_cutoff)
    return DEFAULT_CREATED


def raw_folder(mappings: Path, raw: Path | None) -> Path | None:
    """The raw folder the SDTM stage reads (``--raw`` or study.yaml raw.folder), for the manifest's inputs."""
    if raw is not None:
        return raw
    from converters.sdtm.study import study_raw_folder
    from converters.spec.study import load_study

    return study_raw_folder(load_study(mappings / "study.yaml"), mappings)


def run_pipeline(options: RunOptions) -> RunOutcome:
    """Run every available stage in order; a stage's exception propagates after the work folder is removed."""
    from converters.package.assemble import check_replaceable

    out = Path(options.out).resolve()
    mappings = Path(options.mappings)
    check_replaceable(out)  # before hours of work, not after
    created = creation_stamp(mappings, options.created)
    raw = raw_folder(mappings, options.raw)
    work = out.parent / f".{out.name}.work"
    if work.exists():
        shutil.rmtree(work)  # leftovers of a crashed run (the name is ours)
    out.parent.mkdir(parents=True, exist_ok=True)
    work.mkdir()
    ctx = RunContext(mappings=mappings, raw=options.raw, raw_folder=raw, out=out, work=work,
                     study=mappings.resolve().name, formats=FORMATS[options.format], created=created,
                     command=options.command, say=options.say, batch=options.batch)
    seconds: dict[str, float] = {}
    try:
        stages = STAGES
        for number, stage in enumerate(stages, 1):
            head = f"[{number}/{len(stages)}] {stage.name}"
            if not stage.available():
                ctx.results.append(StageResult(stage.name, "skipped", "not installed in this version"))
                options.say(f"{head}: skipped (not installed in this version)")
                continue
            options.say(f"{head}: {stage.writes}")
            started = time.perf_counter()
            result = stage.function(ctx)
            seconds[stage.name] = time.perf_counter() - started
            ctx.results.append(result)
            options.say(f"{head}: {result.summary}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RunOutcome(ctx.results, seconds, ctx.checks, ctx.unexplained_errors, out)
