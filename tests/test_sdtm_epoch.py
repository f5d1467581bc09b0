"""The subject element timeline and EPOCH."""
import pandas as pd

from converters.sdtm.epoch import derive_epoch, subject_timeline
from converters.spec.study import load_study
from sdtm_fixtures import write_tiny_study

TIMELINE = pd.DataFrame({"USUBJID": ["A", "A", "A"], "ETCD": ["SCRN", "TRT", "FU"],
                         "ELEMENT": ["Screening", "Treatment", "Follow-up"],
                         "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"], "TAETORD": [1.0, 2.0, 3.0],
                         "SESTDTC": ["2025-01-01", "2025-01-10", "2025-02-07"],
                         "SEENDTC": ["2025-01-10", "2025-02-07", "2025-06-30"]})


def test_epoch_of_a_date_on_an_element_start_is_the_new_element():
    dates = pd.Series(["2025-01-09", "2025-01-10T08:00", "2025-02-07", "2025-06-30", "2025-07-01", "2024-12-31",
                       "2025-01"])
    got = derive_epoch(dates, pd.Series(["A"] * 7), TIMELINE)
    assert list(got) == ["SCREENING", "TREATMENT", "FOLLOW-UP", "FOLLOW-UP", None, None, None]


def test_timeline_from_study_yaml_rules(tmp_path):
    mappings = write_tiny_study(tmp_path)
    from converters.readers.raw import read_raw_folder

    study = load_study(mappings)
    raw = read_raw_folder(mappings / "raw")
    arm = pd.Series(["LOW", None, "LOW"], index=["TINY-1-001", "TINY-1-002", "TINY-1-003"])
    tl = subject_timeline(study, raw, arm)
    one = tl[tl["USUBJID"] == "TINY-1-001"]
    assert list(one["ETCD"]) == ["SCRN", "TRT", "FU"]
    assert list(one["SESTDTC"]) == ["2025-01-01", "2025-01-10", "2025-02-07"]
    assert list(one["SEENDTC"]) == ["2025-01-10", "2025-02-07", "2025-06-30"]
    # the screen failure has only the screening element, ending at study end
    two = tl[tl["USUBJID"] == "TINY-1-002"]
    assert list(two["ETCD"]) == ["SCRN"] and list(two["SEENDTC"]) == ["2025-01-20"]


def test_a_last_element_still_open_keeps_later_dates_in_it():
    # an ongoing subject: follow-up has no end yet, so a date weeks after its start is still FOLLOW-UP (it was null
    # when the end of the earlier elements was taken as the end of the timeline)
    ongoing = TIMELINE.assign(SEENDTC=["2025-01-10", "2025-02-07", None])
    dates = pd.Series(["2025-02-20", "2025-05-01", "2024-12-31"])
    assert list(derive_epoch(dates, pd.Series(["A"] * 3), ongoing)) == ["FOLLOW-UP", "FOLLOW-UP", None]


def test_a_batch_where_no_subject_has_left_the_study_leaves_the_last_elements_open(tmp_path):
    # a batch of 5,000 subjects all still in the study (seen at 100,000 subjects) crashed: their end dates mapped to
    # an all-missing float column that pandas' text column would not take
    mappings = write_tiny_study(tmp_path)
    from converters.readers.raw import read_raw_folder

    study = load_study(mappings)
    raw = read_raw_folder(mappings / "raw")
    raw["dm"].frame["ENDDAT"] = pd.Series([None] * len(raw["dm"].frame), dtype="object")
    arm = pd.Series(["LOW", None, "LOW"], index=["TINY-1-001", "TINY-1-002", "TINY-1-003"])
    tl = subject_timeline(study, raw, arm)
    one = tl[tl["USUBJID"] == "TINY-1-001"]
    assert list(one["SEENDTC"]) == ["2025-01-10", "2025-02-07", None]
    assert tl[tl["USUBJID"] == "TINY-1-002"]["SEENDTC"].tolist() == [None]
