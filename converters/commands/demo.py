"""``cdisc-convert demo``: convert both shipped example studies, end to end.

The studies' mappings and raw exports are found by ``converters.shipped``: the
source checkout's ``mappings/`` and ``examples/``, else the copies installed as
package data.  The summary table's counts add up per dataset: rows read =
records made from them + rows filtered by the spec + rows rejected.
"""
from __future__ import annotations

from pathlib import Path

import click

from converters.commands._table import format_table
from converters.commands.sdtm import check_out_folder, log_summary, parse_created, run_study, summary_rows
from converters.errors import DataError, Location
from converters.shipped import EXAMPLE_STUDIES, study_mappings, study_raw


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


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Output folder; each study goes to OUT/<study>/sdtm.")
@click.option("--created", default=None, help="Creation time for XPT and Dataset-JSON (ISO 8601).")
def demo(out: Path, created: str | None) -> None:
    """Convert both example studies (CAR-NK SCLC and CLL1 CAR-iPSC-NK AML) to SDTM.

    Example: cdisc-convert demo --out out/demo
    """
    stamp = parse_created(created)
    check_out_folder(out)
    rows = []
    for study in EXAMPLE_STUDIES:
        mappings, raw = shipped_study(study)
        target = out / study / "sdtm"
        click.echo(f"{study}: building SDTM")
        build = run_study(mappings, raw, target, stamp)
        rows += [(study, *row) for row in summary_rows(build)]
        click.echo(f"{study}: {len(build.domains)} datasets -> {target}; {log_summary(build, target)}")
    click.echo(format_table(["Study", "Dataset", "Rows read", "Records", "Filtered", "Rejected", "Variables", "Note"],
                            rows))
