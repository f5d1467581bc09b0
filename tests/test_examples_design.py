"""Study definitions (study.yaml) and the generator's 3+3 escalation follow the protocol and CDISC CT."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from converters.examples.cohorts import escalate
from converters.standards import ct

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ["carnk-sclc", "cll1-aml"]
SAS_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
DURATION = re.compile(r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


@functools.lru_cache(maxsize=None)
def _study(study: str) -> dict:
    return yaml.safe_load((ROOT / "mappings" / study / "study.yaml").read_text(encoding="utf-8"))


def _raw(study: str, form: str) -> pd.DataFrame:
    enc = _study(study)["raw"]["encodings"].get(form, "utf-8")
    return pd.read_csv(ROOT / "examples" / study / "raw" / f"{form}.csv", dtype=str, keep_default_na=False,
                       encoding=enc)


@pytest.mark.parametrize("seed", range(40))
def test_three_plus_three_declares_the_highest_tolerated_level_with_six_subjects(seed):
    p_dlt = [0.1, 0.25, 0.45]
    subjects, rp2d = escalate(np.random.default_rng(seed), 0, p_dlt)
    frame = pd.DataFrame([s.__dict__ for s in subjects])
    ev = frame[frame["evaluable"]]
    per_level = ev.groupby("level").agg(n=("level", "size"), dlt=("dlt_n", lambda x: int((x > 0).sum())))
    assert set(per_level["n"]) <= {3, 6}                       # cohorts of 3, expanded at most once
    assert (frame.loc[~frame["evaluable"], "dlt_n"] == 0).all()  # only DLT-free subjects are replaced
    above = per_level[per_level.index > rp2d]
    top_cleared = rp2d == len(p_dlt) - 1
    assert top_cleared or (above["dlt"] >= 2).all()           # every level above the RP2D was too toxic
    if rp2d >= 0:
        assert per_level.loc[rp2d, "n"] == 6 and per_level.loc[rp2d, "dlt"] <= 1


@pytest.mark.parametrize("study", STUDIES)
def test_identifiers_respect_sdtm_lengths(study):
    s = _study(study)
    assert all(len(a["ARMCD"]) <= 20 for a in s["arms"])
    assert all(len(e["ETCD"]) <= 8 and SAS_NAME.match(e["ETCD"]) for e in s["elements"])
    for ie in s["inclusion_exclusion"]:
        assert len(ie["IETESTCD"]) <= 8 and SAS_NAME.match(ie["IETESTCD"])
        assert len(ie["IETEST"]) <= 200 and ie["IECAT"] in ct.codelist("IECAT").submission_values
    assert all(e["TEDUR"] is None or DURATION.match(e["TEDUR"]) for e in s["elements"])


@pytest.mark.parametrize("study", STUDIES)
def test_trial_design_uses_ct_and_declared_elements(study):
    s = _study(study)
    epochs = ct.codelist("EPOCH").submission_values
    etcds = {e["ETCD"] for e in s["elements"]}
    assert set(s["trial_arms"]) == {a["ARMCD"] for a in s["arms"]}
    for rows in s["trial_arms"].values():
        assert [r["TAETORD"] for r in rows] == list(range(1, len(rows) + 1))
        assert all(r["EPOCH"] in epochs and r["ETCD"] in etcds for r in rows)
    assert {r["TAETORD"] for r in s["element_dates"]} == {r["TAETORD"] for rows in s["trial_arms"].values()
                                                         for r in rows}


@functools.lru_cache(maxsize=None)
def _coded_terms() -> frozenset[tuple[str, str]]:
    return frozenset((t.code, t.submission_value) for cl in ct.codelists() for t in cl.terms)


@pytest.mark.parametrize("study", STUDIES)
def test_trial_summary_codes_are_ct_terms(study):
    params = ct.codelist("TSPARMCD").submission_values
    coded = _coded_terms()
    for row in _study(study)["trial_summary"]:
        assert row["TSPARMCD"] in params
        assert len(row["TSVAL"] or "") <= 200
        assert (row["TSVAL"] is None) == ("TSVALNF" in row or "derive" in row), row
        if row.get("TSVCDREF") == "CDISC CT":
            assert (row["TSVALCD"], row["TSVAL"]) in coded, row


@pytest.mark.parametrize("study", STUDIES)
def test_raw_codes_are_all_declared(study):
    s = _study(study)
    folders = {f for v in s["visits"] for f in v["raw_folders"]} | set(s["non_visit_folders"])
    folders.add("UNSCHEDULED")   # unplanned samples (CRS markers at onset): numbered as unscheduled visits
    for form in sorted(p.stem for p in (ROOT / "examples" / study / "raw").glob("*.csv")):
        frame = _raw(study, form)
        assert set(frame["FOLDER"]) <= folders, form
    columns = s["arm_assignment"]["columns"]
    arm_codes = {tuple(c) for a in s["arms"] for c in a["raw_codes"]}
    enrol = _raw(study, "enrol")
    assigned = enrol[enrol["ARM_CD"] != ""]
    assert set(map(tuple, assigned[columns].to_numpy().tolist())) <= arm_codes
    assert set(_raw(study, "ie")["IETESTCD"]) <= {r["IETESTCD"] for r in s["inclusion_exclusion"]}
    assert set(_raw(study, "enrol")["DOSELVL_CD"]) - {""} <= set(s["value_maps"]["dose_levels"])
    expected = pd.read_csv(ROOT / "examples" / study / "expected" / "subjects.csv", dtype=str, keep_default_na=False)
    assert set(expected["ARMCD"]) - {""} <= {a["ARMCD"] for a in s["arms"]}


def test_study_b_carries_the_registry_criteria():
    rows = _study("cll1-aml")["inclusion_exclusion"]
    assert sum(r["IECAT"] == "INCLUSION" for r in rows) == 8
    assert sum(r["IECAT"] == "EXCLUSION" for r in rows) == 17


@pytest.mark.parametrize("study", STUDIES)
def test_title_and_sponsor_are_said_once_the_same_way(study):
    s = _study(study)
    ts = {r["TSPARMCD"]: r["TSVAL"] for r in s["trial_summary"]}
    assert ts["TITLE"] == s["study"]["title"]
    assert ts["SPONSOR"] == s["study"]["sponsor"]
    assert ts.get("REGID") == s["study"]["registry_id"]


def test_documented_example_has_the_keys_of_the_real_study_files():
    text = (ROOT / "docs" / "study-yaml.md").read_text(encoding="utf-8")
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    for study in STUDIES:
        assert list(example) == list(_study(study))
        for key in _study(study):
            assert f"| `{key}`" in text or f"`{key}`" in text, key
