"""``cdisc-convert adam``: build the ADaM datasets of a study from any SDTM folder and the study's ADaM specs."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from converters.commands._say import quiet_echo, quiet_option
from converters.commands._table import format_table
from converters.engine import DEFAULT_BATCH_SUBJECTS


def run_adam(mappings: Path, sdtm: Path, out: Path, created: datetime | None, echo=click.echo,
             force: bool = False, keep_frames: bool = True, batch_subjects: int | None = None):
    """Build and write one study's ADaM; returns (build, escalation summary or None).

    ``keep_frames`` False: written datasets keep only what the summary needs (memory holds one dataset at a time).
    ``batch_subjects``: datasets of subject-local steps derived per batch of that many subjects (same output).
    """
    from converters.adam.pipeline import build_and_write_adam

    return build_and_write_adam(mappings, sdtm, out, created, progress=lambda msg: echo(f"  {msg}"), force=force,
                                keep_frames=keep_frames, batch_subjects=batch_subjects)


def summary_table(build) -> str:
    from converters.adam.output import summary_rows

    return format_table(["Dataset", "Source", "Source records", "Records", "Subjects", "Variables"],
                        summary_rows(build))


def escalation_table(escalation) -> str:
    from converters.adam.escalation import COLUMNS

    return format_table(["Arm", "Dose level", "Treated", "DLT-evaluable", "With DLT", "DLT events", "3+3 decision"],
                        [[row[c] for c in COLUMNS] for row in escalation.rows], max_width=400)


@click.command()
@click.argument("mappings", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sdtm", "sdtm", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="SDTM folder (XPT or Dataset-JSON), from cdisc-convert sdtm or any other source.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: new, empty or this tool's earlier ADaM output; replaced as a whole when the build "
                   "succeeds.")
@click.option("--created", default=None, help="Creation time written into XPT, Dataset-JSON and define.xml (ISO 8601).")
@click.option("--force", is_flag=True, help="Replace OUT even when it holds files this tool did not write "
              "(never the SDTM or mappings folder, a folder holding them, the current or home folder).")
@click.option("--batch-subjects", type=click.IntRange(min=1), default=DEFAULT_BATCH_SUBJECTS, show_default=True,
              metavar="N", help="Subjects per batch: a dataset whose derivations are all subject-local is derived "
                                "per batch, so memory follows the batch size, not the study; the output is the same "
                                "whatever N is.")
@quiet_option
def adam(mappings: Path, sdtm: Path, out: Path, created: str | None, force: bool, batch_subjects: int,
         quiet: bool) -> None:
    """Build the ADaM datasets specified in MAPPINGS/adam/*.yaml from the SDTM folder --sdtm.

    Writes OUT/<dataset>.xpt and .json, metadata.json, define.xml with define.html, build-summary.csv and, when
    MAPPINGS/adam/escalation.yaml
    exists, escalation-summary.csv (per arm and dose level: treated, DLT-evaluable, with a DLT, 3+3 decision).

    Example: cdisc-convert adam mappings/carnk-sclc --sdtm out/carnk-sclc/sdtm --out out/carnk-sclc/adam
    """
    from converters.commands.sdtm import parse_created

    stamp = parse_created(created)
    say = quiet_echo(quiet)
    say(f"Building ADaM for {mappings} from {sdtm}")
    build, escalation = run_adam(mappings, sdtm, out, stamp, echo=say, force=force, keep_frames=False,
                                 batch_subjects=batch_subjects)
    say(summary_table(build))
    say(f"{len(build.datasets)} datasets written to {out}")
    if escalation is not None:
        say("\nDose escalation (from ADSL and ADAE):")
        say(escalation_table(escalation))
        say(f"written to {out / 'escalation-summary.csv'}")
