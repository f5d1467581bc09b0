"""IE from the raw eligibility form, SE from the element timeline, SV from the dated forms."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from converters.errors import SpecError
from converters.readers.raw import ROW, RawSource
from converters.sdtm.epoch import TIMELINE_COLUMNS
from converters.sdtm.rejections import DROPPED, EXCLUDED_BY_DESIGN, NULLED, RejectionLog
from converters.sdtm.trial_design import build_ie, build_se, build_sv, build_ti, build_tv
from trial_design_fixtures import STUDY, tiny_study

DM = pd.DataFrame({"USUBJID": ["TD-1-001", "TD-1-002", "TD-1-003"], "ARMCD": ["LOW", "HIGH", None],
                   "RFSTDTC": ["2024-03-20T10:00", "2024-04-02", None]})
TIMELINE = pd.DataFrame([
    ("TD-1-001", "SCRN", "Screening", "SCREENING", 1.0, "2024-03-05", "2024-03-20T10:00"),
    ("TD-1-001", "LOW", "Low dose", "TREATMENT", 2.0, "2024-03-20T10:00", "2024-04-17"),
    ("TD-1-001", "FU", "Follow-up", "FOLLOW-UP", 3.0, "2024-04-17", "2024-09-01"),
    ("TD-1-002", "SCRN", "Screening", "SCREENING", 1.0, "2024-03-10", "2024-04-02"),
    ("TD-1-002", "HIGH", "High dose", "TREATMENT", 2.0, "2024-04-02", "2024-05-01"),
    ("TD-1-003", "SCRN", "Screening", "SCREENING", 1.0, "2024-03-12", "2024-03-25"),
    ("TD-1-999", "SCRN", "Screening", "SCREENING", 1.0, "2024-03-12", "2024-03-25"),
], columns=TIMELINE_COLUMNS)


def _source(name: str, rows: list[dict]) -> RawSource:
    frame = pd.DataFrame(rows).astype("object")
    frame[ROW] = range(1, len(frame) + 1)
    return RawSource(name, Path(f"{name}.csv"), frame)


IE_RAW = _source("ie", [
    {"SUBJID": "003", "FOLDER": "SCR", "IEDAT": "20-MAR-2024", "IETESTCD": "IN02", "IETEST": "Organs ok",
     "IEORRES": "N"},
    {"SUBJID": "003", "FOLDER": "SCR", "IEDAT": "20-MAR-2024", "IETESTCD": "EX01", "IETEST": "Pregnant",
     "IEORRES": "Y"},
    {"SUBJID": "003", "FOLDER": "SCR", "IEDAT": "31-FEB-2024", "IETESTCD": "IN99", "IETEST": "?",
     "IEORRES": "N"},
    {"SUBJID": "999", "FOLDER": "SCR", "IEDAT": "20-MAR-2024", "IETESTCD": "IN01", "IETEST": "Age",
     "IEORRES": "N"},
    {"SUBJID": "002", "FOLDER": "SCR", "IEDAT": "21-MAR-2024", "IETESTCD": "IN01", "IETEST": "Age",
     "IEORRES": "Y"},
    {"SUBJID": "001", "FOLDER": "SCR", "IEDAT": "31-FEB-2024", "IETESTCD": "IN01", "IETEST": "Age",
     "IEORRES": "N"},
])


def _ie(tmp_path):
    study = tiny_study(tmp_path, {'pattern: "{STUDYID}-{SUBJID}"': 'pattern: "{STUDYID}-{SUBJID}"'})
    ti, _ = build_ti(study)
    log = RejectionLog()
    result = build_ie(study, {"ie": IE_RAW}, DM, ti, TIMELINE, log)
    return result.frame, result.dataset, result.rows_read, log.frame()


def test_ie_keeps_criteria_not_met_with_ti_text(tmp_path):
    ie, dataset, read, _ = _ie(tmp_path)
    assert read == 6
    assert ie[["USUBJID", "IETESTCD", "IECAT", "IEORRES", "IESTRESC"]].values.tolist() == [
        ["TD-1-001", "IN01", "INCLUSION", "N", "N"],
        ["TD-1-003", "IN02", "INCLUSION", "N", "N"],
        ["TD-1-003", "EX01", "EXCLUSION", "Y", "Y"],
    ]
    assert ie.loc[1, "IETEST"] == "Adequate organ function"  # from TI, not the form's text
    assert ie["IESEQ"].tolist() == [1.0, 1.0, 2.0]
    assert ie.loc[1, "VISITNUM"] == 1.0 and ie.loc[1, "VISIT"] == "SCREENING"
    assert ie.loc[1, "EPOCH"] == "SCREENING" and ie.loc[1, "IEDTC"] == "2024-03-20"
    assert dataset.variable("IEORRES").origin.type == "Collected"


def test_ie_drops_and_logs_what_it_cannot_submit(tmp_path):
    _, _, _, log = _ie(tmp_path)
    dropped = log[log["action"] == DROPPED]
    reasons = dict(zip(dropped["row"], dropped["reason"]))
    assert "not a criterion of TI" in reasons[3]
    assert "not in DM" in reasons[4]
    nulled = log[log["action"] == NULLED]
    assert nulled["row"].tolist() == [6] and nulled["column"].tolist() == ["IEDAT"]


def test_ie_rows_for_criteria_that_were_met_are_excluded_by_design_and_counted(tmp_path):
    study = tiny_study(tmp_path)
    ti, _ = build_ti(study)
    log = RejectionLog()
    result = build_ie(study, {"ie": IE_RAW}, DM, ti, TIMELINE, log)
    excluded = log.frame()[log.frame()["action"] == EXCLUDED_BY_DESIGN]
    assert excluded["row"].tolist() == [5] and "criterion was met" in excluded["reason"].iloc[0]
    assert result.filtered == 1
    assert result.rows_read == len(result.frame) + result.filtered + log.dropped_count("IE")


def test_ie_is_not_built_without_an_eligibility_form(tmp_path):
    study = tiny_study(tmp_path, {"ie_source: {form: ie, testcd_column: IETESTCD}\n": ""})
    ti, _ = build_ti(study)
    assert build_ie(study, {}, DM, ti, TIMELINE, RejectionLog()) is None


def test_an_eligibility_form_missing_from_the_raw_folder_is_an_error_naming_the_study_yaml_line(tmp_path):
    study = tiny_study(tmp_path)
    ti, _ = build_ti(study)
    with pytest.raises(SpecError, match="ie_source form 'ie' is not a raw form") as caught:
        build_ie(study, {}, DM, ti, TIMELINE, RejectionLog())
    lines = STUDY.splitlines()
    assert caught.value.where.line == 1 + next(i for i, line in enumerate(lines) if line.startswith("ie_source"))


def test_se_is_the_element_timeline_of_dm_subjects(tmp_path):
    se, dataset = build_se(tiny_study(tmp_path), TIMELINE, DM)
    assert "TD-1-999" not in set(se["USUBJID"])
    first = se[se["USUBJID"] == "TD-1-001"]
    assert first["ETCD"].tolist() == ["SCRN", "LOW", "FU"]
    assert first["SESEQ"].tolist() == [1.0, 2.0, 3.0]
    assert first["SEENDTC"].iloc[0] == first["SESTDTC"].iloc[1]  # contiguous elements
    assert first["SESTDY"].tolist() == [-15.0, 1.0, 29.0]
    assert dataset.variable_names == ["STUDYID", "DOMAIN", "USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD",
                                      "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY"]


def test_sv_has_each_visit_a_subject_had_with_its_dates(tmp_path):
    study = tiny_study(tmp_path)
    tv, _ = build_tv(study)
    raw = {
        "lab": _source("lab", [
            {"SUBJID": "001", "FOLDER": "SCR", "LBDAT": "06-MAR-2024"},
            {"SUBJID": "001", "FOLDER": "SCR", "LBDAT": "08-MAR-2024"},
            {"SUBJID": "001", "FOLDER": "D1", "LBDAT": "20-MAR-2024"},
            {"SUBJID": "001", "FOLDER": "EXTRA", "LBDAT": "25-MAR-2024"},
            {"SUBJID": "001", "FOLDER": "AE LOG", "LBDAT": "26-MAR-2024"},
            {"SUBJID": "999", "FOLDER": "D1", "LBDAT": "20-MAR-2024"}]),
        "dm": _source("dm", [{"SUBJID": "002", "FOLDER": "SCR", "BRTHDAT": "01-JAN-1960"}]),
    }
    log = RejectionLog()
    sv, dataset = build_sv(study, {}, DM, tv, raw, log)
    one = sv[sv["USUBJID"] == "TD-1-001"]
    assert one["VISITNUM"].tolist() == [1.0, 2.0, 2.01]
    assert one[["SVSTDTC", "SVENDTC"]].values.tolist()[0] == ["2024-03-06", "2024-03-08"]
    assert one["SVPRESP"].tolist() == ["Y", "Y", None]
    assert one["VISIT"].iloc[2] == "UNSCHEDULED 2.01" and "lab form" in one["SVUPDES"].iloc[2]
    assert one["VISITDY"].iloc[0] == -14.0 and one["SVSTDY"].iloc[1] == 1.0
    two = sv[sv["USUBJID"] == "TD-1-002"]  # dm form: a visit without a usable date (birth date is not one)
    assert two["VISITNUM"].tolist() == [1.0] and two["SVSTDTC"].isna().all()
    assert set(sv["SVOCCUR"]) == {"Y"}
    assert log.frame()["reason"].str.contains("not in DM").sum() == 1
    assert "SVUPDES" in dataset.variable_names


def test_sv_takes_visits_from_built_domains_too(tmp_path):
    study = tiny_study(tmp_path)
    tv, _ = build_tv(study)
    rs = pd.DataFrame({"USUBJID": ["TD-1-002"], "VISITNUM": [3.0], "VISIT": ["DAY 29"], "RSDTC": ["2024-04-30"]})
    sv, _ = build_sv(study, {"RS": rs}, DM, tv)
    assert sv[["USUBJID", "VISITNUM", "SVSTDTC"]].values.tolist() == [["TD-1-002", 3.0, "2024-04-30"]]


def test_a_collected_waiver_flag_goes_to_suppie(tmp_path):
    study = tiny_study(tmp_path)
    ti, _ = build_ti(study)
    raw = _source("ie", [
        {"SUBJID": "001", "FOLDER": "SCR", "IEDAT": "05-MAR-2024", "IETESTCD": "IN02", "IEORRES": "N",
         "IEWAIVED": "Y"},
        {"SUBJID": "003", "FOLDER": "SCR", "IEDAT": "12-MAR-2024", "IETESTCD": "EX01", "IEORRES": "Y",
         "IEWAIVED": "N"},
        {"SUBJID": "003", "FOLDER": "SCR", "IEDAT": "12-MAR-2024", "IETESTCD": "IN01", "IEORRES": "N",
         "IEWAIVED": "maybe"}])
    log = RejectionLog()
    result = build_ie(study, {"ie": raw}, DM, ti, TIMELINE, log)
    supp, dataset = result.supp
    assert supp[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["TD-1-001", "IESEQ", "1", "IEWAIVED", "Y"], ["TD-1-003", "IESEQ", "2", "IEWAIVED", "N"]]
    assert dataset.name == "SUPPIE" and dataset.value_level[0].item.codelist == "NY"
    assert log.frame()["reason"].str.contains("IEWAIVED is not Y or N").sum() == 1


def test_sv_is_empty_when_no_domain_or_form_carries_a_visit(tmp_path):
    study = tiny_study(tmp_path)
    tv, _ = build_tv(study)
    ae = pd.DataFrame({"USUBJID": ["TD-1-001"], "AESTDTC": ["2024-03-21"]})  # a log form: no VISITNUM
    raw = {"ae": _source("ae", [{"SUBJID": "001", "AEDAT": "21-MAR-2024"}])}  # no FOLDER column
    sv, dataset = build_sv(study, {"AE": ae}, DM, tv, raw, RejectionLog())
    assert sv.empty
    assert {"STUDYID", "DOMAIN", "USUBJID", "VISITNUM"} <= set(dataset.variable_names)
