"""RELREC of a response and the records it rests on in two domains (RS parent; LB and TU children by --LNKGRP)."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd

from converters.sdtm.relrec import relrec_records
from converters.spec.yaml_lines import LineDict, LineList


@dataclass
class _Study:
    document: object
    path: str = "study.yaml"
    studyid: str = "S-1"


def _link(child: str) -> LineDict:
    return LineDict({"parent": LineDict({"domain": "RS", "variable": "RSLNKGRP"}),
                     "child": LineDict({"domain": child, "variable": f"{child}LNKGRP"})})


def test_a_response_related_to_lb_and_tu_records_is_listed_once():
    rs = pd.DataFrame({"USUBJID": ["A", "A"], "RSSEQ": [1.0, 2.0], "RSLNKGRP": ["D28", "M2"]})
    lb = pd.DataFrame({"USUBJID": ["A"] * 4, "LBSEQ": [1.0, 2.0, 3.0, 4.0], "LBLNKGRP": [None, "D28", "D28", "M2"]})
    tu = pd.DataFrame({"USUBJID": ["A"] * 3, "TUSEQ": [1.0, 2.0, 3.0], "TULNKGRP": [None, "D28", "M2"]})
    study = _Study(document=LineDict({"related_records": LineList([_link("LB"), _link("TU")])}))
    got = relrec_records(study, {"RS": SimpleNamespace(frame=rs), "LB": SimpleNamespace(frame=lb),
                                 "TU": SimpleNamespace(frame=tu)})
    assert got[["RDOMAIN", "IDVARVAL", "RELID"]].values.tolist() == [
        ["RS", "1", "RS1"], ["LB", "2", "RS1"], ["LB", "3", "RS1"], ["TU", "2", "RS1"],
        ["RS", "2", "RS2"], ["LB", "4", "RS2"], ["TU", "3", "RS2"]]
