"""The ``cdisc-convert`` command line.

Each command lives in ``converters/commands/<name>.py`` and is imported only
when it runs, so start-up stays fast.  Exit status, the same for every command:

* 0: done; 1: ``validate``/``demo`` only, findings remain at the ``--fail-on`` level;
* 2: a user error (``CdiscConvertError``, or a command-line usage error): the message names the
  file, line or row and column and gives a hint, never a traceback;
* 3: an unexpected failure (a bug): one line on stderr and a crash report file
  (``converters.crash``) holding the traceback, never exit 1;
* 143 on SIGTERM (temporary output folders are removed first), 130 on Ctrl-C.
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
    "adam": "converters.commands.adam:adam",
    "define": "converters.commands.define:define",
    "validate": "converters.commands.validate:validate",
    "standards": "converters.commands.standards:standards",
    "generate": "converters.commands.generate:generate",
    "run": "converters.commands.run:run",
    "init": "converters.commands.init:init",
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
        from converters.crash import handle_unexpected, stop_on_sigterm

        try:
            with stop_on_sigterm():
                return super().invoke(ctx)
        except CdiscConvertError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 3 with a crash report
            handle_unexpected(exc, ctx)
            ctx.exit(3)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdisc-convert")
def cli() -> None:
    """Raw clinical-trial exports to SDTM and ADaM (XPT v5 and Dataset-JSON 1.1), Define-XML 2.1, a conformance
    report and the submission package.

    Start with `cdisc-convert run mappings/<study> --out <folder>`, or `cdisc-convert demo` for the example studies.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="cdisc-convert")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
