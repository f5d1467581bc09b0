"""``cdisc-convert validate``: check a folder of XPT or Dataset-JSON datasets against SDTMIG/ADaMIG, CT and a define."""
from __future__ import annotations

import time
from pathlib import Path

import click

from converters.commands._table import format_table

LEVELS = ("error", "warning", "notice", "never")


def default_report_dir(folder: Path) -> Path:
    """``<folder>-validation`` beside the folder, so reports never land inside a submission's datasets folder."""
    folder = folder.resolve()
    return folder.parent / f"{folder.name}-validation"


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--define", "define", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Define-XML to check the data against (adds the DF rules).")
@click.option("--standard", type=click.Choice(["sdtmig-3.4", "adamig-1.3"]), default=None,
              help="Standard of the folder (default: adamig-1.3 when every dataset is AD*, else sdtmig-3.4).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where reports go (default: <folder>-validation beside FOLDER): a new, empty or earlier "
                   "report folder, replaced as a whole.")
@click.option("--dispositions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Dispositions file (default: FOLDER/validation-dispositions.yaml when it exists).")
@click.option("--fail-on", type=click.Choice(LEVELS), default="error", show_default=True,
              help="Exit 1 when an unexplained finding at this level or worse remains.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "xlsx", "csv", "json"]),
              help="Report formats to write (repeat; default: all four).")
@click.option("--rules", "select", multiple=True, help="Run only rules whose ID starts with this (repeat), e.g. CT.")
@click.option("--profile", is_flag=True, help="Print the time each rule and each dataset read took.")
@click.option("--show", default=40, show_default=True, help="Rows of the summary table to print.")
@click.option("--force", is_flag=True, help="Replace the report folder even when it holds files this tool did "
              "not write (never FOLDER, a folder holding it, the current or home folder).")
def validate(folder: Path, define: Path | None, standard: str | None, report_dir: Path | None,
             dispositions: Path | None, fail_on: str, formats: tuple[str, ...], select: tuple[str, ...],
             profile: bool, show: int, force: bool) -> None:
    """Validate every XPT / Dataset-JSON dataset in FOLDER and write HTML, XLSX, CSV and JSON reports.

    Offline, with the bundled SDTMIG 3.4, ADaMIG 1.3 and CDISC CT 2025-03-28.  Exit status:
    0 when no unexplained finding at --fail-on level (default Error) remains, 1 when one does,
    2 when the folder or a file given cannot be used.

    Example: cdisc-convert validate out/carnk-sclc/sdtm --define out/carnk-sclc/define.xml
    """
    from converters.validate import unexplained_at, validate_folder
    from converters.validate.reports import FORMATS, summary_rows, write_reports

    from converters.writers.output_folder import check_output_folder, write_output_folder

    started = time.perf_counter()
    out_dir = (report_dir or default_report_dir(folder)).resolve()
    inputs = [folder, define, dispositions]
    check_output_folder(out_dir, "validation", force=force, inputs=inputs, option="--report-dir")
    result = validate_folder(folder, standard=standard, define=define, dispositions=dispositions,
                             previous=out_dir, select=list(select) or None)
    checked = time.perf_counter() - started
    with write_output_folder(out_dir, "validation", force=force, inputs=inputs, option="--report-dir") as tmp:
        written = write_reports(result, tmp, formats or FORMATS, title=folder.resolve().name)
    files = [out_dir / p.relative_to(tmp) for p in written]
    summary = summary_rows(result)
    study = result.study
    click.echo(f"Validated {len(study.datasets)} datasets ({sum(len(d) for d in study.datasets.values())} records) "
               f"in {folder} against {study.standard} with {len(result.rules)} rules in {checked:.2f} s")
    _echo_skipped(study.skipped)
    if result.dispositions_file:
        click.echo(f"Dispositions: {result.dispositions_file}")
    if len(summary):
        rows = [(r.rule, r.severity, r.dataset, r.count, r.explained, r.title) for r in summary.head(show).itertuples()]
        click.echo(format_table(["Rule", "Severity", "Dataset", "Count", "Explained", "Title"], rows))
        if len(summary) > show:
            click.echo(f"... {len(summary) - show} more rule/dataset rows in the reports")
    else:
        click.echo("No findings.")
    for name, err in sorted(result.rule_errors.items()):
        click.secho(f"rule {name} could not run: {err}", fg="yellow", err=True)
    for stale in result.stale_dispositions:
        click.echo(f"stale disposition (matches nothing): {stale.rule} {stale.dataset or ''} line {stale.line}")
    f = result.findings
    parts = []
    for sev in ("Error", "Warning", "Notice"):
        sub = f[f["severity"].eq(sev)]
        parts.append(f"{len(sub)} {sev.lower()}s ({int((~sub['explained'].astype(bool)).sum())} unexplained)")
    click.echo("Findings: " + ", ".join(parts))
    click.echo("Reports: " + ", ".join(str(p) for p in files))
    if profile:
        _print_profile(result)
    failing = unexplained_at(result, fail_on)
    if failing:
        click.echo(f"Exit 1: {failing} unexplained finding(s) at {fail_on.capitalize()} level or worse "
                   f"(--fail-on {fail_on}); explain them in validation-dispositions.yaml or fix the data.")
        raise SystemExit(1)
    click.echo(f"Exit 0: no unexplained finding at {fail_on.capitalize()} level or worse (--fail-on {fail_on}).")


def _echo_skipped(skipped: list[tuple[str, str]]) -> None:
    """Say how many files were not read as datasets, naming the JSON files that are not Dataset-JSON."""
    if not skipped:
        return
    click.echo(f"Not read as datasets: {len(skipped)} file(s) (other formats, folders, a dataset's second format)")
    for name, why in skipped:
        if why.startswith("JSON but not"):
            click.echo(f"  {name}: {why}")


def _print_profile(result) -> None:
    from converters.validate.profile import profile_rows

    rules, loads = profile_rows(result)
    click.echo("\nTime per rule (slowest first):")
    click.echo(format_table(["Rule", "Seconds", "Findings"], rules[:25]))
    click.echo("\nTime per dataset read:")
    click.echo(format_table(["Dataset", "Seconds", "Records"], loads))
