"""The stage registry of ``run``: name, function, what it writes, and what it needs to be available.

Each stage is ``function(context: RunContext) -> StageResult``; it reads what earlier stages left in
``context.folders`` and writes only into ``context.work`` (a fixed-name folder beside the package), except
``package``, which builds the package beside the target and renames it into place. A stage that raises stops the
run; the work folder is removed and the previous package stays as it was.

To add a stage: write the function, add a :class:`Stage` to :data:`STAGES` in run order, document it in
docs/package.md. ``requires`` names an outside function (``module:attr``); the stage is skipped, with a note,
when that function is not installed.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from converters.pipeline import extensions

if TYPE_CHECKING:
    from converters.pipeline.run import RunContext


@dataclass
class StageResult:
    """What a stage did: status (``done``, ``skipped``), one line for the summary, and table rows."""

    name: str
    status: str
    summary: str
    rows: Sequence[tuple[object, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    name: str
    function: Callable[[RunContext], StageResult]
    writes: str
    #: name of the ``extensions`` setting naming the outside function the stage calls (read when the stage runs)
    requires: str | None = None

    def available(self) -> bool:
        return self.requires is None or extensions.load(getattr(extensions, self.requires)) is not None


def run_sdtm(ctx: RunContext) -> StageResult:
    """Build every SDTM domain into ``work/sdtm`` (datasets, metadata.json, rejections.csv, build-summary.csv)."""
    from converters.commands.sdtm import summary_rows
    from converters.sdtm.output import write_build
    from converters.sdtm.study import build_study
    from converters.writers.output_folder import spill_folder

    target = ctx.work / "sdtm"
    with spill_folder(target) as spill:  # finished domains wait on disk for the writers (removed after, or on error)
        engine = ctx.batch.start()
        try:
            build = build_study(ctx.mappings, ctx.raw, progress=lambda msg: ctx.say(f"    {msg}"),
                                batch_subjects=ctx.batch.batch_subjects, engine=engine, spill=spill)
        finally:
            engine.close()
        write_build(build, target, ctx.created, release=True)  # the stage reads only counts and metadata after
    ctx.folders["sdtm"] = target
    ctx.studyid = build.study.studyid
    problems = build.log.problem_count()
    return StageResult("sdtm", "done", f"{len(build.domains)} datasets, {problems} logged problems",
                       rows=[("SDTM", *row) for row in summary_rows(build)])


def run_adam(ctx: RunContext) -> StageResult:
    """Derive the ADaM datasets from ``work/sdtm`` into ``work/adam`` through ``extensions.ADAM_BUILDER``."""
    build_adam = extensions.load(extensions.ADAM_BUILDER)
    assert build_adam is not None  # the registry runs available stages only
    target = ctx.work / "adam"
    built = build_adam(ctx.folders["sdtm"], target, mappings=ctx.mappings, created=ctx.created,
                       progress=lambda msg: ctx.say(f"    {msg}"), batch_subjects=ctx.batch.batch_subjects)
    if not built:
        return StageResult("adam", "done", "the study has no ADaM specs; no analysis datasets")
    ctx.folders["adam"] = target
    rows = [("ADaM", getattr(d, "name", str(d)), "", getattr(d, "records", ""), "", "", "", "")
            for d in built]
    return StageResult("adam", "done", f"{len(built)} datasets", rows=rows)


def run_define(ctx: RunContext) -> StageResult:
    """Write define.xml, define.html and the stylesheet into each standard folder via ``extensions.DEFINE_WRITER``."""
    write_define = extensions.load(extensions.DEFINE_WRITER)
    assert write_define is not None
    written: list[str] = []
    for key in ("sdtm", "adam"):
        folder = ctx.folders.get(key)
        if folder is not None:
            report = write_define(folder, created=ctx.created)
            files = ([p for p in (report.xml, report.html) if p is not None] if hasattr(report, "xml")
                     else list(report or []))  # a DefineReport, or the paths a stand-in writer returns
            written.append(f"{key}: {', '.join(p.name for p in files)}")
    ctx.define_written = True
    return StageResult("define", "done", "; ".join(written))


def run_validate(ctx: RunContext) -> StageResult:
    """Validate each standard folder with the study's dispositions; reports to ``work/<std>-validation``."""
    from converters.validate import validate_folder
    from converters.validate.reports import write_reports

    dispositions = ctx.mappings / "validation-dispositions.yaml"
    parts = []
    rows = []
    for key, standard in (("sdtm", "sdtmig-3.4"), ("adam", "adamig-1.3")):
        folder = ctx.folders.get(key)
        if folder is None:
            continue
        define = folder / "define.xml"
        result = validate_folder(folder, standard=standard, define=define if define.is_file() else None,
                                 dispositions=dispositions if key == "sdtm" and dispositions.is_file() else None)
        report = ctx.work / f"{key}-validation"
        write_reports(result, report, ("html", "xlsx", "csv", "json"), title=f"{ctx.study} {key.upper()}")
        ctx.folders[f"{key}-validation"] = report
        f = result.findings
        counts = []
        for severity in ("Error", "Warning", "Notice"):
            sub = f[f["severity"].eq(severity)]
            open_ = int((~sub["explained"].astype(bool)).sum())
            counts.append(f"{open_}/{len(sub)}")
            if severity == "Error":
                ctx.unexplained_errors += open_
        rows.append((key.upper(), *counts))
        parts.append(f"{key}: errors {counts[0]}, warnings {counts[1]} (unexplained/all)")
    return StageResult("validate", "done", "; ".join(parts), rows=rows)


def run_package(ctx: RunContext) -> StageResult:
    """Assemble the package at ``--out`` (eCTD m5 layout, logs, reports, guides, manifest) atomically."""
    from converters.package import PackageSources, assemble_package

    reports = {k: v for k, v in ctx.folders.items() if k.endswith("-validation")}
    sources = PackageSources(study=ctx.study, sdtm=ctx.folders["sdtm"], adam=ctx.folders.get("adam"),
                             reports=reports, mappings=ctx.mappings, raw=ctx.raw_folder, studyid=ctx.studyid)
    define_pending = None if ctx.define_written else \
        f"no define stage in this installation ({extensions.DEFINE_WRITER} is not installed)"
    adam_ready = stage("adam").available()
    adam_pending = None if adam_ready else \
        f"no ADaM stage in this installation ({extensions.ADAM_BUILDER} is not installed)"
    stages = [{"name": r.name, "status": r.status, "summary": r.summary} for r in ctx.results]
    result = assemble_package(sources, ctx.out, formats=ctx.formats, created=ctx.created.isoformat(),
                              command=ctx.command, stages=stages, expect_adam="adam" in ctx.folders,
                              define_pending=define_pending, adam_pending=adam_pending)
    ctx.checks = result.checks
    pending = sum(c.status == "pending" for c in result.checks)
    note = f", {pending} rejection criteria pending" if pending else ""
    return StageResult("package", "done", f"{result.files} files in {result.path}{note}",
                       rows=[(c.rule, c.status, c.file, c.message) for c in result.checks])


#: The stages of ``run``, in order.
STAGES: list[Stage] = [
    Stage("sdtm", run_sdtm, "SDTM datasets (XPT, Dataset-JSON), metadata.json, rejections.csv, build-summary.csv"),
    Stage("adam", run_adam, "ADaM datasets (XPT, Dataset-JSON), metadata.json", requires="ADAM_BUILDER"),
    Stage("define", run_define, "define.xml, define.html and stylesheet per standard",
          requires="DEFINE_WRITER"),
    Stage("validate", run_validate, "validation reports (HTML, XLSX, CSV, JSON) per standard"),
    Stage("package", run_package, "the package: m5 layout, logs, reports, reviewer's guides, manifest.json"),
]


def stage(name: str) -> Stage:
    for item in STAGES:
        if item.name == name:
            return item
    raise KeyError(name)


def available_stages() -> list[Stage]:
    return [s for s in STAGES if s.available()]
