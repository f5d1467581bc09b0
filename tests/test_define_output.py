"""`cdisc-convert define` writes only where it may: a define folder of its own, or beside datasets whose define
files are its own; someone else's define.xml is never replaced without --force (a test per way it could be lost)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from define_fixtures import write_adam_folder

from converters.cli import cli
from converters.metadata.io import write_metadata
from converters.writers.output_folder import MARKER, read_marker, write_marker


@pytest.fixture()
def datasets(tmp_path) -> Path:
    folder = tmp_path / "adam"
    write_metadata(write_adam_folder(folder), folder / "metadata.json")
    return folder


def _define(*args: str):
    return CliRunner().invoke(cli, ["define", *args])


def test_define_out_is_a_folder_of_its_own_with_leaves_pointing_at_the_datasets(datasets, tmp_path):
    out = tmp_path / "define"
    result = _define(str(datasets), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {"define.xml", "define.html", "define2-1.xsl", MARKER} <= {p.name for p in out.iterdir()}
    assert 'xlink:href="../adam/adsl.xpt"' in (out / "define.xml").read_text(encoding="utf-8")
    assert read_marker(out)["kind"] == "define"
    again = _define(str(datasets), "--out", str(out))  # our own folder: replaced
    assert again.exit_code == 0, again.output


def test_define_out_refuses_a_folder_holding_files_of_someone_else_and_touches_nothing(datasets, tmp_path):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = _define(str(datasets), "--out", str(out))
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_define_out_refuses_the_dataset_folders_parent_even_with_force(datasets):
    result = _define(str(datasets), "--out", str(datasets.parent), "--force")
    assert result.exit_code == 2 and "input" in result.output


def test_a_define_beside_datasets_does_not_replace_someone_elses_define_without_force(datasets):
    (datasets / "define.xml").write_text("<theirs/>", encoding="utf-8")
    refused = _define(str(datasets))
    assert refused.exit_code == 2 and "define.xml" in refused.output and "--force" in refused.output
    assert (datasets / "define.xml").read_text(encoding="utf-8") == "<theirs/>"
    forced = _define(str(datasets), "--force")
    assert forced.exit_code == 0, forced.output
    assert (datasets / "define.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_a_define_beside_datasets_this_tool_wrote_is_replaced_and_listed_in_their_marker(datasets):
    (datasets / "define.xml").write_text("<old/>", encoding="utf-8")
    write_marker(datasets, "adam", "complete")
    result = _define(str(datasets), "--no-html")
    assert result.exit_code == 0, result.output
    marker = read_marker(datasets)
    assert marker["kind"] == "adam" and {"define.xml", "define2-1.xsl"} <= set(marker["files"])
