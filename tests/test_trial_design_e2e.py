"""End to end: ``cdisc-convert demo`` writes the trial design and subject-level design datasets of both
example studies, and the written data agree with the design (read back from Dataset-JSON)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from converters.sdtm.trial_design.crosschecks import check_epoch_agrees_with_se, check_trial_design
from converters.sdtm.trial_design.ts import missing_fda_parameters

pytestmark = pytest.mark.slow

STUDIES = ("carnk-sclc", "cll1-aml")
DESIGN = ("ts", "ta", "te", "tv", "ti", "ie", "sv", "se")


def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if "columns" not in doc:
            continue
        frames[path.stem.upper()] = pd.DataFrame(doc["rows"], columns=[c["name"] for c in doc["columns"]])
    return frames


@pytest.fixture(scope="module", params=STUDIES)
def study(request, demo_out):
    folder = demo_out / request.param / "sdtm"
    return request.param, folder, _frames(folder)


def test_demo_writes_every_design_dataset_as_xpt_and_dataset_json(study):
    _, folder, frames = study
    for name in DESIGN:
        assert (folder / f"{name}.xpt").is_file() and (folder / f"{name}.json").is_file(), name
        assert len(frames[name.upper()]) > 0, name


def test_written_data_pass_every_trial_design_cross_check(study):
    _, _, frames = study
    assert check_trial_design(frames) == []


def test_se_agrees_with_epoch_in_ae_ex_ds_rs(study):
    _, _, frames = study
    checked = {d: frames[d] for d in ("AE", "EX", "DS", "RS")}
    assert all(frames[d]["EPOCH"].notna().any() for d in checked)
    assert check_epoch_agrees_with_se(checked, frames["SE"]) == []


def test_ts_has_the_fda_parameters_and_a_valid_study_start_date(study):
    _, _, frames = study
    ts = frames["TS"]
    assert missing_fda_parameters(ts) == []
    [start] = ts.loc[ts["TSPARMCD"] == "SSTDTC", "TSVAL"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", start)
    assert start == min(frames["DM"]["RFICDTC"].dropna().str.slice(0, 10))
    [actsub] = ts.loc[ts["TSPARMCD"] == "ACTSUB", "TSVAL"]
    assert int(actsub) == frames["DM"]["RFSTDTC"].notna().sum()


def test_every_subject_has_se_and_screen_failures_only_screening(study):
    _, _, frames = study
    dm, se = frames["DM"], frames["SE"]
    assert set(se["USUBJID"]) == set(dm["USUBJID"])
    failures = dm.loc[dm["ARMCD"].isna(), "USUBJID"]
    assert set(se.loc[se["USUBJID"].isin(failures), "EPOCH"]) <= {"SCREENING"}


def test_ie_criteria_are_ti_criteria_and_study_b_has_8_plus_17(study):
    name, _, frames = study
    ie, ti = frames["IE"], frames["TI"]
    assert set(ie["IETESTCD"]) <= set(ti["IETESTCD"])
    if name == "cll1-aml":
        assert ti["IECAT"].value_counts().to_dict() == {"EXCLUSION": 17, "INCLUSION": 8}


def test_each_criterion_full_text_is_a_comment_referenced_from_value_level_ietest(study):
    from converters.metadata.io import read_metadata

    name, folder, frames = study[:3]
    meta = read_metadata(folder / "metadata.json")
    comments = {c.oid: c.text for c in meta.comments}
    codes = frames["TI"]["IETESTCD"].tolist()
    assert sorted(oid for oid in comments if oid.startswith("COM.TI.")) == sorted(f"COM.TI.{c}" for c in codes)
    ti = meta.dataset("TI")
    referenced = {vl.where[0].values[0]: vl.item.comment for vl in ti.value_level if vl.variable == "IETEST"}
    assert referenced == {code: f"COM.TI.{code}" for code in codes}
    assert ti.variable("IETEST").value_list == "VL.TI.IETEST"
    assert all(len(text) >= 10 for oid, text in comments.items() if oid.startswith("COM.TI."))
