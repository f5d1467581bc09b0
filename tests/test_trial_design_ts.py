"""TS from study.yaml: CT parameter names, coded values, null flavors, derivations, FDA parameters."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from converters.errors import DataError, SpecError
from converters.sdtm.trial_design.ts import FDA_TCG_PARAMETERS, NULL_FLAVORS, VALUE_CODELISTS, build_ts, \
    missing_fda_parameters, split_value
from converters.spec.study import load_study
from converters.standards import ct, sdtmig
from trial_design_fixtures import tiny_study

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")
DM = pd.DataFrame({"USUBJID": ["TD-1-1", "TD-1-2", "TD-1-3"],
                   "RFICDTC": ["2024-03-05", "2024-02-01", "2024-04"],
                   "RFSTDTC": ["2024-03-20T10:00", None, "2024-04-20"],
                   "RFPENDTC": ["2024-09-01", "2024-02-10", "2024-10-15"]})


def _value(ts: pd.DataFrame, parmcd: str, column: str = "TSVAL", seq: int = 1):
    row = ts[(ts["TSPARMCD"] == parmcd) & (ts["TSSEQ"] == seq)]
    assert len(row) == 1, parmcd
    return row.iloc[0][column]


def test_tsparm_is_the_ct_name_of_the_parameter_code(tmp_path):
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM})
    names = {t.code: t.submission_value for t in ct.codelist("TSPARM").terms}
    for parmcd, parm in zip(ts["TSPARMCD"], ts["TSPARM"]):
        assert parm == names[ct.codelist("TSPARMCD").term(parmcd).code]


def test_tsseq_numbers_the_values_of_each_parameter(tmp_path):
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM})
    assert ts.loc[ts["TSPARMCD"] == "TTYPE", "TSSEQ"].tolist() == [1.0, 2.0]
    assert set(ts.loc[ts["TSPARMCD"] != "TTYPE", "TSSEQ"]) == {1.0}


def test_ct_coded_values_get_their_nci_code_dictionary_and_version(tmp_path):
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM})
    assert _value(ts, "TPHASE", "TSVALCD") == ct.codelist("TPHASE").term("PHASE I TRIAL").code
    assert _value(ts, "TTYPE", "TSVALCD", seq=2) == ct.codelist("TTYPE").term("TOLERABILITY").code
    assert _value(ts, "RANDOM", "TSVCDREF") == "CDISC CT"
    assert _value(ts, "RANDOM", "TSVCDVER") == ct.version
    assert _value(ts, "FCNTRY", "TSVALCD") == "USA"  # ISO 3166 code is the value itself


def test_a_value_outside_its_codelist_is_rejected_with_the_submission_value_to_use(tmp_path):
    study = tiny_study(tmp_path, {"TSVAL: PHASE I TRIAL}": "TSVAL: Phase I Trial}"})
    with pytest.raises(SpecError, match="not a term of CDISC codelist TPHASE") as err:
        build_ts(study, {"DM": DM})
    assert "PHASE I TRIAL" in str(err.value.hint) and err.value.where.line


def test_a_wrong_nci_code_is_rejected(tmp_path):
    study = tiny_study(tmp_path, {"TSVALCD: C49667": "TSVALCD: C49666"})
    with pytest.raises(SpecError, match="not the NCI code"):
        build_ts(study, {"DM": DM})


def test_unknown_parameter_codes_are_rejected(tmp_path):
    with pytest.raises(SpecError, match="not a term of CDISC codelist TSPARMCD"):
        build_ts(tiny_study(tmp_path, {"TSPARMCD: TITLE": "TSPARMCD: TITEL"}), {"DM": DM})


def test_a_row_gives_a_value_or_a_null_flavor_never_both_nor_neither(tmp_path):
    with pytest.raises(SpecError, match="not both"):
        build_ts(tiny_study(tmp_path, {"AGEMIN, TSVAL: P18Y}": "AGEMIN, TSVAL: P18Y, TSVALNF: NA}"}), {"DM": DM})
    with pytest.raises(SpecError, match="neither"):
        build_ts(tiny_study(tmp_path, {"AGEMAX, TSVAL: null, TSVALNF: PINF}": "AGEMAX, TSVAL: null}"}),
                 {"DM": DM})
    with pytest.raises(SpecError, match="ISO 21090"):
        build_ts(tiny_study(tmp_path, {"TSVALNF: PINF": "TSVALNF: INFINITE"}), {"DM": DM})


def test_null_flavored_rows_keep_tsval_blank(tmp_path):
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM})
    assert _value(ts, "AGEMAX") is None and _value(ts, "AGEMAX", "TSVALNF") == "PINF"


def test_dates_durations_and_counts_are_checked(tmp_path):
    with pytest.raises(SpecError, match="ISO 8601 duration"):
        build_ts(tiny_study(tmp_path, {"TSVAL: P18Y": "TSVAL: 18 years"}), {"DM": DM})
    with pytest.raises(SpecError, match="trial_arms defines 2"):
        build_ts(tiny_study(tmp_path, {'TSVAL: "2"': 'TSVAL: "3"'}), {"DM": DM})


def test_derivations_read_dm(tmp_path):
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM})
    assert _value(ts, "SSTDTC") == "2024-02-01"  # earliest complete consent date
    assert _value(ts, "SENDTC") == "2024-10-15"  # latest end of participation
    assert _value(ts, "ACTSUB") == "2"  # subjects with a first study treatment


def test_study_end_is_no_information_while_a_subject_has_not_ended(tmp_path):
    dm = DM.assign(RFPENDTC=["2024-09-01", None, "2024-10-15"])
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": dm})
    assert _value(ts, "SENDTC") is None and _value(ts, "SENDTC", "TSVALNF") == "NI"


def test_study_end_waits_for_a_subject_ongoing_at_the_cutoff_although_it_has_a_last_contact(tmp_path):
    # TD-1-3 has RFPENDTC (its last contact) but its last element is still open: it has not ended
    se = pd.DataFrame({"USUBJID": ["TD-1-1", "TD-1-1", "TD-1-2", "TD-1-3", "TD-1-3"],
                       "TAETORD": [1.0, 2.0, 1.0, 1.0, 2.0],
                       "SEENDTC": ["2024-03-20", "2024-09-01", "2024-02-10", "2024-04-20", None]})
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM, "SE": se})
    assert _value(ts, "SENDTC") is None and _value(ts, "SENDTC", "TSVALNF") == "NI"
    ended = se.assign(SEENDTC=["2024-03-20", "2024-09-01", "2024-02-10", "2024-04-20", "2024-10-15"])
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": DM, "SE": ended})
    assert _value(ts, "SENDTC") == "2024-10-15"


def test_a_study_start_date_that_cannot_be_derived_stops_the_build(tmp_path):
    with pytest.raises(DataError, match="SSTDTC"):
        build_ts(tiny_study(tmp_path), {"DM": DM.drop(columns="RFICDTC")})


def test_values_over_200_characters_continue_in_tsval1(tmp_path):
    title = " ".join(["word"] * 60)  # 299 characters
    ts, dataset = build_ts(tiny_study(tmp_path, {"TSVAL: Tiny design study": f"TSVAL: {title}"}), {"DM": DM})
    assert len(_value(ts, "TITLE")) <= 200 and _value(ts, "TITLE", "TSVAL1")
    assert _value(ts, "TITLE") + " " + _value(ts, "TITLE", "TSVAL1") == title
    names = dataset.variable_names
    assert names.index("TSVAL1") == names.index("TSVAL") + 1 and list(ts.columns) == names


def test_split_value_keeps_every_character_and_cuts_between_words():
    text = "a" * 150 + " " + "b" * 100 + " " + "c" * 10
    pieces = split_value(text)
    assert pieces == ["a" * 150, "b" * 100 + " " + "c" * 10]
    assert split_value("x" * 450) == ["x" * 200, "x" * 200, "x" * 50]


def test_variables_follow_sdtmig_ts(tmp_path):
    ts, dataset = build_ts(tiny_study(tmp_path), {"DM": DM})
    standard = [v.name for v in sdtmig.variables("TS")]
    assert dataset.variable_names == [n for n in standard if n in dataset.variable_names]
    for name in ("STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM", "TSVAL", "TSVALCD", "TSVCDREF", "TSVCDVER"):
        assert name in dataset.variable_names  # Req and Exp variables are always there
    assert dataset.label == "Trial Summary" and dataset.variable("TSPARM").label == "Trial Summary Parameter"
    assert ts["TSSEQ"].dtype == "float64"


@pytest.mark.parametrize("name", STUDIES)
def test_example_studies_have_every_fda_tcg_parameter_with_ct_valid_values(name):
    study = load_study(ROOT / "mappings" / name)
    dm = pd.DataFrame({"USUBJID": ["S-1"], "RFICDTC": ["2023-01-02"], "RFSTDTC": ["2023-01-20"],
                       "RFPENDTC": ["2024-01-01"]})
    ts, _ = build_ts(study, {"DM": dm})
    assert missing_fda_parameters(ts) == []
    for required in ("SSTDTC", "TPHASE", "STYPE", "INDIC", "TRT", "PLANSUB", "SDTIGVER", "SDTMVER"):
        assert ts.loc[ts["TSPARMCD"] == required, "TSVAL"].notna().all(), required
    for row in ts.itertuples():
        if row.TSPARMCD in VALUE_CODELISTS and not (row.TSVAL is None and row.TSVALNF):  # a null flavor has no term
            term = ct.codelist(VALUE_CODELISTS[row.TSPARMCD]).term(row.TSVAL)
            assert term is not None and row.TSVALCD == term.code, row.TSPARMCD
        if row.TSVCDREF is not None:
            assert row.TSVALCD is not None
        if row.TSVCDREF == "CDISC CT":
            assert row.TSVCDVER == ct.version
        assert row.TSVALNF is None or row.TSVALNF in NULL_FLAVORS
        assert (row.TSVAL is None) != (row.TSVALNF is None)
    assert set(ts.loc[ts["TSPARMCD"] == "SDTIGVER", "TSVAL"]) == {"3.4"}
    indic = ts[ts["TSPARMCD"] == "INDIC"].iloc[0]
    assert indic["TSVCDREF"] == "SNOMED" and indic["TSVALCD"] and indic["TSVCDVER"]
    assert ct.codelist("DICTNAM").term("SNOMED") is not None


def test_the_fda_parameter_list_is_all_ct_parameters():
    codes = ct.codelist("TSPARMCD").submission_values
    assert set(FDA_TCG_PARAMETERS) <= codes


def test_a_dictionary_code_needs_the_dictionary_version(tmp_path):
    study = tiny_study(tmp_path, {"{TSPARMCD: TITLE, TSVAL: Tiny design study}":
                                  "{TSPARMCD: CURTRT, TSVAL: Cyclophosphamide, TSVALCD: 8N3DW7272P, TSVCDREF: UNII}"})
    with pytest.raises(SpecError, match="needs TSVCDVER"):
        build_ts(study, {"DM": DM})


def test_derived_parameters_are_described_as_derived_with_a_method(tmp_path):
    methods = {}
    _, dataset = build_ts(tiny_study(tmp_path), {"DM": DM}, methods)
    described = {vl.where[0].values[0]: vl.item for vl in dataset.value_level}
    assert set(described) == {"SSTDTC", "SENDTC", "ACTSUB"}
    assert described["SSTDTC"].origin.type == "Derived" and described["SSTDTC"].data_type == "date"
    assert "earliest informed-consent date" in methods[described["SSTDTC"].method].description
    assert dataset.variable("TSVAL").value_list == "VL.TS.TSVAL"


def test_a_partial_end_date_that_may_be_later_makes_the_study_end_partial(tmp_path):
    later = DM.assign(RFPENDTC=["2024-09-01", "2024-10", "2024-10-15"])
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": later})
    assert _value(ts, "SENDTC") == "2024-10"
    earlier = DM.assign(RFPENDTC=["2024-09-01", "2024-08", "2024-10-15"])
    ts, _ = build_ts(tiny_study(tmp_path), {"DM": earlier})
    assert _value(ts, "SENDTC") == "2024-10-15"
