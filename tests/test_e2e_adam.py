"""End to end: ``cdisc-convert demo`` builds ADaM for both example studies; the studies' known answers (DLTs per arm
and dose level, worst CRS and ICANS grades, best response, deaths, progression) agree with ADSL, ADAE, ADRS and
ADTTE. The XPT files are read back with pyreadstat (not the writer), which applies their SAS date formats."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")
DATASETS = ("adsl", "adae", "adex", "adrs", "adtte")
#: per study: the ADRS parameter that is the known answer's "best recorded response", and its abbreviations
BEST = {"carnk-sclc": ("BESTRSP", {}),
        "cll1-aml": ("BOR", {"MORPHOLOGIC LEUKEMIA-FREE STATE": "MLFS", "RELAPSED DISEASE": "RELAPSE"})}
PROGRESSION = {"carnk-sclc": ["PD"], "cll1-aml": ["PD", "RELAPSED DISEASE"]}


def _xpt(folder: Path, name: str) -> tuple[pd.DataFrame, object]:
    frame, meta = pyreadstat.read_xport(str(folder / f"{name}.xpt"))
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].replace("", None)
    return frame, meta


def _iso(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("")


@pytest.fixture(scope="module", params=STUDIES)
def study(request, demo_out):
    name = request.param
    folder = demo_out / name / "adam"
    frames = {d: _xpt(folder, d)[0] for d in DATASETS}
    expected = pd.read_csv(ROOT / "examples" / name / "expected" / "subjects.csv", dtype=str, keep_default_na=False)
    return name, folder, frames, expected.set_index("USUBJID")


def test_every_adam_dataset_is_written_with_metadata_and_the_escalation_summary(study):
    _, folder, _, _ = study
    for d in DATASETS:
        assert (folder / f"{d}.xpt").is_file() and (folder / f"{d}.json").is_file()
    for f in ("metadata.json", "build-summary.csv", "escalation-summary.csv"):
        assert (folder / f).is_file()


def test_adsl_has_one_record_per_enrolled_subject_and_the_treated_are_the_safety_population(study):
    _, _, frames, expected = study
    adsl = frames["adsl"].set_index("USUBJID")
    assert adsl.index.is_unique
    assert set(adsl.index) == set(expected.index[expected["STATUS"] != "SCREEN FAILURE"])
    treated = expected[expected["STATUS"] == "TREATED"]
    assert set(adsl.index[adsl["SAFFL"] == "Y"]) == set(treated.index)
    assert (adsl.loc[treated.index, "ARMCD"] == treated["ARMCD"]).all()
    assert (adsl.loc[treated.index, "DOSELVL"] == treated["DOSE_LEVEL"]).all()
    assert (adsl.loc[treated.index, "NINF"].astype(int).astype(str) == treated["N_INFUSIONS"]).all()
    assert (_iso(adsl.loc[treated.index, "TRTSDT"]) == treated["FIRST_DOSE_DATE"]).all()
    assert (_iso(adsl.loc[treated.index, "TRTEDT"]) == treated["LAST_DOSE_DATE"]).all()
    assert (_iso(adsl.loc[treated.index, "LDSDT"]) == treated["LD_FIRST_DATE"]).all()


def test_dlt_evaluability_and_dlt_counts_agree_per_subject(study):
    _, _, frames, expected = study
    adsl, adae = frames["adsl"].set_index("USUBJID"), frames["adae"]
    treated = expected[expected["STATUS"] == "TREATED"]
    assert (adsl.loc[treated.index, "DLTEVLFL"] == treated["DLT_EVALUABLE"]).all()
    dlts = adae[adae["DLTFL"] == "Y"].groupby("USUBJID").size()
    assert (treated.index.map(dlts).fillna(0).astype(int).astype(str) == treated["DLT_COUNT"]).all()


def test_escalation_summary_agrees_with_the_known_cohort_counts(study, demo_out):
    name, folder, _, _ = study
    summary = pd.read_csv(folder / "escalation-summary.csv", dtype=str, keep_default_na=False)
    cohorts = pd.read_csv(ROOT / "examples" / name / "expected" / "cohorts.csv", dtype=str, keep_default_na=False)
    got = summary.rename(columns={"arm": "ARMCD", "dose_level": "DOSE_LEVEL", "treated": "TREATED",
                                  "dlt_evaluable": "DLT_EVALUABLE", "subjects_with_dlt": "SUBJECTS_WITH_DLT",
                                  "dlt_events": "DLT_EVENTS"})
    columns = ["ARMCD", "DOSE_LEVEL", "TREATED", "DLT_EVALUABLE", "SUBJECTS_WITH_DLT", "DLT_EVENTS"]
    assert (got[columns].sort_values(columns).values.tolist()
            == cohorts[columns].sort_values(columns).values.tolist())
    assert summary["decision"].str.len().gt(0).all()
    assert "3+3 decision" in (demo_out / "demo-output.txt").read_text(encoding="utf-8")


def test_worst_crs_and_icans_grades_agree(study):
    _, _, frames, expected = study
    adae = frames["adae"]
    treated = expected[expected["STATUS"] == "TREATED"]
    for flag, column in (("CRSFL", "WORST_CRS_GRADE"), ("ICANSFL", "WORST_ICANS_GRADE")):
        worst = adae[adae[flag] == "Y"].groupby("USUBJID")["ATOXGRN"].max()
        assert (treated.index.map(worst).fillna(0).astype(int).astype(str) == treated[column]).all(), flag
    assert set(adae.loc[adae["CRSFL"] == "Y", "ATOXSCL"].dropna()) == {"ASTCT 2019"}


def test_best_response_agrees(study):
    name, _, frames, expected = study
    param, abbreviations = BEST[name]
    adrs = frames["adrs"]
    best = adrs[adrs["PARAMCD"] == param].set_index("USUBJID")["AVALC"].map(lambda v: abbreviations.get(v, v))
    treated = expected[expected["STATUS"] == "TREATED"]
    assert (treated.index.map(best) == treated["BEST_RESPONSE"]).all()


def test_deaths_agree_and_partial_death_dates_carry_the_imputation_flag(study):
    _, _, frames, expected = study
    adsl = frames["adsl"].set_index("USUBJID")
    enrolled = expected[expected["STATUS"] != "SCREEN FAILURE"]
    died = enrolled[enrolled["DEATH_DATE"] != ""]
    assert set(adsl.index[adsl["DTHFL"] == "Y"]) == set(died.index)
    complete = died[died["DEATH_DATE"].str.len() == 10]
    assert (_iso(adsl.loc[complete.index, "DTHDT"]) == complete["DEATH_DATE"]).all()
    partial = died[died["DEATH_DATE"].str.len() == 7]
    assert (_iso(adsl.loc[partial.index, "DTHDT"]).str[:7] == partial["DEATH_DATE"]).all()
    assert (adsl.loc[partial.index, "DTHDTF"] == "D").all()



def test_an_imputed_ae_end_is_never_after_death_or_the_end_of_study(study):
    """admiral's ADAE template: AENDT imputed with max_dates DTHDT and EOSDT; ASTDT never after AENDT."""
    _, _, frames, _ = study
    adsl = frames["adsl"].set_index("USUBJID")
    adae = frames["adae"]
    limit = pd.concat([pd.to_datetime(adsl["DTHDT"]), pd.to_datetime(adsl["EOSDT"])], axis=1).min(axis=1)
    end, start = pd.to_datetime(adae["AENDT"]), pd.to_datetime(adae["ASTDT"])
    imputed = adae["AENDTF"].notna() & end.notna()
    cap = adae["USUBJID"].map(limit)
    assert imputed.any()
    assert not (imputed & cap.notna() & (end > cap)).any()
    assert not (adae["ASTDTF"].notna() & end.notna() & (start > end)).any()


def test_the_cause_of_death_is_the_death_forms_primary_cause_for_every_death(study):
    _, _, frames, expected = study
    adsl = frames["adsl"].set_index("USUBJID")
    died = expected[(expected["STATUS"] != "SCREEN FAILURE") & (expected["DEATH_DATE"] != "")]
    assert (adsl.loc[died.index, "DTHCAUS"] == died["DEATH_CAUSE"]).all()
    assert (adsl.loc[adsl["DTHFL"] != "Y", "DTHCAUS"].fillna("") == "").all()


def test_progression_dates_are_the_time_to_event_events(study):
    name, _, frames, expected = study
    adtte = frames["adtte"]
    treated = expected[expected["STATUS"] == "TREATED"]
    param = "PFS" if name == "carnk-sclc" else "EFS"
    tte = adtte[adtte["PARAMCD"] == param].set_index("USUBJID")
    assert set(tte.index) == set(treated.index) and tte["CNSR"].isin([0, 1]).all()
    progressed = tte[tte["EVNTDESC"].isin(["DISEASE PROGRESSION", "RELAPSE OR PROGRESSION"])]
    assert len(progressed) > 0
    assert (_iso(progressed["ADT"]) == treated.loc[progressed.index, "PROGRESSION_DATE"]).all()
    assert (tte["AVAL"] == (pd.to_datetime(tte["ADT"]) - pd.to_datetime(tte["STARTDT"])).dt.days + 1).all()
    os_ = adtte[adtte["PARAMCD"] == "OS"].set_index("USUBJID")
    dead = treated[treated["DEATH_DATE"].str.len() == 10]
    assert (os_.loc[dead.index, "CNSR"] == 0).all()
    assert (_iso(os_.loc[dead.index, "ADT"]) == dead["DEATH_DATE"]).all()


def test_numeric_dates_carry_sas_formats_in_xpt_and_dataset_json(study):
    _, folder, _, _ = study
    _, meta = _xpt(folder, "adsl")
    formats = meta.original_variable_types
    assert formats["TRTSDT"].startswith("DATE9") and formats["TRTSDTM"].startswith("DATETIME20")
    doc = json.loads((folder / "adsl.json").read_text(encoding="utf-8"))
    columns = {c["name"]: c for c in doc["columns"]}
    assert columns["TRTSDT"]["dataType"] == "date" and columns["TRTSDT"]["targetDataType"] == "integer"
    assert columns["TRTSDT"]["displayFormat"] == "DATE9."
    assert columns["TRTSDTM"]["dataType"] == "datetime" and columns["TRTSDTM"]["displayFormat"] == "DATETIME20."


def test_metadata_names_adamig_labels_predecessors_and_methods(study):
    _, folder, _, _ = study
    doc = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["study"]
    datasets = {d["name"]: d for d in doc["datasets"]}
    assert {d.upper() for d in DATASETS} <= set(datasets)  # and each study's own (ADLB, ADTR, ADPC ...)
    adsl = {v["name"]: v for v in datasets["ADSL"]["variables"]}
    assert adsl["TRT01P"]["label"] == "Planned Treatment for Period 01" and adsl["TRT01P"]["core"] == "Req"
    assert adsl["AGE"]["origin"] == {"type": "Predecessor", "source": None, "pages": [], "predecessor": "DM.AGE",
                                     "document": None, "description": None}
    methods = {m["oid"]: m for m in doc["methods"]}
    assert adsl["TRTSDT"]["origin"]["type"] == "Derived"
    assert "TRTSDTC" in methods[adsl["TRTSDT"]["method"]]["description"]
    assert datasets["ADTTE"]["dataset_class"] == "BASIC DATA STRUCTURE" and datasets["ADSL"]["purpose"] == "Analysis"
    assert datasets["ADTTE"]["subclass"] == "TIME-TO-EVENT" and datasets["ADAE"]["subclass"] is None
    adae = {v["name"]: v for v in datasets["ADAE"]["variables"]}
    assert adae["AEDECOD"]["origin"]["predecessor"] == "AE.AEDECOD"
    assert adae["AETOXSCL"]["origin"]["predecessor"] == "SUPPAE.QVAL where QNAM = AETOXSCL"


def test_adam_validation_shows_no_unexplained_error(study, demo_out):
    name, _, _, _ = study
    report = json.loads((demo_out / name / "adam-validation" / "findings.json").read_text(encoding="utf-8"))
    assert [f for f in report["findings"] if f["severity"] == "Error" and not f["explained"]] == []
