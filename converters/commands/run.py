"""``cdisc-convert run``: raw exports to a submission package in one command (docs/package.md)."""
from __future__ import annotations

from pathlib import Path

import click

from converters.commands._say import quiet_echo, quiet_option
from converters.commands._table import format_table
from converters.commands.sdtm import parse_created
from converters.engine.options import BatchOptions, batch_options


def command_line(mappings: Path, raw: Path | None, out: Path, fmt: str, created: str | None) -> list[str]:
    """The command as the manifest records it: every option spelled out, in a fixed order."""
    line = ["cdisc-convert", "run", str(mappings)]
    if raw is not None:
        line += ["--raw", str(raw)]
    line += ["--out", str(out), "--format", fmt]
    if created is not None:
        line += ["--created", created]
    return line


@click.command()
@click.argument("mappings", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--raw", "raw", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of raw exports (default: raw.folder in study.yaml).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Package folder: created, or replaced as a whole when every stage succeeds.")
@click.option("--format", "fmt", type=click.Choice(["xpt", "json", "both"]), default="xpt", show_default=True,
              help="Dataset files in the package: SAS XPORT v5, Dataset-JSON 1.1, or both.")
@click.option("--created", default=None,
              help="Creation stamp of every file (ISO 8601); default study.yaml data_cutoff, else a fixed stamp.")
@quiet_option
@batch_options
def run(mappings: Path, raw: Path | None, out: Path, fmt: str, created: str | None, quiet: bool, batch_subjects: int,
        engine: str, scheduler: str | None) -> None:
    """Build the submission package of the study whose mapping folder is MAPPINGS.

    Stages: sdtm, adam, define, validate, package (a stage this version lacks is skipped and named). Writes
    OUT/m5/datasets/<study>/tabulations/sdtm and .../analysis/adam/datasets, the validation reports, rejection and
    coverage logs, reviewer's guide drafts and manifest.json beside m5. FDA technical rejection criteria 1734 and
    1736 are checked before the package replaces OUT. Exit 0 when the package is written and no unexplained
    conformance Error remains, 1 when the package is written with unexplained Errors, 2 when it is not written.

    Example: cdisc-convert run mappings/carnk-sclc --out out/carnk-sclc-package
    """
    from converters.pipeline import RunOptions, run_pipeline

    say = quiet_echo(quiet)
    outcome = run_pipeline(RunOptions(mappings=mappings, raw=raw, out=out, format=fmt,
                                      created=parse_created(created),
                                      command=command_line(mappings, raw, out, fmt, created), say=say,
                                      batch=BatchOptions(batch_subjects, engine, scheduler)))
    if quiet:
        if outcome.unexplained_errors:
            raise SystemExit(1)
        return
    click.echo("")
    click.echo(format_table(["Stage", "Status", "Seconds", "Result"],
                            [(r.name, r.status, f"{outcome.seconds[r.name]:.1f}" if r.name in outcome.seconds else "",
                              r.summary) for r in outcome.results], max_width=100))
    for result in outcome.results:
        if result.name == "sdtm" and result.rows:
            click.echo("")
            click.echo(format_table(["Standard", "Dataset", "Rows read", "Records", "Filtered", "Rejected",
                                     "Variables", "Note"], result.rows))
        if result.name == "validate" and result.rows:
            click.echo("\nConformance (unexplained/all findings):")
            click.echo(format_table(["Standard", "Errors", "Warnings", "Notices"], result.rows))
    if outcome.checks:
        click.echo("\nFDA technical rejection criteria:")
        click.echo(format_table(["Rule", "Status", "File", "Result"],
                                [(c.rule, c.status, c.file, c.message) for c in outcome.checks], max_width=100))
    click.echo(f"\nPackage: {outcome.package} (manifest.json lists every file with its SHA-256)")
    if outcome.unexplained_errors:
        click.secho(f"{outcome.unexplained_errors} unexplained conformance error(s): see the reports in "
                    f"{outcome.package / 'reports'}", fg="red", err=True)
        raise SystemExit(1)
