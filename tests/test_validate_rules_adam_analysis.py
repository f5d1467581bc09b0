"""The ADaM analysis rules (AD0101-AD0108): a clean set of small ADaM datasets gives no finding; one planted
defect gives exactly its rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from converters.validate import validate_study
from converters.validate.data import frames_to_study


def clean() -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1", "S-2"], "SAFFL": ["Y", "N"], "ITTFL": ["Y", "Y"],
                         "TRTSDT": [23000.0, np.nan], "TRTEDT": [23010.0, np.nan], "DTHDTF": ["D", ""]})
    adtte = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1", "S-2"], "ASEQ": [1.0, 1.0], "PARAMCD": "OS",
                          "PARAM": "Overall Survival", "AVAL": [30.0, 12.0], "STARTDT": [23000.0, 23000.0],
                          "ADT": [23029.0, 23011.0], "CNSR": [0.0, 1.0]})
    adae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1", "S-1"], "ASTDT": [23001.0, 23002.0],
                         "AENDT": [23003.0, np.nan], "TRTEMFL": ["Y", ""], "AOCCFL": ["Y", ""],
                         "ASTDTF": ["", "M"]})
    adrs = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-1", "S-1"], "ASEQ": [1.0, 2.0], "PARAMCD": "OVR",
                         "PARAM": "Overall Response", "AVALC": ["PR", "PR"], "AVAL": [2.0, 2.0],
                         "ANL01FL": ["Y", ""]})
    return {"ADSL": adsl, "ADTTE": adtte, "ADAE": adae, "ADRS": adrs}


def findings(frames: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    study = frames_to_study(frames, standard="adamig-1.3")
    result = validate_study(study, select=["AD01"])
    return sorted(set(zip(result.findings["rule"], result.findings["dataset"]))) if len(result.findings) else []


def test_clean_adam_datasets_give_no_finding():
    assert findings(clean()) == []


@pytest.mark.parametrize("dataset, column, row, value, rule", [
    ("ADTTE", "CNSR", 0, np.nan, "AD0101"),
    ("ADTTE", "CNSR", 1, 0.5, "AD0101"),
    ("ADRS", "AVALC", 1, "", "AD0102"),
    ("ADRS", "AVAL", 1, 3.0, "AD0103"),
    ("ADAE", "AENDT", 0, 23000.0, "AD0104"),
    ("ADTTE", "ADT", 0, 22999.0, "AD0104"),
    ("ADAE", "AOCCFL", 1, "N", "AD0105"),
    ("ADRS", "ANL01FL", 1, "N", "AD0105"),
    ("ADAE", "ASTDTF", 0, "X", "AD0106"),
    ("ADSL", "SAFFL", 1, "", "AD0107"),
    ("ADRS", "ASEQ", 1, 1.0, "AD0108"),
])
def test_each_planted_defect_gives_its_rule(dataset, column, row, value, rule):
    frames = clean()
    frames[dataset].loc[row, column] = value
    if dataset == "ADRS" and column == "AVALC":
        frames[dataset].loc[row, "AVAL"] = np.nan
    assert findings(frames) == [(rule, dataset)]
