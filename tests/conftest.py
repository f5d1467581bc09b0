"""Shared fixtures: one run of `cdisc-convert demo` serves every end-to-end test of the session."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from converters.cli import cli


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    """Output folder of `cdisc-convert demo` (both example studies, SDTM and validation reports)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (out / "demo-output.txt").write_text(result.output, encoding="utf-8")
    return out
