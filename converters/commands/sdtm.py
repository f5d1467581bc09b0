"""``cdisc-convert sdtm``: build every SDTM domain of a study from its mapping specs and raw exports."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from converters.commands._table import format_table
from converters.errors import CdiscConvertError, DataError, Location


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


def run_study(mappings: Path, raw: Path | None, out: Path, created: datetime | None, echo=click.echo):
    """Build one study into ``out`` with progress lines; returns the build."""
    from converters.sdtm.output import write_build
    from converters.sdtm.study import build_study

    check_out_folder(out)
    build = build_study(mappings, raw, progress=lambda msg: echo(f"  {msg}"))
    write_build(build, out, created)
    return build


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
              help="Output folder (replaced as a whole when the build succeeds).")
@click.option("--created", default=None, help="Creation time written into XPT and Dataset-JSON (ISO 8601); "
              "default a fixed stamp, so identical input gives identical files.")
def sdtm(mappings: Path, raw: Path | None, out: Path, created: str | None) -> None:
    """Build the SDTM datasets of the study whose mapping folder is MAPPINGS.

    Writes OUT/<dataset>.xpt and .json, rejections.csv, build-summary.csv and metadata.json.

    Example: cdisc-convert sdtm mappings/carnk-sclc --out out/carnk-sclc/sdtm
    """
    stamp = parse_created(created)
    click.echo(f"Building SDTM for {mappings}")
    build = run_study(mappings, raw, out, stamp)
    click.echo(summary_table(build))
    click.echo(f"{len(build.domains)} datasets written to {out}")
    click.echo(log_summary(build, out))
    for note in build.notes:
        click.echo(f"Note: {note}")
