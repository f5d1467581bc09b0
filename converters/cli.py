"""The ``cdisc-convert`` command line.

Each command lives in ``converters/commands/<name>.py`` and is imported only
when it runs, so start-up stays fast.  Every user error (``CdiscConvertError``)
is printed as a message, never a traceback, and exits with status 2.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from converters import __version__
from converters.errors import CdiscConvertError

#: command name -> "module:attribute" of its click command, in the order the help lists them.
COMMANDS: dict[str, str] = {
    "demo": "converters.commands.demo:demo",
    "sdtm": "converters.commands.sdtm:sdtm",
    "validate": "converters.commands.validate:validate",
    "standards": "converters.commands.standards:standards",
    "generate": "converters.commands.generate:generate",
    "spec": "converters.commands.spec:spec",
}


class LazyGroup(click.Group):
    """A click group that imports each command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, target in COMMANDS.items()
                if importlib.util.find_spec(target.split(":")[0]) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or importlib.util.find_spec(target.split(":")[0]) is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):  # noqa: D102 - click hook
        try:
            return super().invoke(ctx)
        except CdiscConvertError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdisc-convert")
def cli() -> None:
    """Raw clinical-trial exports to SDTM (XPT v5 and Dataset-JSON 1.1) and a conformance report.

    ADaM, Define-XML 2.1 and submission packaging build on the same metadata next.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="cdisc-convert")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
