"""split_supp: one SUPP-- record per parent record and non-blank qualifier."""
import pandas as pd

from converters.sdtm.supp import SUPP_COLUMNS, Qualifier, split_supp


def test_supp_records_link_by_seq_and_skip_blank_values():
    parent = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [1.0, 2.0, 1.0]})
    values = pd.DataFrame({"AEDLT": ["Y", None, "N"], "ASTCTGR": [None, "3", " "]})
    got = split_supp(parent, values, [Qualifier("AEDLT", "Dose Limiting Toxicity", "CRF"),
                                      Qualifier("ASTCTGR", "ASTCT Consensus Grade", "CRF", "INVESTIGATOR")],
                     "AE", "AESEQ")
    assert list(got.columns) == SUPP_COLUMNS
    assert got[["USUBJID", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["S-1", "1", "AEDLT", "Y"], ["S-1", "2", "ASTCTGR", "3"], ["S-2", "1", "AEDLT", "N"]]
    assert set(got["RDOMAIN"]) == {"AE"} and set(got["IDVAR"]) == {"AESEQ"}
    assert got.loc[got["QNAM"] == "ASTCTGR", "QEVAL"].tolist() == ["INVESTIGATOR"]


def test_dm_qualifiers_have_no_idvar():
    parent = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1"]})
    got = split_supp(parent, pd.DataFrame({"RACE1": ["ASIAN"]}), [Qualifier("RACE1", "Race 1", "Derived")], "DM", None)
    assert got["IDVAR"].isna().all() and got["IDVARVAL"].isna().all()
