"""``cdisc-convert spec``: tools for writing mapping specs (the JSON Schema editors use to check them)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from converters.spec.schema import KINDS, json_schema


@click.group()
def spec() -> None:
    """Tools for writing mapping specs, study.yaml and dispositions files."""


@spec.command("schema")
@click.option("--kind", type=click.Choice(KINDS), default="domain", show_default=True,
              help="domain: an SDTM domain spec (sdtm/*.yaml); study: study.yaml; dispositions: "
                   "validation-dispositions.yaml.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the schema to this file (default: print it).")
def schema(kind: str, out: Path | None) -> None:
    """Write the JSON Schema of a spec file, for editors that complete and check YAML while you type.

    Example: cdisc-convert spec schema --out .schemas/sdtm-spec.json, then put
    `# yaml-language-server: $schema=../../../.schemas/sdtm-spec.json` at the top of a spec
    (docs/mapping-spec.md, "Editor support").
    """
    from converters.writers.transport import atomic_file

    text = json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    click.echo(f"JSON Schema of a {kind} file written to {out}")
