"""``cdisc-convert demo``: convert both shipped example studies, end to end."""
from __future__ import annotations

from pathlib import Path

import click

from converters.commands._table import format_table
from converters.commands.sdtm import parse_created, run_study
from converters.errors import CdiscConvertError, Location

#: the shipped example studies, in the order the demo runs them.
STUDIES = ("carnk-sclc", "cll1-aml")


def shipped_root() -> Path:
    """The folder holding ``mappings/`` (and usually ``examples/``): the source checkout, else the installed copy."""
    import converters

    package = Path(converters.__file__).resolve().parent
    for root in (package.parent, package / "shipped"):
        if all((root / "mappings" / s / "study.yaml").is_file() for s in STUDIES):
            return root
    raise CdiscConvertError("the shipped example studies' mappings were not found", Location(str(package)),
                            hint="run from a source checkout, or reinstall the package with its example data")


def raw_folder(root: Path, study: str, out: Path, echo=click.echo) -> Path | None:
    """The study's shipped raw exports; when they are not installed, generate them (deterministic) under OUT."""
    from converters.spec.study import load_study

    declared = load_study(root / "mappings" / study).raw_dir
    if declared is not None and declared.is_dir():
        return None  # study.yaml's raw folder is used
    from converters.examples import DEFAULT_SEED, generate

    target = out / study / "raw-generated"
    echo(f"{study}: raw exports not installed; generating them into {target}")
    generate(study, target, None, DEFAULT_SEED)
    return target / "raw"


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Output folder; each study goes to OUT/<study>/sdtm.")
@click.option("--created", default=None, help="Creation time for XPT and Dataset-JSON (ISO 8601).")
def demo(out: Path, created: str | None) -> None:
    """Convert both example studies (CAR-NK SCLC and CLL1 CAR-iPSC-NK AML) to SDTM.

    Example: cdisc-convert demo --out out/demo
    """
    stamp = parse_created(created)
    root = shipped_root()
    rows = []
    for study in STUDIES:
        target = out / study / "sdtm"
        click.echo(f"{study}: building SDTM")
        build = run_study(root / "mappings" / study, raw_folder(root, study, out), target, stamp)
        for d in build.domains:
            rows.append((study, d.name, d.rows_read, d.records, d.rejected, len(d.dataset.variables)))
        click.echo(f"{study}: {len(build.domains)} datasets, {len(build.log.frame())} rejection log entries "
                   f"-> {target}")
    click.echo(format_table(["Study", "Dataset", "Rows read", "Records", "Rejected", "Variables"], rows))
