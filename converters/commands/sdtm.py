"""``cdisc-convert sdtm``: build every SDTM domain of a study from its mapping specs and raw exports."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from converters.commands._table import format_table
from converters.errors import CdiscConvertError, Location


def parse_created(value: str | None) -> datetime | None:
    """The ``--created`` stamp (ISO 8601 date or date-time), or None for the fixed default."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise CdiscConvertError(f"--created {value!r} is not an ISO 8601 date or date-time",
                                Location(), hint="e.g. --created 2025-03-28T12:00:00") from None


def run_study(mappings: Path, raw: Path | None, out: Path, created: datetime | None, echo=click.echo):
    """Build one study into ``out`` with progress lines; returns the build."""
    from converters.sdtm.output import write_build
    from converters.sdtm.study import build_study

    build = build_study(mappings, raw, progress=lambda msg: echo(f"  {msg}"))
    write_build(build, out, created)
    return build


def summary_table(build) -> str:
    rows = [(d.name, d.rows_read, d.filtered, d.records, d.rejected, len(d.dataset.variables)) for d in build.domains]
    return format_table(["Dataset", "Rows read", "Filtered", "Records", "Rejected", "Variables"], rows)


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
    rejected = len(build.log.frame())
    click.echo(f"{len(build.domains)} datasets written to {out}; {rejected} rejection log entries in "
               f"{out / 'rejections.csv'}")
