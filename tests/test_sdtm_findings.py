"""Findings and exposure derivations (converters.sdtm.findings), CTCAE lab grades (toxicity) and RELREC (relrec)."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from converters.errors import DataError
from converters.sdtm.data_questions import deaths_without_fatal_ae
from converters.sdtm.derivations import REGISTRY, DomainContext, RowContext
from converters.sdtm.relrec import relrec_records
from converters.sdtm.toxicity import grade_decrease
from converters.spec.yaml_lines import LineDict, LineList

TABLE = {"HGB g/dL": {"factor": 10, "unit": "g/L", "decimals": 0},
         "CREAT mg/dL": {"factor": 88.42, "unit": "umol/L", "decimals": 0},
         "CHIM %": {"factor": 1, "unit": "%", "decimals": 2}}


@dataclasses.dataclass
class _Study:
    value_tables: dict
    path: str = "study.yaml"
    studyid: str = "S-1"
    document: object = None


def _ctx(raw: pd.DataFrame, out: pd.DataFrame | None = None) -> RowContext:
    out = pd.DataFrame(index=raw.index) if out is None else out
    return RowContext(raw=raw, out=out, study=_Study({"si": TABLE}),
                      resolve=lambda c: raw[c] if c in raw else out[c])


def test_dose_received_is_planned_dose_times_fraction_infused():
    ctx = _ctx(pd.DataFrame({"DOSE": ["300", "300", "100", ""], "PCT": ["100", "57", "88", "100"]}))
    got = REGISTRY["product"].fn(ctx, columns=["DOSE", "PCT"], factor=0.01)
    assert got.iloc[:3].tolist() == [300.0, 171.0, 88.0] and np.isnan(got.iloc[3])


def test_unit_conversion_by_test_and_unit_with_the_tables_decimals():
    raw = pd.DataFrame({"T": ["HGB", "CREAT", "CHIM", "HGB"], "U": ["g/dL", "mg/dL", "%", "g/dL"],
                        "V": ["10.4", "1.05", "<0.1", ""]})
    fn = REGISTRY["unit_conversion"].fn
    ctx = _ctx(raw)
    value = fn(ctx, column="V", columns=["T", "U"], table="si")
    assert value.iloc[:2].tolist() == [104.0, 93.0] and value.iloc[2:].isna().all()
    assert fn(ctx, column="V", columns=["T", "U"], table="si", part="text").tolist() == ["104", "93", "<0.1", None]
    assert fn(ctx, column="V", columns=["T", "U"], table="si", part="unit").tolist()[:3] == ["g/L", "umol/L", "%"]


def test_unit_conversion_stops_on_a_unit_the_table_lacks():
    ctx = _ctx(pd.DataFrame({"T": ["HGB"], "U": ["mmol/L"], "V": ["6.2"]}))
    with pytest.raises(DataError, match="HGB mmol/L"):
        REGISTRY["unit_conversion"].fn(ctx, column="V", columns=["T", "U"], table="si")


def test_reference_range_indicator():
    out = pd.DataFrame({"N": [1.0, 5.0, 9.0, np.nan], "LO": [2.0, 2.0, 2.0, 2.0], "HI": [8.0, 8.0, 8.0, 8.0]})
    ctx = _ctx(pd.DataFrame(index=out.index), out)
    got = REGISTRY["reference_range_indicator"].fn(ctx, variable="N", low="LO", high="HI")
    assert got.tolist() == ["LOW", "NORMAL", "HIGH", None]


@pytest.mark.parametrize("test, value, lln, grade", [
    ("NEUT", 2.0, 1.8, "0"), ("NEUT", 1.7, 1.8, "1"), ("NEUT", 1.2, 1.8, "2"), ("NEUT", 0.7, 1.8, "3"),
    ("NEUT", 0.4, 1.8, "4"), ("PLAT", 74.0, 150.0, "2"), ("PLAT", 24.0, 150.0, "4"), ("HGB", 79.0, 120.0, "3"),
    ("HGB", 40.0, 120.0, "3"), ("LYM", 0.19, 1.0, "4"), ("WBC", 2.5, 4.0, "2"), ("CRP", 1.0, 0.0, None),
])
def test_ctcae_v5_grades_of_decreased_counts(test, value, lln, grade):
    got = grade_decrease(pd.Series([test]), pd.Series([value]), pd.Series([lln]), pd.Series(
        ["g/L" if test == "HGB" else "10^9/L"]))
    assert got.iloc[0] == grade


def test_ctcae_grade_needs_the_criterions_unit():
    got = grade_decrease(pd.Series(["HGB"]), pd.Series([7.0]), pd.Series([12.0]), pd.Series(["g/dL"]))
    assert got.iloc[0] is None


def test_last_before_exposure_by_date_and_time():
    frame = pd.DataFrame({
        "USUBJID": ["A"] * 5 + ["B"] * 2,
        "LBTESTCD": ["NEUT", "NEUT", "NEUT", "PLAT", "PLAT", "NEUT", "NEUT"],
        "LBDTC": ["2025-01-01T08:00", "2025-01-06T08:00", "2025-01-06T11:00", "2025-01-06", "2025-01-02",
                  "2025-01-01", "2025-01-03T07:00"],
        "LBORRES": ["2.1", "1.9", "1.0", "150", "160", "3.0", None],
    })
    dm = pd.DataFrame({"USUBJID": ["A", "B"], "RFSTDTC": ["2025-01-06T10:00", "2025-01-03T09:00"]})
    ctx = DomainContext(frame=frame, domains={"DM": dm}, study=None)
    got = REGISTRY["last_before_exposure"].fn(ctx, date="LBDTC", by=["LBTESTCD"], result="LBORRES")
    # A NEUT: the 08:00 draw of day 1 (the 11:00 one follows the infusion); A PLAT: a same-day sample without a
    # time is not known to precede the dose, so the earlier one; B: the record without a result is skipped
    assert got.tolist() == [None, "Y", None, None, "Y", "Y", None]


def _built(frame: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(frame=frame)


def test_relrec_links_each_medication_to_the_ae_it_treats():
    ae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0], "AESPID": ["1", "2", "1"]})
    cm = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"], "CMSEQ": [1.0, 2.0, 3.0, 1.0]})
    suppcm = pd.DataFrame({"USUBJID": ["A", "A", "B"], "IDVARVAL": ["1", "2", "1"], "QNAM": "CMAENO",
                           "QVAL": ["2", "2", "7"]})
    rows = LineList([LineDict({"parent": LineDict({"domain": "AE", "variable": "AESPID"}),
                               "child": LineDict({"domain": "CM", "variable": "CMAENO"})})])
    study = _Study({}, document=LineDict({"related_records": rows}))
    got = relrec_records(study, {"AE": _built(ae), "CM": _built(cm), "SUPPCM": _built(suppcm)})
    assert got[["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"]].values.tolist() == [
        ["AE", "A", "AESEQ", "2", "AE2"], ["CM", "A", "CMSEQ", "1", "AE2"], ["CM", "A", "CMSEQ", "2", "AE2"]]
    assert got["RELTYPE"].isna().all() and (got["STUDYID"] == "S-1").all()


def test_a_death_not_from_the_disease_without_a_fatal_ae_is_a_data_question():
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "DTHDTC": ["2025-02-01", "2025-03", None, "2025-04-02"]})
    dd = pd.DataFrame({"USUBJID": ["A", "B", "D"], "DDTESTCD": "PRCDTH",
                       "DDSTRESC": ["UNKNOWN", "DISEASE PROGRESSION", "Sepsis"]})
    ae = pd.DataFrame({"USUBJID": ["A", "D"], "AEOUT": ["RECOVERED/RESOLVED", "FATAL"], "AESDTH": ["N", "Y"]})
    got = deaths_without_fatal_ae({"DM": _built(dm), "DD": _built(dd), "AE": _built(ae)})
    assert got[["USUBJID", "CAUSE"]].values.tolist() == [["A", "UNKNOWN"]]


def test_value_level_of_aetoxgr_by_the_scale_each_record_names():
    from converters.sdtm.value_levels import _scale_terms

    ae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0],
                       "AEDECOD": ["Cytokine release syndrome", "Nausea", "Anaemia"]})
    supp = pd.DataFrame({"USUBJID": ["A", "A", "B"], "IDVARVAL": ["1", "2", "1"], "QNAM": "AETOXSCL",
                         "QVAL": ["ASTCT 2019", "CTCAE V5.0", "CTCAE V5.0"]})
    assert _scale_terms(ae, supp, "AEDECOD", "AETOXSCL", "AESEQ") == {
        "ASTCT 2019": ["Cytokine release syndrome"], "CTCAE V5.0": ["Anaemia", "Nausea"]}
