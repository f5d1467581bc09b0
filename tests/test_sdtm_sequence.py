"""--SEQ: 1..n within each subject in the stated order, nulls last, ties in input order."""
import pandas as pd

from converters.sdtm.sequence import derive_seq


def test_seq_restarts_per_subject_and_follows_the_order():
    frame = pd.DataFrame({"USUBJID": ["B", "A", "A", "B", "A"],
                          "AESTDTC": ["2025-01-02", "2025-01-03", None, "2025-01-01", "2025-01-01"]})
    assert list(derive_seq(frame, order=["AESTDTC"])) == [2.0, 2.0, 3.0, 1.0, 1.0]


def test_ties_keep_input_order():
    frame = pd.DataFrame({"USUBJID": ["A", "A", "A"], "X": ["1", "1", "0"]})
    assert list(derive_seq(frame, order=["X"])) == [2.0, 3.0, 1.0]
