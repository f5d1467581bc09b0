"""``cdisc-convert sdtm``: build every SDTM domain of a study from its mapping specs and raw exports."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from converters.commands._say import quiet_echo, quiet_option
from converters.commands._table import format_table
from converters.errors import CdiscConvertError, DataError, Location

from converters.engine.options import BatchOptions, batch_options

if TYPE_CHECKING:  # imported when used, so the command line starts fast
    from converters.sdtm.rejections import RejectionLog
    from converters.sdtm.study import StudyBuild


def parse_created(value: str | None) -> datetime | None:
    """The ``--created`` stamp (ISO 8601 date or date-time), or None for the fixed default."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise CdiscConvertError(f"--created {value!r} is not an ISO 8601 date or date-time",
                                Location(), hint="e.g. --created 2025-03-28T12:00:00") from None


def check_out_folder(out: Path) -> None:
    """Stop with a clear error when the output folder (or a folder above it) is an existing file."""
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            raise DataError(f"the output folder {out} cannot be made: {path} is a file", Location(str(path)),
                            hint="give --out a folder path")
        if path.exists():
            return


def run_study(mappings: Path, raw: Path | None, out: Path, created: datetime | None, echo=click.echo,
              force: bool = False, batch: BatchOptions | None = None):
    """Build one study into ``out`` with progress lines, per batch of subjects (``batch``); returns the build.

    ``out`` is checked by the output-folder guard before the build starts (new, empty or this tool's
    previous output unless ``force``; never the raw folder, the study folder or a folder holding them).
    """
    from converters.sdtm.output import write_build
    from converters.sdtm.study import build_study
    from converters.writers.output_folder import check_output_folder, spill_folder

    inputs = [mappings, raw if raw is not None else study_raw_input(mappings)]
    check_output_folder(out, "sdtm", force=force, inputs=inputs)
    batch = batch or BatchOptions()
    with spill_folder(out) as spill:  # finished domains wait on disk for the writers (removed after, or on error)
        engine = batch.start()
        try:
            build = build_study(mappings, raw, progress=lambda msg: echo(f"  {msg}"),
                                batch_subjects=batch.batch_subjects, engine=engine, spill=spill)
        finally:
            engine.close()
        check_ascii(build, inputs[1] or mappings)
        if inputs[1] is not None and Path(inputs[1]).is_dir():
            log_unread_files(Path(inputs[1]), build.log)
        write_build(build, out, created, force=force, inputs=inputs, release=True)  # only counts are read after
    return build


def check_ascii(build: StudyBuild, where: Path) -> None:
    """Stop before writing when raw text values hold non-ASCII characters, listing every one of them."""
    from converters.sdtm.ascii_text import non_ascii_report

    report = non_ascii_report(build.log)
    if report:
        raise DataError(report, Location(str(where)),
                        hint="correct the values in the raw exports, or add 'transliterate: true' to the variable "
                             "in its spec to write them as ASCII (each change is logged in rejections.csv)")


#: Rejection-log action of a raw-folder entry no reader reads (a file, not a row: ``row`` is blank).
FILE_NOT_READ = "file not read"


def log_unread_files(folder: Path, log: RejectionLog) -> None:
    """Every entry of the raw folder that is not read (sub-folders, compressed and other files) goes to the log."""
    import pandas as pd

    from converters.readers.raw import unread_files

    for name, why in unread_files(folder):
        log.add("", name, pd.Series([pd.NA]), "", None, why, FILE_NOT_READ)


def study_raw_input(mappings: Path) -> Path | None:
    """The raw folder study.yaml names (to protect it from --out), or None when it cannot be told yet.

    A study.yaml that does not load is reported by the build itself, with its line.
    """
    from converters.sdtm.study import study_raw_folder
    from converters.spec.study import load_study

    try:
        return study_raw_folder(load_study(mappings / "study.yaml"), mappings)
    except (CdiscConvertError, OSError):
        return None


def summary_rows(build) -> list[tuple]:
    """Per dataset: name, rows read, records, filtered, rejected, variables, note.

    For datasets read from raw rows, rows read = records + filtered + rejected (the raw rows a spec filter or
    a builder rule leaves out are in ``rejections.csv`` too); datasets generated from other records or from
    study.yaml show blanks for the raw-row counts and say where they come from.
    """
    rows = []
    for d in build.domains:
        if d.parent:
            rows.append((d.name, "", d.records, "", "", len(d.dataset.variables), f"from {d.parent} records"))
        elif not d.sources and d.rows_read == 0:
            rows.append((d.name, "", d.records, "", "", len(d.dataset.variables), "from study.yaml and built data"))
        else:
            rows.append((d.name, d.rows_read, d.records, d.filtered, d.rejected, len(d.dataset.variables), ""))
    return rows


def summary_table(build) -> str:
    return format_table(["Dataset", "Rows read", "Records", "Filtered", "Rejected", "Variables", "Note"],
                        summary_rows(build))


def log_summary(build, out: Path) -> str:
    """One line on the rejection log: problems and rows excluded on purpose."""
    from converters.sdtm.coverage import not_mapped_count

    unmapped = build.log.unmapped_count()
    gap = f"{unmapped} raw rows of forms no spec reads, " if unmapped else ""
    from converters.sdtm.plausibility import IMPLAUSIBLE

    implausible = sum(build.log.count(d.name, IMPLAUSIBLE) for d in build.domains)
    gap += f"{implausible} implausible values kept as collected (to query), " if implausible else ""
    from converters.sdtm.ascii_text import TRANSLITERATED

    changed = sum(build.log.count(d.name, TRANSLITERATED) for d in build.domains)
    gap += f"{changed} values transliterated to ASCII, " if changed else ""
    unread = build.log.count("", FILE_NOT_READ)
    gap += f"{unread} raw-folder entries not read (sub-folders, compressed or other files), " if unread else ""
    columns = (f"; {not_mapped_count(build.coverage)} of {len(build.coverage)} collected columns not mapped, in "
               f"{out / 'coverage.csv'}") if build.coverage else ""
    return (f"{build.log.problem_count()} problems (records dropped, values set to null), {gap}"
            f"{build.log.excluded_count()} raw rows excluded by spec filters or by design, in {out / 'rejections.csv'}"
            f"{columns}")


@click.command()
@click.argument("mappings", type=click.Path(file_okay=False, path_type=Path))
@click.option("--raw", "raw", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of raw exports (default: raw.folder in study.yaml).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: new, empty or this tool's previous output (replaced as a whole when the "
              "build succeeds).")
@click.option("--created", default=None, help="Creation time written into XPT and Dataset-JSON (ISO 8601); "
              "default a fixed stamp, so identical input gives identical files.")
@click.option("--force", is_flag=True, help="Replace OUT even when it holds files this tool did not write "
              "(never the raw or study folder, the current or home folder, or a folder holding an input).")
@quiet_option
@batch_options
def sdtm(mappings: Path, raw: Path | None, out: Path, created: str | None, force: bool, quiet: bool,
         batch_subjects: int, engine: str, scheduler: str | None) -> None:
    """Build the SDTM datasets of the study whose mapping folder is MAPPINGS.

    Writes OUT/<dataset>.xpt and .json, rejections.csv, build-summary.csv, metadata.json and the
    Define-XML 2.1 (define.xml, define.html, define2-1.xsl), checked against the schema and the data.

    Example: cdisc-convert sdtm mappings/carnk-sclc --out out/carnk-sclc/sdtm
    """
    stamp = parse_created(created)
    say = quiet_echo(quiet)
    say(f"Building SDTM for {mappings}")
    build = run_study(mappings, raw, out, stamp, echo=say, force=force,
                      batch=BatchOptions(batch_subjects, engine, scheduler))
    say(summary_table(build))
    say(f"{len(build.domains)} datasets written to {out}, with define.xml and define.html "
        f"(valid Define-XML 2.1, matching the data)")
    say(log_summary(build, out))
    for note in build.notes:
        say(f"Note: {note}")
