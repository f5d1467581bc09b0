"""The submission package: eCTD m5 layout, FDA technical rejection criteria 1734/1736, manifest, atomic replace.

Packages here are assembled from hand-made stage folders (a few XPT files and a define.xml), so the rules are
checked on exactly the names FDA checks, including the ADaM ones the ADaM and define stages will write.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from converters.metadata.model import Dataset, Variable
from converters.package import PackageSources, RejectionCriteriaError, assemble_package
from converters.package.layout import PackageLayout
from converters.package.manifest import verify_manifest
from converters.writers.xpt import write_xpt


def _xpt(folder: Path, name: str, frame: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ds = Dataset(name=name.upper(), label=name.upper(),
                 variables=[Variable(name=c, label=c, data_type="text") for c in frame.columns])
    write_xpt(frame, ds, folder / f"{name}.xpt")


def sdtm_folder(root: Path, sstdtc: str | None = "2023-02-21", define: bool = True) -> Path:
    folder = root / "sdtm"
    _xpt(folder, "dm", pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ["S1-001"]}))
    rows = {"STUDYID": ["S1", "S1"], "TSPARMCD": ["TITLE", "SSTDTC"], "TSVAL": ["A study", sstdtc or ""]}
    if sstdtc is None:
        rows = {k: v[:1] for k, v in rows.items()}
    _xpt(folder, "ts", pd.DataFrame(rows))
    (folder / "rejections.csv").write_text("domain,source,row,column,value,reason,action\n", encoding="utf-8")
    if define:
        (folder / "define.xml").write_text("<ODM/>\n", encoding="utf-8")
        (folder / "define.html").write_text("<html/>\n", encoding="utf-8")
        (folder / "define2-1.xsl").write_text("<xsl/>\n", encoding="utf-8")
    return folder


def adam_folder(root: Path, adsl: bool = True) -> Path:
    folder = root / "adam"
    _xpt(folder, "adsl" if adsl else "adae", pd.DataFrame({"STUDYID": ["S1"], "USUBJID": ["S1-001"]}))
    (folder / "define.xml").write_text("<ODM/>\n", encoding="utf-8")
    return folder


def test_a_complete_package_has_the_ectd_layout_and_a_manifest_that_matches(tmp_path):
    sources = PackageSources(study="s1", sdtm=sdtm_folder(tmp_path), adam=adam_folder(tmp_path), studyid="S1")
    result = assemble_package(sources, tmp_path / "pkg", created="2025-01-01T00:00:00", command=["cdisc-convert"])
    layout = PackageLayout(result.path, "s1")
    for name in ("dm.xpt", "ts.xpt", "define.xml", "define.html", "define2-1.xsl"):
        assert (layout.tabulations / name).is_file()
    assert (layout.analysis / "adsl.xpt").is_file() and (layout.analysis / "define.xml").is_file()
    assert (result.path / "logs" / "sdtm" / "rejections.csv").is_file()
    assert not list((result.path / "m5").rglob("rejections.csv")), "logs stay beside m5, not in it"
    assert (result.path / "reviewers-guide" / "csdrg.md").is_file()
    assert (result.path / "reviewers-guide" / "adrg.md").is_file()
    assert {c.status for c in result.checks} == {"pass"}
    assert verify_manifest(result.path) == []
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"]["name"] == "cdisc-convert"
    assert {s["name"] for s in manifest["standards"]} >= {"SDTMIG", "ADaMIG", "CDISC CT"}


def test_the_manifest_notices_a_changed_file(tmp_path):
    result = assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path)), tmp_path / "pkg")
    (PackageLayout(result.path, "s1").tabulations / "dm.xpt").write_bytes(b"changed")
    assert verify_manifest(result.path) == ["changed: m5/datasets/s1/tabulations/sdtm/dm.xpt"]


@pytest.mark.parametrize("sstdtc", [None, "2023-02", "2023-02-30", "21-FEB-2023"])
def test_rule_1734_needs_a_complete_iso_8601_study_start_date(tmp_path, sstdtc):
    with pytest.raises(RejectionCriteriaError, match="rule 1734"):
        assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path, sstdtc)), tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


def test_rule_1734_accepts_a_date_time(tmp_path):
    result = assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path, "2023-02-21T10:00")),
                              tmp_path / "pkg")
    assert result.checks[0].status == "pass"


def test_rule_1736_needs_the_sdtm_define(tmp_path):
    with pytest.raises(RejectionCriteriaError, match=r"rule 1736: .*tabulations/sdtm/define.xml is missing"):
        assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path, define=False)), tmp_path / "pkg")


def test_rule_1736_needs_adsl_when_the_package_holds_adam(tmp_path):
    sources = PackageSources(study="s1", sdtm=sdtm_folder(tmp_path), adam=adam_folder(tmp_path, adsl=False))
    with pytest.raises(RejectionCriteriaError, match=r"rule 1736: .*analysis/adam/datasets/adsl.xpt is missing"):
        assemble_package(sources, tmp_path / "pkg")


def test_rule_1736_needs_adsl_when_adam_was_expected(tmp_path):
    with pytest.raises(RejectionCriteriaError, match="adsl.xpt is missing"):
        assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path)), tmp_path / "pkg", expect_adam=True)


def test_a_missing_stage_makes_its_criteria_pending_not_passed(tmp_path):
    result = assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path, define=False)), tmp_path / "pkg",
                              define_pending="no define stage", adam_pending="no ADaM stage")
    status = {c.file.rsplit("/", 3)[-3] + "/" + c.file.rsplit("/", 1)[-1]: c.status for c in result.checks}
    assert status["tabulations/define.xml"] == "pending"
    assert [c.status for c in result.checks if c.file.endswith("adsl.xpt")] == ["pending"]


def test_dataset_json_packages_are_checked_on_the_json_files(tmp_path):
    folder = sdtm_folder(tmp_path)
    with pytest.raises(RejectionCriteriaError, match="ts.json is missing"):
        assemble_package(PackageSources(study="s1", sdtm=folder), tmp_path / "pkg", formats=("json",))


def test_a_failed_package_leaves_the_previous_one_intact(tmp_path):
    good = assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path / "a")), tmp_path / "pkg")
    before = {p: p.read_bytes() for p in good.path.rglob("*") if p.is_file()}
    with pytest.raises(RejectionCriteriaError):
        assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path / "b", "2023")), tmp_path / "pkg")
    after = {p: p.read_bytes() for p in good.path.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_that_is_not_a_package_is_not_replaced(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "thesis.docx").write_text("mine", encoding="utf-8")
    from converters.errors import DataError

    with pytest.raises(DataError, match="not a package cdisc-convert wrote"):
        assemble_package(PackageSources(study="s1", sdtm=sdtm_folder(tmp_path)), tmp_path / "pkg")
    assert (tmp_path / "pkg" / "thesis.docx").read_text(encoding="utf-8") == "mine"


def test_the_reviewers_guide_carries_dispositions_conventions_and_rejections(tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "README.md").write_text("# S1\n\n## SDTM mapping conventions\n\n- **Race.** RACE = MULTIPLE.\n\n"
                                        "## Other\n\nnot for the guide\n", encoding="utf-8")
    (mappings / "validation-dispositions.yaml").write_text(
        "dispositions:\n  - rule: CT0011\n    dataset: DM\n    reason: MULTIPLE per SDTMIG\n    by: DM team\n",
        encoding="utf-8")
    folder = sdtm_folder(tmp_path)
    (folder / "rejections.csv").write_text(
        "domain,source,row,column,value,reason,action\n"
        "AE,ae.csv,3,AESTDAT,31-FEB-2023,AESTDTC: impossible date '31-FEB-2023',value set to null\n"
        "AE,ae.csv,9,AESTDAT,30-FEB-2023,AESTDTC: impossible date '30-FEB-2023',value set to null\n", encoding="utf-8")
    result = assemble_package(PackageSources(study="s1", sdtm=folder, mappings=mappings), tmp_path / "pkg")
    guide = (result.path / "reviewers-guide" / "csdrg.md").read_text(encoding="utf-8")
    assert "RACE = MULTIPLE." in guide and "not for the guide" not in guide
    assert "| CT0011 | DM |  |  | MULTIPLE per SDTMIG | DM team |" in guide
    assert "| AE | value set to null | AESTDTC: impossible date '...' | 2 |" in guide
    assert "| 1734 | pass |" in guide
