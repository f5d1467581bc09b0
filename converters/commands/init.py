"""``cdisc-convert init``: draft a study's mapping folder from its raw exports (docs/init.md)."""
from __future__ import annotations

from pathlib import Path

import click

from converters.commands._table import format_table
from converters.errors import CdiscConvertError, Location


def _encodings(values: tuple[str, ...]) -> dict[str, str]:
    table = {}
    for value in values:
        form, _, encoding = value.partition("=")
        if not form or not encoding:
            raise CdiscConvertError(f"--encoding {value!r} is not FORM=ENCODING", Location(),
                                    hint="e.g. --encoding ie=cp1252")
        table[form.strip().lower()] = encoding.strip()
    return table


@click.command()
@click.argument("raw", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--study", required=True, help="Study folder name (mappings/<study>); also the STUDYID when the raw "
                                             "files have no single STUDYID value.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Mappings folder to create (default: mappings/<study>); must not hold a study yet.")
@click.option("--encoding", "encodings", multiple=True, help="FORM=ENCODING of a CSV export (repeat), e.g. ie=cp1252.")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Build the draft once; a domain spec that stops the build is moved to drafts/ with the reason.")
def init(raw: Path, study: str, out: Path | None, encodings: tuple[str, ...], check: bool) -> None:
    """Draft mappings/<study> from the raw exports in RAW.

    Reads every raw file, profiles forms and columns (forms.md), guesses each form's SDTM domain and each
    variable's source from column names, values (CDISC CT codelists and synonyms) and CDASH conventions, and
    writes study.yaml and sdtm/<domain>.yaml with every guess marked REVIEW (evidence, confidence), drafts/ for
    domains it cannot complete, and TODO.md for what it could not map.

    Example: cdisc-convert init examples/carnk-sclc/raw --study my-study
    """
    from converters.scaffold import scaffold_study

    folder = out or Path("mappings") / study
    result = scaffold_study(raw, folder, study, encodings=_encodings(encodings), check=check, say=click.echo)
    place: dict[str, list[str]] = {}
    for domain, forms in result.sources.items():
        where = ("study.yaml ie_source" if domain == "IE" else
                 f"{'sdtm' if domain in result.specs else 'drafts'}/{domain.lower()}.yaml")
        for name in forms:
            place.setdefault(name, []).append(where)
    rows = [(form.file, form.rows, len(form.columns), ", ".join(place.get(form.name, ["-"])))
            for form in result.forms]
    click.echo(format_table(["Raw file", "Rows", "Columns", "Drafted into"], rows))
    click.echo(f"sdtm/: {', '.join(d.lower() + '.yaml' for d in result.specs) or 'none'}")
    if result.drafts:
        click.echo(f"drafts/ (incomplete): {', '.join(d.lower() + '.yaml' for d in result.drafts)}")
    click.echo(f"{len(result.todo)} to-do items in {folder / 'TODO.md'}; raw columns in {folder / 'forms.md'}")
    if check:
        if result.built:
            raw_hint = "" if _raw_inside(folder) else f" --raw {raw}"
            click.echo(f"The draft builds: cdisc-convert sdtm {folder}{raw_hint} --out <folder>")
        else:
            click.secho(f"The draft does not build yet: {result.build_error}", fg="yellow", err=True)


def _raw_inside(folder: Path) -> bool:
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    return "raw: {folder:" in text
