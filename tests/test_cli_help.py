"""Every command of the CLI answers --help, and the group lists them all."""
import click
import pytest
from click.testing import CliRunner

from converters.cli import COMMANDS, cli


def _subcommands(command: click.Command, path: tuple[str, ...]):
    yield path
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from _subcommands(command.get_command(click.Context(command), name), (*path, name))


def all_command_paths():
    paths = []
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        paths.extend(_subcommands(command, (name,)))
    return paths


def test_the_group_lists_every_registered_command():
    output = CliRunner().invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert name in output


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p))
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
