"""`cdisc-convert init`: a study's mapping folder drafted from raw exports, guesses marked with evidence.

The end-to-end tests draft both example studies from their raw files alone (the shipped specs are not read) and
measure how many DM and AE variables the draft maps the same way as the shipped specs (the bar is 70%).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from converters.cli import cli
from converters.readers.raw import ROW, RawSource
from converters.scaffold.compare import compare_domain, signature
from converters.scaffold.match import checkbox_group, choice_terms, guess_domain, target_of
from converters.scaffold.profile import column_kind, profile_form
from converters.scaffold.yamltext import flow
from converters.shipped import study_mappings, study_raw

ENCODINGS = {"carnk-sclc": ["--encoding", "ie=cp1252"], "cll1-aml": []}


def form(name: str, data: dict[str, list[str | None]]) -> RawSource:
    frame = pd.DataFrame(data, dtype="string")
    frame[ROW] = range(1, len(frame) + 1)
    return RawSource(name, Path(f"{name}.csv"), frame)


@pytest.mark.parametrize(("column", "domain", "expected"), [
    ("AETERM", "AE", ["AETERM"]),
    ("AESTDAT", "AE", ["AESTDTC"]),       # CDASH --DAT -> --DTC
    ("EXDAT", "EX", ["EXSTDTC"]),         # a single date of a dose is its start
    ("AESOC", "AE", ["AESOC", "AEBODSYS"]),  # SDTMIG: --BODSYS repeats the primary SOC
    ("ICDAT", "DM", ["RFICDTC"]),
    ("PRODUCT", "EX", ["EXTRT"]),
    ("DOSE", "EX", ["EXDOSE"]),
    ("AECTCGR", "AE", ["AETOXGR"]),
    ("FOLDER", "AE", []),
    ("ICDAT", "AE", []),
])
def test_column_names_point_to_sdtm_variables(column, domain, expected):
    assert target_of(column, domain)[0] == expected


def test_column_kinds():
    assert column_kind(pd.Series(["03-MAR-2025", "UN-MAR-2025", None], dtype="string")) == "date"
    assert column_kind(pd.Series(["10:30", "08:05"], dtype="string")) == "time"
    assert column_kind(pd.Series(["Y", "N", "Y"], dtype="string")) == "flag"
    assert column_kind(pd.Series(["1.5", "2"], dtype="string")) == "number"
    assert column_kind(pd.Series(["Nausea", "Rash"], dtype="string")) == "text"
    assert column_kind(pd.Series([None, None], dtype="string")) == "empty"


@pytest.mark.parametrize("column", ["SUBJ", "SUBJECT_ID", "PATIENT_ID"])
def test_the_subject_column_of_another_edc_is_found_by_its_name(column):
    profile = profile_form(form("dm", {"SITE": ["01", "01"], column: ["001", "002"], "GENDER": ["Male", "Female"]}))
    assert profile.subject == column


def test_a_form_is_given_the_domain_its_columns_name():
    profile = profile_form(form("aelog", {"SUBJID": ["1", "2"], "AETERM": ["Nausea", "Rash"],
                                          "AESTDAT": ["03-MAR-2025", "04-MAR-2025"], "AESER": ["N", "Y"]}))
    domain, _score, evidence = guess_domain(profile)
    assert domain == "AE"
    assert "AETERM" in evidence


def test_race_check_boxes_are_matched_to_ct_terms_by_their_abbreviations():
    profile = profile_form(form("dm", {"SUBJID": ["1"], "RACE_AMIND": ["0"], "RACE_NHPI": ["1"], "RACE_WHITE": ["1"],
                                       "RACE_NR": ["0"], "RACE_OTHSP": [None]}))
    table, missing = choice_terms(checkbox_group(profile, "RACE"), "RACE", "RACE")
    assert table == {"RACE_AMIND": "AMERICAN INDIAN OR ALASKA NATIVE",
                     "RACE_NHPI": "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER", "RACE_WHITE": "WHITE",
                     "RACE_NR": "NOT REPORTED"}
    assert missing == []


@pytest.mark.parametrize(("column", "domain", "expected"), [
    ("OVRLRESP", "RS", ("OVRLRESP", "Overall Response")),
    ("HGB", "LB", ("HGB", "Hemoglobin")),
    ("Hemoglobin", "LB", ("HGB", "Hemoglobin")),
    ("ANC", "LB", None),
])
def test_result_columns_of_wide_findings_forms_are_known_tests(column, domain, expected):
    from converters.scaffold.findings import test_of
    from converters.scaffold.profile import ColumnProfile

    assert test_of(ColumnProfile(column, "text", 1, 1, ["x"]), domain) == expected


def _long_lab_form() -> RawSource:
    """A one-row-per-test lab form: CT codes, a sponsor code whose name is a CT test name, and a sponsor test."""
    return form("lab", {
        "SUBJID": ["1", "1", "1", "2"], "FOLDER": ["D1", "D1", "D1", "D1"],
        "LBDAT": ["03-MAR-2025", "03-MAR-2025", "03-MAR-2025", "04-MAR-2025"],
        "LBTIM": ["08:00", "08:00", "08:00", "09:15"],
        "CATEGORY": ["Haematology", "Haematology", "Inflammation", "Haematology"],
        "TESTCODE": ["WBC", "PLT", "IL6", "WBC"],
        "TESTNAME": ["White blood cell count", "Platelets", "Interleukin-6", "White blood cell count"],
        "SPECIMEN": ["Blood", "Blood", "Serum", "Blood"], "RESULT": ["5.1", "210", "3.2", "7.4"],
        "UNIT": ["10^9/L", "10^9/L", "pg/mL", "10^9/L"], "NRLOW": ["4.0", "150", "0", "4.0"],
        "NRHIGH": ["11.0", "400", "7", "11.0"]})


def test_a_long_findings_form_gives_one_block_with_test_code_and_name_from_ct():
    from converters.scaffold.long_findings import long_findings_block
    from converters.scaffold.match import ValueMaps

    maps = ValueMaps()
    block, notes = long_findings_block(profile_form(_long_lab_form()), "LB", maps)
    assert block is not None
    spec = {name: guess.spec for name, guess in block.guesses.items()}
    testcd_map = maps.maps[str(spec["LBTESTCD"]["value_map"])]
    # WBC is an LBTESTCD term; PLT is not, but its name Platelets is the LBTEST term of PLAT; IL6 stays a sponsor test
    assert testcd_map == {"IL6": "IL6", "PLT": "PLAT", "WBC": "WBC"}
    assert spec["LBTESTCD"] == {"assign_ct": "TESTCODE", "codelist": "LBTESTCD", "value_map": "lbtestcd", "extend": True}
    test_map = maps.maps[str(spec["LBTEST"]["value_map"])]
    assert test_map == {"IL6": "Interleukin-6", "PLT": "Platelets", "WBC": "Leukocytes"}
    assert spec["LBCAT"]["assign_ct"] == "CATEGORY"
    assert maps.maps[str(spec["LBCAT"]["value_map"])] == {"Haematology": "HAEMATOLOGY", "Inflammation": "INFLAMMATION"}
    assert spec["LBSPEC"] == {"assign_ct": "SPECIMEN", "codelist": "SPECTYPE"}
    assert spec["LBORRES"] == {"assign": "RESULT"}
    assert spec["LBORRESU"] == {"assign_ct": "UNIT", "codelist": "UNIT"}
    assert spec["LBORNRLO"] == {"assign": "NRLOW"} and spec["LBORNRHI"] == {"assign": "NRHIGH"}
    assert spec["LBDTC"] == {"datetime": ["LBDAT", "LBTIM"]}
    assert "IL6" in block.guesses["LBTESTCD"].evidence and any("IL6" in n for n in notes)
    assert all(g.evidence and 0 < g.confidence <= 1 for g in block.guesses.values())


@pytest.mark.parametrize(("raw", "testcd"), [("IL-6", "IL6"), ("il6", "IL6"), ("17OHP", "T17OHP"),
                                             ("CYTOKINE_PANEL", "CYTOKINE")])
def test_a_sponsor_test_code_is_a_valid_testcd(raw, testcd):
    from converters.scaffold.long_findings import sponsor_test_code

    assert sponsor_test_code(raw) == testcd


def test_the_test_code_column_of_a_long_form_is_found_by_its_values_against_ct():
    from converters.scaffold.long_findings import long_findings_block
    from converters.scaffold.match import ValueMaps

    lab = form("chem", {"SUBJID": ["1", "1"], "ANALYSIS": ["ALT", "AST"], "RESULT": ["30", "25"]})
    block, _notes = long_findings_block(profile_form(lab), "LB", ValueMaps())
    assert block is not None
    assert block.guesses["LBTESTCD"].spec == {"assign_ct": "ANALYSIS", "codelist": "LBTESTCD"}  # all CT codes: no map
    assert "LBTESTCD terms" in block.guesses["LBTESTCD"].evidence


def test_a_long_form_is_given_the_findings_domain_whose_test_codes_its_values_are():
    chem = form("chem", {"SUBJID": ["1", "1", "2"], "SAMPDATE": ["03-MAR-2025", "03-MAR-2025", "04-MAR-2025"],
                         "ANALYTE_CD": ["ALT", "AST", "ALT"], "RESULT": ["30", "25", "41"]})
    domain, _score, evidence = guess_domain(profile_form(chem))  # no column names an LB variable
    assert domain == "LB"
    assert "ANALYTE_CD are LBTESTCD terms" in evidence


def test_a_wide_findings_form_is_not_taken_for_a_long_one():
    from converters.scaffold.long_findings import long_findings_block
    from converters.scaffold.match import ValueMaps

    cbc = form("cbc", {"SUBJID": ["1", "2"], "LBDAT": ["03-MAR-2025", "04-MAR-2025"], "HGB": ["120", "131"],
                       "HGB_U": ["g/L", "g/L"]})
    assert long_findings_block(profile_form(cbc), "LB", ValueMaps()) == (None, [])


def test_yaml_text_quotes_what_yaml_would_misread():
    assert flow({"filter": {"column": "EXYN", "equals": "Y"}, "codes": ["1", "A1"], "x": None}) == \
        '{filter: {column: EXYN, equals: "Y"}, codes: ["1", A1], x: null}'
    assert yaml.safe_load(flow({"a": "x: y #z", "b": "no"})) == {"a": "x: y #z", "b": "no"}


def test_the_comparison_looks_at_algorithm_and_raw_columns():
    assert signature({"assign_ct": "SEX", "codelist": "SEX"}) == signature({"assign_ct": "sex"})
    assert signature({"datetime": ["AESTDAT", "AESTTIM"]}) != signature({"datetime": "AESTDAT"})
    assert signature({"derive": "first_date", "args": {"domain": "EX"}}) == "derive first_date"


@pytest.fixture(scope="module", params=["carnk-sclc", "cll1-aml"])
def drafted(request, tmp_path_factory) -> tuple[str, Path, Path]:
    """A project holding only the study's raw files, and the mappings init drafts from them."""
    study = request.param
    project = tmp_path_factory.mktemp(study)
    raw = project / "raw"
    shutil.copytree(study_raw(study), raw)
    folder = project / "mappings" / study
    # --no-check: test_the_draft_runs builds it with `cdisc-convert sdtm`, as a user would
    result = CliRunner().invoke(cli, ["init", str(raw), "--study", study, "--out", str(folder), "--no-check",
                                      *ENCODINGS[study]])
    assert result.exit_code == 0, result.output
    return study, folder, raw


@pytest.mark.slow
def test_the_draft_runs(drafted, tmp_path):
    _study, folder, _raw = drafted
    out = tmp_path / "sdtm"
    result = CliRunner().invoke(cli, ["sdtm", str(folder), "--out", str(out)])  # raw.folder is inside the project
    assert result.exit_code == 0, result.output
    for name in ("dm", "ae", "ds", "ex", "ts", "sv"):
        assert (out / f"{name}.xpt").is_file()
    assert (out / ("rs.xpt" if _study == "carnk-sclc" else "lb.xpt")).is_file()  # wide findings forms, one block per test
    lb = pd.read_sas(out / "lb.xpt", encoding="utf-8")  # both studies have a long lab form (one row per test)
    raw_lab = pd.read_csv(_raw / "lab.csv", dtype=str)
    assert int(lb["LBCAT"].fillna("").ne("").sum()) == len(raw_lab)  # every lab row is a record (LBCAT: lab only)
    assert {"WBC", "LYM", "BILI", "FERRITIN"} <= set(lb["LBTESTCD"])  # raw LYMPH, TBIL, FERR to their CT terms
    assert lb["LBTEST"].fillna("").ne("").all()
    assert set(lb.loc[lb["LBTESTCD"] == "IL6", "LBTEST"]) == {"Interleukin-6"}  # a sponsor test keeps its name


@pytest.mark.slow
def test_dm_and_ae_are_mapped_like_the_shipped_specs(drafted):
    study, folder, _raw = drafted
    for domain in ("dm", "ae"):
        result = compare_domain(study_mappings(study) / "sdtm" / f"{domain}.yaml", folder / "sdtm" / f"{domain}.yaml",
                                domain.upper())
        assert result.share >= 0.7, (domain, result.different, result.missing)


@pytest.mark.slow
def test_the_long_lab_form_is_mapped_like_the_shipped_spec(drafted):
    study, folder, _raw = drafted
    result = compare_domain(study_mappings(study) / "sdtm" / "lb.yaml", folder / "sdtm" / "lb.yaml", "LB")
    collected = {"LBTESTCD", "LBTEST", "LBCAT", "LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "LBSPEC", "LBDTC"}
    if study == "carnk-sclc":  # its LB is the long lab form alone: every collected variable mapped the same way
        assert collected <= set(result.same), (result.different, result.missing)
    else:  # cll1-aml's LB also holds the wide blood counts: every collected variable is drafted
        assert not collected & set(result.missing), result.missing


@pytest.mark.slow
def test_every_guess_is_marked_for_review_and_every_gap_is_a_todo(drafted):
    _study, folder, _raw = drafted
    for spec in (folder / "sdtm").glob("*.yaml"):
        doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
        lines = [line for line in spec.read_text(encoding="utf-8").splitlines() if line.startswith("  ")
                 and ": {" in line]
        assert lines and all("# REVIEW " in line for line in lines), spec
        assert doc["domain"] == spec.stem.upper()
    todo = (folder / "TODO.md").read_text(encoding="utf-8")
    assert "- [ ] " in todo
    assert "not mapped" in todo
    forms = (folder / "forms.md").read_text(encoding="utf-8")
    assert "## ae.csv" in forms and "| AETERM | text |" in forms


def test_init_does_not_overwrite_a_study(tmp_path):
    folder = tmp_path / "mappings" / "x"
    folder.mkdir(parents=True)
    (folder / "study.yaml").write_text("study: {studyid: X}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", str(study_raw("cll1-aml")), "--study", "x", "--out", str(folder)])
    assert result.exit_code == 2
    assert "already holds a study" in result.output
    assert (folder / "study.yaml").read_text(encoding="utf-8") == "study: {studyid: X}\n"


def test_a_bare_export_without_visits_or_study_id_drafts_a_study_that_builds(tmp_path):
    """Two forms, no STUDYID, no folder column: the draft hardcodes STUDYID and has no visit plan (SV must cope)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "demog.csv").write_text("SUBJID,SITEID,AGE,SEX,COUNTRY\n001,01,54,F,USA\n002,01,61,M,USA\n",
                                   encoding="utf-8")
    (raw / "ae.csv").write_text("SUBJID,AETERM,AEDECOD,AESTDAT,AESER\n001,Headache,Headache,03-MAR-2025,N\n"
                                "002,Rash,Rash,UN-MAR-2025,Y\n", encoding="utf-8")
    folder = tmp_path / "mappings" / "bare"
    result = CliRunner().invoke(cli, ["init", str(raw), "--study", "bare-01", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert "The draft builds" in result.output
    dm = (folder / "sdtm" / "dm.yaml").read_text(encoding="utf-8")
    assert re.search(r"STUDYID: +\{hardcode: BARE-01\}", dm) and "source: demog" in dm
    out = tmp_path / "sdtm"
    built = CliRunner().invoke(cli, ["sdtm", str(folder), "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert (out / "ae.xpt").is_file() and (out / "sv.xpt").is_file()
