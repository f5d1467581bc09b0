"""``cdisc-convert generate``: write an example study's raw exports and expected answers."""
from __future__ import annotations

import time
from pathlib import Path

import click

from converters.errors import CdiscConvertError


@click.command("generate")
@click.argument("study", type=click.Choice(["carnk-sclc", "cll1-aml"]))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write raw/ and expected/ into.")
@click.option("--subjects", type=click.IntRange(min=1), default=None,
              help="Number of enrolled subjects (screen failures are added); default: the committed size.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed (a whole number, 0 or more); default: the seed of the committed files.")
def generate(study: str, out: Path, subjects: int | None, seed: int | None) -> None:
    """Generate example STUDY (carnk-sclc or cll1-aml) deterministically into OUT."""
    from converters.examples import DEFAULT_SEED, generate as run

    started = time.perf_counter()
    try:
        counts = run(study, out, subjects, DEFAULT_SEED if seed is None else seed)
    except OSError as exc:
        raise CdiscConvertError(f"cannot write the study: {exc}", hint="check that --out is writable") from exc
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        click.echo(f"  raw/{name + '.csv':<{width + 4}} {rows:>10,} rows")
    click.echo(f"{study}: {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s -> {out}")
