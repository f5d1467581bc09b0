"""The example studies stop at their data cut-off, and their planned arms are cohorts (construct x dose level)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from converters.examples import study_module

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ["carnk-sclc", "cll1-aml"]
#: the day the example studies' data were last regenerated: every cut-off is in the past
TODAY = "2026-11-22"
CRF_DATE = re.compile(r"^(UN|\d{2})-(UNK|[A-Z]{3})-(\d{4})$")
MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


def _study(study: str) -> dict:
    return yaml.safe_load((ROOT / "mappings" / study / "study.yaml").read_text(encoding="utf-8"))


def _raw_forms(study: str):
    s = _study(study)
    for form in sorted(p.stem for p in (ROOT / "examples" / study / "raw").glob("*.csv")):
        enc = s["raw"]["encodings"].get(form, "utf-8")
        yield form, pd.read_csv(ROOT / "examples" / study / "raw" / f"{form}.csv", dtype=str,
                                keep_default_na=False, encoding=enc)


def known_part(crf: str) -> str | None:
    """The ISO 8601 text of what a CRF date says (``UN-MAR-2025`` -> ``2025-03``); None if it is no date."""
    m = CRF_DATE.match(crf)
    if not m or (m.group(2) != "UNK" and m.group(2) not in MONTHS):
        return None
    day, month, year = m.groups()
    if month == "UNK":
        return year
    return f"{year}-{MONTHS[month]}" + ("" if day == "UN" else f"-{day}")


def test_known_part_keeps_partial_dates_partial():
    assert [known_part(x) for x in ("03-MAR-2025", "UN-MAR-2025", "UN-UNK-1958", "Not done")] == \
        ["2025-03-03", "2025-03", "1958", None]


@pytest.mark.parametrize("study", STUDIES)
def test_cutoff_is_in_the_past_and_the_same_in_study_yaml_ts_and_generator(study):
    s = _study(study)
    cutoff = s["data_cutoff"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cutoff) and cutoff < TODAY
    ts = {r["TSPARMCD"]: r for r in s["trial_summary"]}
    assert ts["DCUTDTC"]["TSVAL"] == cutoff and ts["DCUTDESC"]["TSVAL"]
    assert study_module(study).DESIGN.data_cutoff == cutoff


@pytest.mark.parametrize("study", STUDIES)
def test_no_collected_date_is_after_the_cutoff(study):
    cutoff = _study(study)["data_cutoff"]
    late = []
    for form, frame in _raw_forms(study):
        for column in frame.columns:
            values = frame[column][frame[column].str.match(CRF_DATE.pattern)]
            for row, value in values.items():
                known = known_part(value)
                if known is not None and known > cutoff[: len(known)]:
                    late.append((form, row + 1, column, value))
    assert late == []


@pytest.mark.parametrize("study", STUDIES)
def test_subjects_ongoing_at_the_cutoff_have_no_end_of_study(study):
    subjects = pd.read_csv(ROOT / "examples" / study / "expected" / "subjects.csv", dtype=str,
                           keep_default_na=False)
    ds = dict(_raw_forms(study))["ds"]
    ongoing = set(subjects.loc[subjects["END_REASON"] == "ONGOING", "SUBJID"])
    assert not ongoing & set(ds["SUBJID"])
    assert set(ds["SUBJID"]) == set(subjects["SUBJID"]) - ongoing     # everyone else has ended


def test_study_b_has_subjects_ongoing_at_its_interim_cutoff():
    subjects = pd.read_csv(ROOT / "examples" / "cll1-aml" / "expected" / "subjects.csv", dtype=str,
                           keep_default_na=False)
    assert (subjects["END_REASON"] == "ONGOING").any()


def test_study_a_arms_are_construct_by_dose_level_plus_the_expansion():
    s = _study("carnk-sclc")
    levels = s["value_maps"]["dose_levels"]
    arms = {a["ARMCD"]: a for a in s["arms"]}
    constructs = {"DLL3CD56": "DLL3/CD56", "DLL3GD2": "DLL3/GD2", "CD56GD2": "CD56/GD2"}
    assert set(arms) == {f"{c}_{dl}" for c in constructs for dl in levels} | {"EXPDLL3GD2"}
    for code, arm in arms.items():
        if code != "EXPDLL3GD2":
            construct, level = code.split("_")
            assert arm["ARM"].startswith(constructs[construct] + " CAR-NK ") and "cells/infusion" in arm["ARM"]
            assert arm["raw_codes"] == [[f"A{list(constructs).index(construct) + 1}", level]]
    ts = {r["TSPARMCD"]: r["TSVAL"] for r in s["trial_summary"]}
    assert ts["NARMS"] == str(len(arms)) == "10"


def test_study_b_arms_are_its_dose_level_cohorts():
    s = _study("cll1-aml")
    levels = s["value_maps"]["dose_levels"]
    assert [a["ARMCD"] for a in s["arms"]] == list(levels)
    for arm in s["arms"]:
        cells = levels[arm["ARMCD"]]["cells"]
        mantissa, exponent = f"{cells:.0e}".split("e+")
        assert arm["ARM"] == f"CLL1 CAR-iPSC-NK {mantissa} x 10^{int(exponent)} cells/infusion"
    assert {r["TSPARMCD"]: r["TSVAL"] for r in s["trial_summary"]}["NARMS"] == "4"


@pytest.mark.parametrize("study", STUDIES)
def test_expected_arms_follow_the_enrolment_form(study):
    s = _study(study)
    by_code = {tuple(c): a["ARMCD"] for a in s["arms"] for c in a["raw_codes"]}
    enrol = dict(_raw_forms(study))["enrol"].set_index("SUBJID")
    subjects = pd.read_csv(ROOT / "examples" / study / "expected" / "subjects.csv", dtype=str,
                           keep_default_na=False).set_index("SUBJID")
    assigned = enrol[enrol["ARM_CD"] != ""]
    got = [by_code[tuple(r)] for r in assigned[s["arm_assignment"]["columns"]].to_numpy().tolist()]
    assert got == subjects.loc[assigned.index, "ARMCD"].tolist()
