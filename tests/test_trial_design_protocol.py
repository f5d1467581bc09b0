"""TA, TE, TV and TI from study.yaml alone."""
from __future__ import annotations

from pathlib import Path

import pytest

from converters.errors import SpecError
from converters.metadata.model import Comment
from converters.sdtm.trial_design import build_ta, build_te, build_ti, build_tv
from converters.sdtm.trial_design.ti import shorten
from converters.spec.study import load_study
from converters.standards import ct
from trial_design_fixtures import tiny_study

ROOT = Path(__file__).resolve().parents[1]


def test_ta_has_one_record_per_element_per_arm_in_taetord_order(tmp_path):
    ta, dataset = build_ta(tiny_study(tmp_path))
    assert len(ta) == 6
    low = ta[ta["ARMCD"] == "LOW"]
    assert low["TAETORD"].tolist() == [1.0, 2.0, 3.0]
    assert low["ETCD"].tolist() == ["SCRN", "LOW", "FU"]
    assert low["ELEMENT"].tolist() == ["Screening", "Low dose", "Follow-up"]
    assert low["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "FOLLOW-UP"]
    assert low["TABRANCH"].iloc[0] == "Assigned to low dose" and low["ARM"].iloc[0] == "Low dose"
    assert dataset.variable_names == ["STUDYID", "DOMAIN", "ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT",
                                      "TABRANCH", "TATRANS", "EPOCH"]
    assert dataset.keys == ("STUDYID", "ARMCD", "TAETORD")
    assert all(v.origin.type in ("Protocol", "Assigned") for v in dataset.variables)


def test_ta_epochs_must_be_ct_epochs(tmp_path):
    with pytest.raises(SpecError, match="EPOCH 'WASHOUT PERIOD'"):
        build_ta(tiny_study(tmp_path, {"ETCD: FU, EPOCH: FOLLOW-UP, TABRANCH: null": "ETCD: FU, EPOCH: WASHOUT PERIOD, "
                                                                                   "TABRANCH: null"}))


def test_te_has_each_element_with_its_rules(tmp_path):
    te, dataset = build_te(tiny_study(tmp_path))
    assert te["ETCD"].tolist() == ["SCRN", "LOW", "HIGH", "FU"]
    first = te.iloc[0]
    assert (first["TESTRL"], first["TEENRL"], first["TEDUR"]) == ("Informed consent", "First dose", "P14D")
    assert te["TEDUR"].iloc[3] is None
    assert dataset.label == "Trial Elements"


def test_te_durations_are_iso_8601(tmp_path):
    with pytest.raises(SpecError, match="TEDUR"):
        build_te(tiny_study(tmp_path, {"TEDUR: P14D": "TEDUR: 14 days"}))


def test_tv_lists_planned_visits_with_their_day_windows(tmp_path):
    tv, dataset = build_tv(tiny_study(tmp_path))
    assert tv["VISITNUM"].tolist() == [1.0, 2.0, 3.0]
    assert tv["VISITDY"].tolist() == [-14.0, 1.0, 29.0]
    assert tv["TVSTRL"].iloc[2] == "Day 29 visit (day 29, window -2/+2 days)"
    assert tv["ARMCD"].isna().all()  # the same visits for every arm
    assert "ARMCD" in dataset.variable_names  # Exp: kept although blank


def test_tv_rejects_repeated_visit_numbers(tmp_path):
    with pytest.raises(SpecError, match="VISITNUM values repeat"):
        build_tv(tiny_study(tmp_path, {"VISITNUM: 3, VISIT: DAY 29": "VISITNUM: 2, VISIT: DAY 29"}))


def test_ti_lists_criteria_with_short_ietest_and_keeps_the_full_text(tmp_path):
    comments: dict[str, Comment] = {}
    ti, dataset = build_ti(tiny_study(tmp_path), comments)
    assert ti["IETESTCD"].tolist() == ["IN01", "IN02", "EX01"]
    assert ti["IECAT"].tolist() == ["INCLUSION", "INCLUSION", "EXCLUSION"]
    assert ti["IETEST"].iloc[2] == "Pregnant or breastfeeding."  # from full_text when IETEST is null
    assert list(comments) == ["COM.TI.IN01", "COM.TI.IN02", "COM.TI.EX01"]  # one per criterion
    assert "(b) bilirubin" in comments["COM.TI.IN02"].text
    assert [vl.where[0].values for vl in dataset.value_level] == [("IN01",), ("IN02",), ("EX01",)]
    assert [vl.item.comment for vl in dataset.value_level] == list(comments)
    assert all(vl.where[0].variable == "IETESTCD" and vl.variable == "IETEST" for vl in dataset.value_level)
    assert dataset.variable("IETEST").value_list == "VL.TI.IETEST"


def test_ti_shortens_an_ietest_over_200_characters(tmp_path):
    long = "criterion " * 30
    ti, _ = build_ti(tiny_study(tmp_path, {"IETEST: Aged 18 years or older": f"IETEST: {long}"}))
    assert len(ti["IETEST"].iloc[0]) <= 200 and ti["IETEST"].iloc[0].endswith("...")
    assert len(shorten("x " * 150)) <= 200


def test_ti_checks_codes_and_categories(tmp_path):
    with pytest.raises(SpecError, match="IETESTCD"):
        build_ti(tiny_study(tmp_path, {"IETESTCD: IN01": "IETESTCD: 1NCLUSION"}))
    with pytest.raises(SpecError, match="IECAT"):
        build_ti(tiny_study(tmp_path, {"IETESTCD: IN01, IECAT: INCLUSION": "IETESTCD: IN01, IECAT: Inclusion"}))


def test_study_b_has_the_registry_entry_8_inclusion_and_17_exclusion_criteria():
    ti, _ = build_ti(load_study(ROOT / "mappings" / "cll1-aml"))
    assert (ti["IECAT"] == "INCLUSION").sum() == 8
    assert (ti["IECAT"] == "EXCLUSION").sum() == 17
    assert ti["IETESTCD"].tolist() == [f"IN{i:02d}" for i in range(1, 9)] + [f"EX{i:02d}" for i in range(1, 18)]
    assert ti["IETEST"].str.len().max() <= 200
    assert set(ti["IECAT"]) <= ct.codelist("IECAT").submission_values


@pytest.mark.parametrize("name", ["carnk-sclc", "cll1-aml"])
def test_example_study_design_datasets_build(name):
    study = load_study(ROOT / "mappings" / name)
    ta, _ = build_ta(study)
    te, _ = build_te(study)
    tv, _ = build_tv(study)
    assert set(ta["ETCD"]) <= set(te["ETCD"])
    assert set(ta["ARMCD"]) == {a.armcd for a in study.arms}
    assert set(ta["EPOCH"]) <= ct.codelist("EPOCH").submission_values
    assert tv["VISITNUM"].is_unique and tv["TVSTRL"].notna().all()
