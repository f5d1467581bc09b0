"""``cdisc-convert standards``: look up the bundled SDTMIG, ADaMIG and CDISC CT."""
from __future__ import annotations

import click

from converters.commands._table import format_table
from converters.errors import StandardsError
from converters.standards import adamig, ct, sdtmig

GUIDES = {"sdtmig": sdtmig, "adamig": adamig}


@click.group()
def standards() -> None:
    """Look up the bundled SDTMIG 3.4, ADaMIG 1.3 and CDISC CT 2025-03-28."""


@standards.command("list")
@click.option("--standard", type=click.Choice(sorted(GUIDES)), default="sdtmig", show_default=True)
def list_datasets(standard: str) -> None:
    """List the datasets an implementation guide defines."""
    guide = GUIDES[standard]
    rows = [(name, info.label, info.dataset_class) for name in guide.dataset_names()
            for info in [guide.dataset(name)]]
    click.echo(f"{guide.name} {guide.version}: {len(rows)} datasets")
    click.echo(format_table(["Dataset", "Label", "Class"], rows))


@standards.command("show")
@click.argument("dataset")
@click.option("--standard", type=click.Choice(sorted(GUIDES)), default=None,
              help="Guide to look in (default: ADaMIG for AD* names, else SDTMIG).")
def show(dataset: str, standard: str | None) -> None:
    """Show DATASET's variables in standard order with label, type, core and codelist.

    Example: cdisc-convert standards show AE
    """
    name = dataset.upper()
    guide = GUIDES[standard] if standard else (adamig if name.startswith("AD") else sdtmig)
    info = guide.dataset(name)
    variables = guide.variables(name)
    click.echo(f"{name} - {info.label} ({guide.name} {guide.version}; {info.dataset_class})")
    if info.structure:
        click.echo(f"Structure: {info.structure}")
    rows = [(v.order, v.name, v.label, v.type, v.core, v.role, v.codelist or "") for v in variables]
    click.echo(format_table(["#", "Variable", "Label", "Type", "Core", "Role" if guide is sdtmig else "Variable set",
                             "Codelist"], rows))


@standards.command("codelist")
@click.argument("name")
@click.option("--package", type=click.Choice(["sdtm", "adam", "define"]), default=None,
              help="CT package to look in (default: SDTM, then ADaM, then Define-XML).")
def codelist(name: str, package: str | None) -> None:
    """Show a codelist's terms with NCI codes; NAME is a short name (NY, AESEV) or NCI code (C66742)."""
    try:
        info = ct.codelist(name, package)
    except StandardsError:
        hits = sdtmig.find_variable(name) + adamig.find_variable(name)
        named = [h.codelist for h in hits if h.codelist]
        if not named:
            raise
        info = ct.codelist(named[0])
        click.echo(f"{name.upper()} is a variable; showing its codelist {info.name}")
    ext = "extensible" if info.extensible else "not extensible"
    click.echo(f"{info.name} ({info.code}) - {info.label}; {ext}; CDISC CT {ct.version} {info.package.upper()}")
    rows = [(t.code, t.submission_value, "; ".join(t.synonyms), t.preferred_term) for t in info.terms]
    click.echo(format_table(["NCI code", "Submission value", "Synonyms", "Preferred term"], rows))


@standards.command("codelists")
@click.option("--package", type=click.Choice(["sdtm", "adam", "define"]), default=None)
@click.option("--search", default=None, help="Only codelists whose name or label contains this text.")
def codelists(package: str | None, search: str | None) -> None:
    """List codelists (short name, NCI code, label, extensible)."""
    items = ct.codelists(package)
    if search:
        needle = search.upper()
        items = [c for c in items if needle in c.name.upper() or needle in c.label.upper()]
    rows = [(c.name, c.code, c.label, "Yes" if c.extensible else "No", c.package) for c in items]
    click.echo(format_table(["Codelist", "NCI code", "Label", "Extensible", "Package"], rows))
