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


def _epoch_by_merge_asof(dtc: pd.Series, usubjid: pd.Series, timeline: pd.DataFrame) -> pd.Series:
    """The plain pandas rule EPOCH was derived by before the binary search (merge_asof backward by subject)."""
    import numpy as np

    from converters.sdtm.dates import date_part

    out = pd.Series(None, index=dtc.index, dtype="object")
    probe = pd.DataFrame({"USUBJID": usubjid.astype("object").to_numpy(), "__date__": date_part(dtc).to_numpy(),
                          "__pos__": np.arange(len(dtc))}).dropna(subset=["__date__"])
    if probe.empty or timeline.empty:
        return out
    probe["USUBJID"] = probe["USUBJID"].astype("string")
    tl = timeline.assign(__start__=date_part(timeline["SESTDTC"]), __end__=date_part(timeline["SEENDTC"]))
    tl = tl.dropna(subset=["__start__"])[["USUBJID", "__start__", "__end__", "EPOCH"]]
    tl["USUBJID"] = tl["USUBJID"].astype("string")
    hit = pd.merge_asof(probe.sort_values("__date__", kind="mergesort"), tl.sort_values("__start__", kind="mergesort"),
                        left_on="__date__", right_on="__start__", by="USUBJID", direction="backward")
    ends = timeline.assign(__start__=date_part(timeline["SESTDTC"]), __end__=date_part(timeline["SEENDTC"]))
    ends = ends.sort_values(["USUBJID", "__start__"], kind="mergesort").drop_duplicates("USUBJID", keep="last")
    last_end = ends.set_index(ends["USUBJID"].astype("string"))["__end__"]
    hit.loc[(hit["__date__"] > hit["USUBJID"].map(last_end)).fillna(False).astype(bool), "EPOCH"] = None
    values = hit.set_index("__pos__")["EPOCH"]
    arr = out.to_numpy(copy=True)
    arr[values.index.to_numpy()] = values.to_numpy()
    return pd.Series(arr, index=dtc.index, dtype="object").where(lambda s: s.notna(), None)


def test_epoch_by_binary_search_equals_merge_asof():
    """Random timelines (partial, missing and equal starts, open ends, subjects without elements) and random dates
    (before, on, between and after elements, partial, with times): the same EPOCH as the merge_asof rule."""
    import random

    import numpy as np

    days = ["2024-12-30", "2025-01-01", "2025-01-10", "2025-01-10", "2025-02-07", "2025-03", None, "2025-06-30",
            "2026-01-01"]
    for seed in range(80):
        rng = random.Random(seed)
        rows = []
        for subject in ["A", "B", "C", "D"][:rng.randint(1, 4)]:
            for order in range(rng.randint(0, 4)):
                rows.append((subject, f"E{order}", rng.choice(["SCREENING", "TREATMENT", "FOLLOW-UP", None]),
                             float(order + 1), rng.choice(days), rng.choice(days)))
        timeline = pd.DataFrame(rows, columns=["USUBJID", "ETCD", "EPOCH", "TAETORD", "SESTDTC", "SEENDTC"])
        timeline = timeline.astype({"USUBJID": "object", "SESTDTC": "object", "SEENDTC": "object"})
        n = rng.randint(0, 30)
        dtc = pd.Series([rng.choice(days + ["2025-01-09T10:00", "2025-01-10T08:00", "2027-05-05", "1999-01-01"])
                         for _ in range(n)], index=np.arange(n) * 2 + 5, dtype="object")
        usubjid = pd.Series([rng.choice(["A", "B", "C", "D", "Z"]) for _ in range(n)], index=dtc.index, dtype="object")
        try:
            want = _epoch_by_merge_asof(dtc, usubjid, timeline)
        except pd.errors.MergeError:  # no element has a full start: merge_asof refused the all-NaT key's unit
            assert timeline["SESTDTC"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).sum() == 0
            want = pd.Series([None] * n, index=dtc.index, dtype="object")
        pd.testing.assert_series_equal(derive_epoch(dtc, usubjid, timeline), want)
