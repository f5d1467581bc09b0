"""Shared fixtures, and the one place that says where tests find CDISC reference material.

Reference material comes from two places, and no test builds a path of its own:
- `reference_file(...)`: an official file committed under `tests/fixtures/reference/` (small, published by CDISC for
  reuse; source and licence in its `SOURCES.md`). Always present, so a fresh clone needs nothing beside it.
- the `full_reference` fixture: the whole reference set (standards metadata, CT, every schema and example), found in
  `$CDISC_CONVERT_REFERENCE` or else in `../shared/reference/` beside the checkout. Only our own machines have it, so
  a test that truly needs it is skipped, with this reason, where it is absent.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from converters.cli import cli

TESTS = Path(__file__).resolve().parent
FIXTURE_REFERENCE = TESTS / "fixtures" / "reference"
SEND_EXAMPLES = "dataset-json-1.1/examples/send"


def reference_file(relative: str) -> Path:
    """An official reference file bundled with the tests, e.g. ``reference_file("dataset-json-1.1/schema/dataset.schema.json")``."""
    path = FIXTURE_REFERENCE / relative
    if not path.exists():
        raise FileNotFoundError(f"{relative} is not among the bundled reference fixtures ({FIXTURE_REFERENCE})")
    return path


def full_reference_dir() -> Path:
    """Where the whole reference set would be: $CDISC_CONVERT_REFERENCE, else ../shared/reference beside the checkout."""
    configured = os.environ.get("CDISC_CONVERT_REFERENCE")
    return Path(configured) if configured else TESTS.parents[1] / "shared" / "reference"


@pytest.fixture(autouse=True, scope="session")
def crash_reports_kept_in_the_test_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Crash reports of tests that provoke exit 3 go to the run's temporary folder, not the machine's /tmp."""
    from converters.crash import CRASH_DIR_ENV

    os.environ.setdefault(CRASH_DIR_ENV, str(tmp_path_factory.mktemp("crash-reports")))


@pytest.fixture(scope="session")
def full_reference() -> Path:
    """The whole CDISC reference set; skips the test where it is absent (a user's fresh clone)."""
    folder = full_reference_dir()
    if not (folder / "SOURCES.md").is_file():
        pytest.skip(f"needs the whole CDISC reference set, absent at {folder} (set CDISC_CONVERT_REFERENCE)")
    return folder


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    """Output folder of `cdisc-convert demo` (both example studies, SDTM and validation reports)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (out / "demo-output.txt").write_text(result.output, encoding="utf-8")
    return out
