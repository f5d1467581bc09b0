"""study.yaml: identifiers, arms, elements, date sources, visits and value maps."""
from pathlib import Path

import pytest

from converters.errors import SpecError
from converters.spec.study import load_study, pattern_fields

ROOT = Path(__file__).resolve().parents[1] / "mappings"


def test_study_a_definition():
    study = load_study(ROOT / "carnk-sclc")
    assert study.studyid == "CARNK-SCLC-101"
    assert study.raw_dir == (ROOT.parent / "examples" / "carnk-sclc" / "raw").resolve()
    assert study.encodings == {"ie": "cp1252"}
    assert [a.armcd for a in study.arms][:1] == ["DLL3CD56"]
    assert study.value_maps["arms"]["A1"] == "DLL3CD56"
    assert study.value_maps["sex"] == {"1": "M", "2": "F"}
    assert "dose_levels" in study.value_tables
    assert study.sources["reference_start"].form == "carnk"
    assert study.visits[0].visit == "SCREENING" and "SCREENING" in study.visits[0].aliases
    assert [e.taetord for e in study.element_dates] == [1, 2, 3, 4, 5, 6]
    assert study.element_dates[-1].after_taetord == (5, 3) and study.element_dates[-1].offset == "P42D"


def test_pattern_fields():
    assert pattern_fields("{STUDYID}-{SUBJID}") == [(True, "STUDYID"), (False, "-"), (True, "SUBJID")]


def test_trial_arm_naming_an_unknown_arm_is_an_error(tmp_path):
    (tmp_path / "study.yaml").write_text(
        "study: {studyid: X}\narms:\n  - {ARMCD: A, ARM: Arm A}\nelements:\n  - {ETCD: E, ELEMENT: E}\n"
        "trial_arms:\n  B:\n    - {TAETORD: 1, ETCD: E, EPOCH: SCREENING}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(tmp_path)
    assert info.value.where.line == 7


def test_missing_studyid(tmp_path):
    (tmp_path / "study.yaml").write_text("study: {title: X}\n", encoding="utf-8")
    with pytest.raises(SpecError):
        load_study(tmp_path / "study.yaml")
