"""``cdisc-convert define``: write define.xml and define.html for a folder of SDTM or ADaM datasets."""
from __future__ import annotations

from pathlib import Path

import click

from converters.commands._table import format_table


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--study", "study_dir", type=click.Path(exists=True, path_type=Path), default=None,
              help="Mapping folder (or its study.yaml) whose define section names documents and the "
                   "MetaDataVersion.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for define.xml, define.html and define2-1.xsl (default: FOLDER).")
@click.option("--created", default=None, help="CreationDateTime (ISO 8601); default a fixed stamp.")
@click.option("--no-html", is_flag=True, help="Do not write define.html.")
@click.option("--force", is_flag=True, help="Replace define files (or a --out folder) this tool did not write.")
def define(folder: Path, study_dir: Path | None, out: Path | None, created: str | None, no_html: bool,
           force: bool) -> None:
    """Write a Define-XML 2.1 for the datasets in FOLDER from its metadata.json.

    The define is checked against the official schema (ARM 1.0 when it has analysis results), for OID
    integrity and against the datasets in FOLDER; a define that fails is not written.  --out is a folder of
    the define's own (new, empty or written by this tool; replaced atomically); without it the define goes
    beside the datasets, replacing define files there only when this tool wrote them (or with --force).

    Example: cdisc-convert define out/carnk-sclc/sdtm --study mappings/carnk-sclc
    """
    from converters.commands.sdtm import parse_created

    from define_xml.writer import write_guarded_define

    report = write_guarded_define(folder, study_dir=study_dir, out=out, force=force, created=parse_created(created),
                                  html=not no_html)
    click.echo(f"Schema: valid against {report.schema}; OIDs: all defined and referenced; "
               f"define-vs-data: no findings")
    click.echo(format_table(["Element", "Count"], list(report.counts.items())))
    click.echo(f"Wrote {report.xml}" + (f" and {report.html}" if report.html else ""))
