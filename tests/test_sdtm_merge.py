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
