"""``cdisc-convert demo``: convert both shipped example studies, end to end.

The studies' mappings and raw exports are found by ``converters.shipped``: the
source checkout's ``mappings/`` and ``examples/``, else the copies installed as
package data.  The summary table's counts add up per dataset: rows read =
records made from them + rows filtered by the spec + rows rejected.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from converters.commands._table import format_table
from converters.commands.sdtm import check_out_folder, log_summary, parse_created, run_study, summary_rows
from converters.errors import DataError, Location
from converters.shipped import EXAMPLE_STUDIES, study_mappings, study_raw

if TYPE_CHECKING:
    import pandas as pd

#: The file in a study's mappings folder where the team explains validation findings.
DISPOSITIONS_FILE = "validation-dispositions.yaml"
#: The same for the study's ADaM output (in mappings/<study>/adam/).
ADAM_DISPOSITIONS_FILE = "adam/validation-dispositions.yaml"


def shipped_study(study: str) -> tuple[Path, Path]:
    """The mappings folder and raw export folder of a shipped example study; DataError when not installed."""
    mappings, raw = study_mappings(study), study_raw(study)
    if not (mappings / "study.yaml").is_file():
        raise DataError(f"the example study {study} has no study.yaml in this installation",
                        Location(str(mappings)), hint="reinstall cdisc-convert from a full source checkout")
    if not raw.is_dir():
        raise DataError(f"the example study {study} has no raw exports in this installation", Location(str(raw)),
                        hint="reinstall cdisc-convert from a full source checkout, or regenerate them with "
                             f"'cdisc-convert generate {study}'")
    return mappings, raw


def validate_output(study: str, mappings: Path, target: Path, dispositions_file: str = DISPOSITIONS_FILE,
                    title: str = "SDTM", force: bool = False) -> tuple[str, ...]:
    """Validate a study's SDTM (or ADaM) output with the study's dispositions; reports go beside it.

    Returns one summary row: study, errors, warnings, notices (each "unexplained/all"), report folder.
    """
    from converters.commands.validate import default_report_dir
    from converters.validate import validate_folder
    from converters.validate.reports import write_reports
    from converters.writers.output_folder import check_output_folder, write_output_folder

    dispositions = mappings / dispositions_file
    report_dir = default_report_dir(target)
    inputs = [target, mappings]
    check_output_folder(report_dir, "validation", force=force, inputs=inputs, option="the report folder")
    define = target / "define.xml"  # written by the build: the data are checked against it, as `run` does
    result = validate_folder(target, dispositions=dispositions if dispositions.is_file() else None,
                             previous=report_dir, define=define if define.is_file() else None)
    with write_output_folder(report_dir, "validation", force=force, inputs=inputs,
                             option="the report folder") as tmp:
        write_reports(result, tmp, ("html", "xlsx", "csv", "json"), title=f"{study} {title}")
    findings = result.findings
    counts = []
    for severity in ("Error", "Warning", "Notice"):
        sub = findings[findings["severity"].eq(severity)]
        counts.append(f"{int((~sub['explained'].astype(bool)).sum())}/{len(sub)}")
    return (study if title == "SDTM" else f"{study} {title}", *counts, str(report_dir / "report.html"))


def write_study_plots(adam: Mapping[str, pd.DataFrame], target: Path, inputs: list[Path], force: bool = False) -> list[Path]:
    """Every registered plot that applies to a study's ADaM datasets, as PNG and SVG, into ``target``
    (an output folder of its own, swapped in whole); returns the files written."""
    from converters.plots.registry import write_plots
    from converters.writers.output_folder import write_output_folder

    with write_output_folder(target, "plots", force=force, inputs=inputs, option="the plots folder") as tmp:
        written = write_plots(adam, tmp)
    return [target / path.name for path in written]


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Output folder; each study goes to OUT/<study>/sdtm and OUT/<study>/adam.")
@click.option("--created", default=None, help="Creation time for XPT and Dataset-JSON (ISO 8601).")
@click.option("--validate/--no-validate", "check", default=True, show_default=True,
              help="Validate each study's SDTM output with the study's dispositions "
                   f"(mappings/<study>/{DISPOSITIONS_FILE}).")
@click.option("--force", is_flag=True, help="Replace OUT/<study>/sdtm, OUT/<study>/adam and their reports even when "
              "they hold files this tool did not write.")
def demo(out: Path, created: str | None, check: bool, force: bool) -> None:
    """Convert both example studies (CAR-NK SCLC and CLL1 CAR-iPSC-NK AML) to SDTM and ADaM and validate them.

    Writes OUT/<study>/sdtm (XPT, Dataset-JSON, rejections.csv, build-summary.csv, metadata.json),
    OUT/<study>/adam (ADSL, ADAE, ADEX, ADLB, ADRS, ADTTE, metadata.json, escalation-summary.csv),
    OUT/<study>/plots (every registered plot the study's ADaM datasets allow, e.g. the swimmer plot, as PNG and SVG)
    and OUT/<study>/sdtm-validation, OUT/<study>/adam-validation (HTML, XLSX, CSV and JSON conformance reports).
    Exits 1 when a study's output keeps an Error that its dispositions do not explain.

    Example: cdisc-convert demo --out out/demo
    """
    stamp = parse_created(created)
    check_out_folder(out)
    rows, checks = [], []
    for study in EXAMPLE_STUDIES:
        mappings, raw = shipped_study(study)
        target = out / study / "sdtm"
        click.echo(f"{study}: building SDTM")
        build = run_study(mappings, raw, target, stamp, force=force)
        rows += [(study, *row) for row in summary_rows(build)]
        click.echo(f"{study}: {len(build.domains)} datasets -> {target}; {log_summary(build, target)}")
        if check:
            click.echo(f"{study}: validating {target}")
            checks.append(validate_output(study, mappings, target, force=force))
        if (mappings / "adam").is_dir():
            from converters.commands.adam import escalation_table, run_adam

            adam_target = out / study / "adam"
            click.echo(f"{study}: building ADaM from {target}")
            adam_build, escalation = run_adam(mappings, target, adam_target, stamp, force=force,
                                              echo=lambda msg, study=study: click.echo(f"{study}: {msg.strip()}"))
            click.echo(f"{study}: {len(adam_build.datasets)} ADaM datasets -> {adam_target}")
            plots = write_study_plots({d.name: d.frame for d in adam_build.datasets}, out / study / "plots",
                                      inputs=[mappings, target], force=force)
            click.echo(f"{study}: {len(plots)} plots (PNG and SVG) -> {out / study / 'plots'}")
            if escalation is not None:
                click.echo(f"{study}: dose escalation (from ADSL and ADAE)")
                click.echo(escalation_table(escalation))
            if check:
                click.echo(f"{study}: validating {adam_target}")
                checks.append(validate_output(study, mappings, adam_target, ADAM_DISPOSITIONS_FILE, "ADaM",
                                              force=force))
    click.echo(format_table(["Study", "Dataset", "Rows read", "Records", "Filtered", "Rejected", "Variables", "Note"],
                            rows))
    if checks:
        click.echo("\nConformance (unexplained/all findings; explanations in mappings/<study>/"
                   f"{DISPOSITIONS_FILE} and mappings/<study>/{ADAM_DISPOSITIONS_FILE}):")
        click.echo(format_table(["Study", "Errors", "Warnings", "Notices", "Report"], checks, max_width=400))
        failing = [row[0] for row in checks if not row[1].startswith("0/")]
        if failing:
            click.secho(f"unexplained conformance errors in: {', '.join(failing)}", fg="red", err=True)
            raise SystemExit(1)
