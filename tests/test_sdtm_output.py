"""Output: written atomically, deterministic, metadata.json round-trips; CLI errors name spec file and line."""
import json

import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.metadata.io import read_metadata, study_to_json
from converters.sdtm.output import write_build
from converters.sdtm.study import build_study
from sdtm_fixtures import write_tiny_study


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mappings = write_tiny_study(tmp_path_factory.mktemp("tiny"))
    return mappings, build_study(mappings, builtins=False)


def test_layout_and_metadata_round_trip(tiny, tmp_path):
    _, build = tiny
    out = write_build(build, tmp_path / "sdtm")
    names = sorted(p.name for p in out.iterdir())
    assert names == [".cdisc-convert-output",  # the output-folder marker
                     "ae.json", "ae.xpt", "build-summary.csv", "coverage.csv", "define.html", "define.xml",
                     "define2-1.xsl", "dm.json", "dm.xpt", "ex.json", "ex.xpt", "metadata.json", "rejections.csv",
                     "suppae.json", "suppae.xpt", "suppdm.json", "suppdm.xpt"]
    again = read_metadata(out / "metadata.json")
    assert study_to_json(again) == (out / "metadata.json").read_text(encoding="utf-8")
    assert again.dataset("AE").variable("AESTDY").origin.type == "Derived"
    header = (out / "rejections.csv").read_text().splitlines()[0]
    assert header == "domain,source,row,column,value,reason,action"


def test_identical_input_gives_identical_bytes(tiny, tmp_path):
    mappings, build = tiny
    a = write_build(build, tmp_path / "a")
    b = write_build(build_study(mappings, builtins=False), tmp_path / "b")
    for path in sorted(a.iterdir()):
        assert path.read_bytes() == (b / path.name).read_bytes(), path.name


def test_failed_run_leaves_previous_output_intact(tiny, tmp_path):
    mappings, build = tiny
    out = write_build(build, tmp_path / "sdtm")
    before = (out / "ae.xpt").read_bytes()
    (mappings / "sdtm" / "ae.yaml").write_text((mappings / "sdtm" / "ae.yaml").read_text()
                                               .replace("{assign_ct: SER", "{asign_ct: SER"))
    try:
        result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--out", str(out)])
    finally:
        (mappings / "sdtm" / "ae.yaml").write_text((mappings / "sdtm" / "ae.yaml").read_text()
                                                   .replace("{asign_ct: SER", "{assign_ct: SER"))
    assert result.exit_code == 2
    assert "ae.yaml:" in result.output and "did you mean assign_ct?" in result.output
    assert "Traceback" not in result.output
    assert (out / "ae.xpt").read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".sdtm")]


def test_sdtm_command_prints_progress_and_summary(tiny, tmp_path, monkeypatch):
    mappings, _ = tiny
    monkeypatch.setattr("converters.sdtm.study.BUILTIN_BUILDERS", {})  # spec-driven domains only
    result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--out", str(tmp_path / "o"), "--created",
                                      "2025-03-28T10:00:00"])
    assert result.exit_code == 0, result.output
    assert "AE: 4 records" in result.output and "Rejected" in result.output
    doc = json.loads((tmp_path / "o" / "ae.json").read_text())
    assert doc["datasetJSONCreationDateTime"].startswith("2025-03-28T10:00:00")


def test_bad_created_stamp_is_a_clear_error(tiny, tmp_path):
    mappings, _ = tiny
    result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--out", str(tmp_path / "o"), "--created", "soon"])
    assert result.exit_code == 2 and "--created" in result.output
