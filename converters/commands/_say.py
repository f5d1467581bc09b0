"""``--quiet``: one option and one printer for the commands that build (``sdtm``, ``adam``, ``run``)."""
from __future__ import annotations

from collections.abc import Callable

import click

quiet_option = click.option("--quiet", is_flag=True,
                            help="Print nothing but errors (for pipelines); the exit status tells.")


def quiet_echo(quiet: bool) -> Callable[[str], None]:
    """``click.echo``, or a printer of nothing under ``--quiet`` (errors still reach stderr as click raises them)."""
    return (lambda _msg: None) if quiet else click.echo
