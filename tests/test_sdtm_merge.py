"""merge: left join by keys that refuses to multiply rows."""
import pandas as pd
import pytest

from converters.errors import DataError
from converters.sdtm.merge import merge_source
from converters.sdtm.rejections import IGNORED, RejectionLog

LEFT = pd.DataFrame({"SUBJID": ["1", "2", "3"], "__row__": [1, 2, 3]})


def test_merge_keeps_rows_and_order():
    right = pd.DataFrame({"SUBJID": ["2", "1"], "ARM": ["B", "A"], "__row__": [1, 2]})
    got = merge_source(LEFT, right, left_on=["SUBJID"], right_on=["SUBJID"], columns=["ARM"])
    assert list(got["ARM"].fillna("-")) == ["A", "B", "-"] and len(got) == 3


def test_duplicate_keys_would_multiply_rows_and_are_an_error():
    right = pd.DataFrame({"SUBJID": ["1", "1"], "ARM": ["A", "B"], "__row__": [4, 5]})
    with pytest.raises(DataError) as err:
        merge_source(LEFT, right, left_on=["SUBJID"], right_on=["SUBJID"], columns=["ARM"], right_name="enrol.csv")
    assert "enrol.csv" in str(err.value) and "row 5" in str(err.value)


def test_on_duplicate_first_keeps_the_first_row_and_logs_the_others():
    right = pd.DataFrame({"SUBJID": ["1", "1"], "ARM": ["A", "B"], "__row__": [4, 5]})
    log = RejectionLog()
    got = merge_source(LEFT, right, left_on=["SUBJID"], right_on=["SUBJID"], columns=["ARM"], right_name="e.csv",
                       on_duplicate="first", log=log, domain="DM")
    assert got.loc[0, "ARM"] == "A"
    entry = log.frame().iloc[0]
    assert (entry["source"], entry["row"], entry["action"]) == ("e.csv", 5, IGNORED)


def test_keys_compare_trimmed_and_case_insensitively():
    left = pd.DataFrame({"VISIT": [" week 1", "WEEK 2"], "__row__": [1, 2]})
    right = pd.DataFrame({"VISIT": ["Week 1 ", "week 2"], "VISITNUM": [1, 2], "__row__": [1, 2]})
    got = merge_source(left, right, left_on=["VISIT"], right_on=["VISIT"], columns=["VISITNUM"])
    assert got["VISITNUM"].tolist() == [1, 2]


def test_a_missing_key_and_a_blank_key_are_the_same_key():
    """As in a CSV export (an empty field is both) and in SAS (missing text compares as blank)."""
    left = pd.DataFrame({"SUBJID": ["1", "1", "1"], "VISIT": [None, "", "  "], "__row__": [1, 2, 3]})
    right = pd.DataFrame({"SUBJID": ["1"], "VISIT": [""], "FORM": ["unscheduled"], "__row__": [1]})
    got = merge_source(left, right, left_on=["SUBJID", "VISIT"], right_on=["SUBJID", "VISIT"], columns=["FORM"])
    assert got["FORM"].tolist() == ["unscheduled"] * 3
    missing = pd.DataFrame({"SUBJID": ["1"], "VISIT": [None], "FORM": ["unscheduled"], "__row__": [1]})
    again = merge_source(left, missing, left_on=["SUBJID", "VISIT"], right_on=["SUBJID", "VISIT"], columns=["FORM"])
    assert again["FORM"].tolist() == ["unscheduled"] * 3
