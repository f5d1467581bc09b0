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
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
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
@click.option("--rules", "select", multiple=True,
              help="Run only rules whose ID starts with this (repeat), e.g. CT; a prefix no rule has is an error.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp1252", "latin-1", "ascii"]), default="auto",
              show_default=True, help="Text encoding of the XPT files (auto: detected per file and reported).")
@click.option("--profile", is_flag=True, help="Print the time each rule and each dataset read took.")
@click.option("--show", default=40, show_default=True, help="Rows of the summary table to print.")
@click.option("--force", is_flag=True, help="Replace the report folder even when it holds files this tool did "
              "not write (never FOLDER, a folder holding it, the current or home folder).")
def validate(folder: Path | None, define: Path | None, standard: str | None, report_dir: Path | None,
             dispositions: Path | None, fail_on: str, formats: tuple[str, ...], select: tuple[str, ...],
             encoding: str, profile: bool, show: int, force: bool) -> None:
    """Validate every XPT / Dataset-JSON dataset in FOLDER and write HTML, XLSX, CSV and JSON reports.

    Offline, with the bundled SDTMIG 3.4, ADaMIG 1.3 and CDISC CT 2025-03-28.  Exit status:
    0 when no unexplained finding at --fail-on level (default Error) remains, 1 when one does,
    2 when the folder or a file given cannot be used, or an option is wrong (e.g. --rules ZZ), 3 when a rule
    could not run (an internal error; the tracebacks go to crash-report.txt beside the reports).

    With --define and no FOLDER, the define is checked on its own (schema, OIDs, roles, origins, methods,
    codelists against CT, keys, leaf files).

    Example: cdisc-convert validate out/carnk-sclc/sdtm --define out/carnk-sclc/sdtm/define.xml
    """
    from converters.validate import unexplained_at, validate_folder
    from converters.validate.reports import FORMATS, summary_rows, write_reports

    from converters.writers.output_folder import check_output_folder, write_output_folder

    check_rule_prefixes(select)
    if folder is not None:
        target, title = folder, folder.resolve().name
    elif define is not None:
        target, title = define.resolve().parent, define.name
    else:
        raise click.UsageError("give a FOLDER of datasets, or --define DEFINE.xml to check a define on its own")
    started = time.perf_counter()
    out_dir = (report_dir or (default_report_dir(target) if folder is not None
                              else target.parent / f"{target.name}-define-validation")).resolve()
    inputs = [folder, define, dispositions]
    check_output_folder(out_dir, "validation", force=force, inputs=inputs, option="--report-dir")
    if folder is not None:
        result = validate_folder(folder, standard=standard, define=define, dispositions=dispositions,
                                 previous=out_dir, select=list(select) or None, encoding=encoding)
    elif define is not None:
        result = validate_define_alone(define, standard, dispositions, out_dir, list(select) or None)
    else:  # pragma: no cover - refused above
        raise click.UsageError("give a FOLDER of datasets, or --define DEFINE.xml to check a define on its own")
    checked = time.perf_counter() - started
    with write_output_folder(out_dir, "validation", force=force, inputs=inputs, option="--report-dir") as tmp:
        written = write_reports(result, tmp, formats or FORMATS, title=title)
        if result.rule_errors:  # inside the report folder's swap, so the folder stays the tool's own
            written.append(write_crash_report(result, tmp))
    files = [out_dir / p.relative_to(tmp) for p in written]
    summary = summary_rows(result)
    study = result.study
    assert study is not None  # validate_folder and validate_define_alone always keep the study they read
    if folder is None:
        click.echo(f"Validated {define} on its own (no datasets) with {len(result.rules)} rules in {checked:.2f} s")
    else:
        click.echo(f"Validated {len(study.datasets)} datasets ({sum(len(d) for d in study.datasets.values())} "
                   f"records) in {folder} against {study.standard} with {len(result.rules)} rules in {checked:.2f} s")
        version, source = study.ig_version
        if version:
            click.echo(f"Folder's SDTMIG version: {version} (from {source})")
    _echo_define_version(study.define)
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
    if result.rule_errors:
        report = out_dir / "crash-report.txt"
        click.secho(f"Exit 3: internal error: {len(result.rule_errors)} rule(s) could not run, so the findings are "
                    f"incomplete; crash report: {report}", fg="red", err=True)
        raise SystemExit(3)
    failing = unexplained_at(result, fail_on)
    if failing:
        click.echo(f"Exit 1: {failing} unexplained finding(s) at {fail_on.capitalize()} level or worse "
                   f"(--fail-on {fail_on}); explain them in validation-dispositions.yaml or fix the data.")
        raise SystemExit(1)
    click.echo(f"Exit 0: no unexplained finding at {fail_on.capitalize()} level or worse (--fail-on {fail_on}).")


def write_crash_report(result, out_dir: Path) -> Path:
    """The tracebacks of the rules that could not run, beside the reports (written atomically)."""
    from converters import __version__
    from converters.validate.reports import atomic_report

    path = out_dir / "crash-report.txt"
    lines = [f"cdisc-convert {__version__}: rules that could not run (a bug; please report it with this file)", ""]
    for rule_id in sorted(result.rule_tracebacks):
        lines += [f"== {rule_id}: {result.rule_errors[rule_id]}", result.rule_tracebacks[rule_id]]
    with atomic_report(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path


def check_rule_prefixes(select: tuple[str, ...]) -> None:
    """Every --rules prefix must match a rule ID: a typo would otherwise run nothing and pass a pipeline gate."""
    from converters.validate.catalog import REGISTRY

    unknown = [p for p in select if not any(r.startswith(p.upper()) for r in REGISTRY)]
    if unknown:
        families = sorted({r[:2] for r in REGISTRY})
        raise click.UsageError(f"--rules {', '.join(unknown)} matches no rule ID (rule IDs start with "
                               f"{', '.join(families)}; see docs/rules.md)")


def validate_define_alone(define: Path, standard: str | None, dispositions: Path | None, previous: Path,
                          select: list[str] | None):
    """Run the define rules (DF, DX) on a define with no datasets."""
    from converters.validate import validate_study
    from converters.validate.data import StudyData
    from converters.validate.define_reader import read_define

    meta = read_define(define)
    if standard is None:
        analysis = meta.study is not None and meta.study.purpose == "Analysis"
        standard = "adamig-1.3" if analysis else "sdtmig-3.4"
    study = StudyData(datasets={}, folder=None, standard=standard, define=meta)
    return validate_study(study, dispositions=dispositions, previous=previous, select=select or ["DF", "DX"])


def _echo_define_version(define) -> None:
    """Say plainly when the define is not Define-XML 2.1 (its datasets are then not compared with the data)."""
    if define is None or define.supported:
        return
    version = f"Define-XML {define.version}" if define.version else "not Define-XML (no def: namespace)"
    click.secho(f"{define.path} is {version}: only Define-XML 2.1 is supported, so the define was not compared "
                f"with the data (rule DX0001).", fg="yellow")


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
