"""A define checked on its own (validate --define with no data): the checks reviewers' tools make, and
Define-XML 1.0/2.0 told apart instead of every dataset being reported undescribed."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import reference_file
from define_fixtures import adam_frames, adam_study, write_adam_folder

from converters.cli import cli
from converters.metadata.model import CodelistTerm
from converters.validate import validate_study
from converters.validate.data import StudyData
from converters.validate.define_reader import read_define
from define_xml.writer import render_define, write_define


def _findings(define: Path, standard: str = "adamig-1.3") -> dict[str, list[str]]:
    study = StudyData(datasets={}, folder=None, standard=standard, define=read_define(define))
    result = validate_study(study, select=["DF", "DX"])
    out: dict[str, list[str]] = {}
    for row in result.findings.itertuples():
        out.setdefault(row.rule, []).append(f"{row.dataset} {row.variable} {row.values}".strip())
    return out


def test_a_sound_adam_define_has_no_findings_of_its_own(tmp_path):
    folder = tmp_path / "adam"
    write_define(write_adam_folder(folder), folder)
    assert _findings(folder / "define.xml") == {}


def test_review_checks_find_what_reviewers_look_for(tmp_path):
    folder = tmp_path / "adam"
    study = write_adam_folder(folder)
    broken = copy.deepcopy(study)
    broken.dataset("ADSL").variable("SAFFL").method = None  # Derived without a method
    for var in broken.dataset("ADAE").variables:
        var.key_sequence = None  # no keys
    ny = next(c for c in broken.codelists if c.name == "NY")
    ny.terms.append(CodelistTerm("MAYBE", None, "Maybe", extended=True))  # NY is not extensible
    ny.terms.append(CodelistTerm("X", None, "Cross"))  # not a term of NY, not marked as an extension
    broken.dataset("ADRS").leaf = "missing/adrs.xpt"
    (folder / "define.xml").write_bytes(render_define(broken))
    found = _findings(folder / "define.xml")
    assert found["DX0005"] == ["ADSL SAFFL SAFFL"]
    assert found["DX0008"] == ["ADAE  ADAE"]
    assert found["DX0007"] == ["DEFINE  MAYBE"]
    assert found["DX0006"] == ["DEFINE  X"]
    assert found["DX0009"] == ["ADRS  missing/adrs.xpt"]


def test_sdtm_item_refs_need_roles_and_collected_origins_pages(tmp_path):
    tree_text = reference_file("define-xml-2.1/examples/defineV21-SDTM.xml").read_bytes()
    define = tmp_path / "define.xml"
    define.write_bytes(tree_text)
    found = _findings(define, "sdtmig-3.4")
    assert "DM STUDYID STUDYID" in found["DX0003"]  # the CDISC example gives no Role
    assert "DX0002" not in found  # its OIDs are sound


def test_dangling_oid_is_reported(tmp_path):
    folder = tmp_path / "adam"
    write_define(write_adam_folder(folder), folder)
    text = (folder / "define.xml").read_text(encoding="utf-8").replace('MethodOID="MT.ADSL.SAFFL"',
                                                                        'MethodOID="MT.ADSL.GONE"')
    (folder / "define.xml").write_text(text, encoding="utf-8")
    found = _findings(folder / "define.xml")
    assert any("MT.ADSL.GONE" in f and "not defined" in f for f in found["DX0002"])
    assert any("MT.ADSL.SAFFL" in f and "nothing refers" in f for f in found["DX0002"])


def test_cli_checks_a_define_without_data(tmp_path):
    folder = tmp_path / "adam"
    write_define(write_adam_folder(folder), folder)
    result = CliRunner().invoke(cli, ["validate", "--define", str(folder / "define.xml")])
    assert result.exit_code == 0, result.output
    assert "on its own (no datasets)" in result.output and "No findings." in result.output
    assert (tmp_path / "adam-define-validation" / "report.html").is_file()


def test_cli_says_when_a_define_is_2_0(tmp_path):
    folder = tmp_path / "adam"
    write_adam_folder(folder)
    old = reference_file("define-xml-2.0/examples/define2-0-0-example-adam.xml")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--define", str(old),
                                      "--rules", "DF", "--rules", "DX"])
    assert "is Define-XML 2.0: only Define-XML 2.1 is supported" in result.output
    assert "DX0001" in result.output and "DF0003" not in result.output  # datasets not reported as undescribed


def test_define_command_prints_verdict_and_counts(tmp_path):
    folder = tmp_path / "adam"
    study = write_adam_folder(folder)
    from converters.metadata.io import write_metadata
    write_metadata(study, folder / "metadata.json")
    result = CliRunner().invoke(cli, ["define", str(folder), "--out", str(tmp_path / "def")])
    assert result.exit_code == 0, result.output
    assert "valid against Define-XML 2.1 + ARM 1.0" in result.output
    assert "result displays  3" in result.output
    text = (tmp_path / "def" / "define.xml").read_text(encoding="utf-8")
    assert 'xlink:href="../adam/adsl.xpt"' in text
    assert (tmp_path / "def" / "define.html").is_file()


def test_adam_frames_fixture_is_what_the_metadata_describes():
    frames = adam_frames()
    study = adam_study(frames)
    for ds in study.datasets:
        assert list(frames[ds.name].columns) == ds.variable_names


@pytest.mark.parametrize("uri, version", [("http://www.cdisc.org/ns/def/v2.0", "2.0"),
                                          ("http://www.cdisc.org/ns/def/v1.0", "1.0")])
def test_older_define_versions_are_named_not_checked(tmp_path, uri, version):
    define = tmp_path / "define.xml"
    define.write_text(f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="{uri}"><Study OID="S">'
                      f'<MetaDataVersion OID="M" Name="M" def:DefineVersion="{version}.0"><ItemGroupDef OID="IG.DM" '
                      f'Name="DM"/></MetaDataVersion></Study></ODM>', encoding="utf-8")
    meta = read_define(define)
    assert (meta.version, meta.supported, meta.datasets) == (version, False, {})
    assert _findings(define, "sdtmig-3.4") == {"DX0001": [f"DEFINE  Define-XML {version}"]}
