"""``cdisc-convert adam`` on an SDTM folder our SDTM step did not write: another sponsor's conventions (SDTMIG 3.2-era
screen-failure arm codes, text dates with times, a different DS coding), configured in its ADaM spec only; spec
errors name the file and line; identical input gives identical bytes."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from converters.cli import cli


def _write_dataset_json(folder: Path, name: str, columns: dict[str, str], rows: list[list]) -> None:
    """A hand-written Dataset-JSON 1.1 file (what another sponsor's tool would send)."""
    doc = {"datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
           "itemGroupOID": f"IG.{name}", "records": len(rows), "name": name, "label": name,
           "columns": [{"itemOID": f"IT.{name}.{c}", "name": c, "label": c, "dataType": t,
                        **({"length": 200} if t == "string" else {})} for c, t in columns.items()],
           "rows": rows}
    (folder / f"{name.lower()}.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture()
def foreign(tmp_path: Path) -> tuple[Path, Path]:
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    s = "string"
    _write_dataset_json(sdtm, "DM", {"STUDYID": s, "DOMAIN": s, "USUBJID": s, "SUBJID": s, "SITEID": s,
                                     "AGE": "integer",
                                     "AGEU": s, "SEX": s, "RACE": s, "ARMCD": s, "ARM": s, "ACTARMCD": s, "ACTARM": s,
                                     "COUNTRY": s, "RFICDTC": s, "DTHDTC": s, "DTHFL": s}, [
        ["XYZ-301", "DM", "XYZ-301-001", "001", "10", 55, "YEARS", "F", "WHITE", "TRTA", "Drug X 10 mg",
         "TRTA", "Drug X 10 mg", "FRA", "2021-04-20", "", ""],
        ["XYZ-301", "DM", "XYZ-301-002", "002", "10", 71, "YEARS", "M", "ASIAN", "TRTB", "Drug X 20 mg",
         "TRTB", "Drug X 20 mg", "FRA", "2021-04-22", "2021-09", "Y"],
        ["XYZ-301", "DM", "XYZ-301-003", "003", "10", 48, "YEARS", "M", "WHITE", "SCRNFAIL", "Screen Failure",
         "SCRNFAIL", "Screen Failure", "FRA", "2021-04-25", "", ""],
        ["XYZ-301", "DM", "XYZ-301-004", "004", "10", 60, "YEARS", "F", "WHITE", "TRTA", "Drug X 10 mg",
         "NOTTRT", "Not Treated", "FRA", "2021-04-26", "", ""]])
    _write_dataset_json(sdtm, "EX", {"STUDYID": s, "USUBJID": s, "EXSEQ": "integer", "EXTRT": s, "EXDOSE": "float",
                                     "EXSTDTC": s}, [
        ["XYZ-301", "XYZ-301-001", 1, "DRUG X", 10.0, "2021-05-03T10:15:00"],
        ["XYZ-301", "XYZ-301-001", 2, "DRUG X", 10.0, "2021-05-17T09:40:00"],
        ["XYZ-301", "XYZ-301-002", 1, "DRUG X", 20.0, "2021-05-04T08:05:00"]])
    _write_dataset_json(sdtm, "AE", {"STUDYID": s, "USUBJID": s, "AESEQ": "integer", "AEDECOD": s, "AETOXGR": s,
                                     "AESTDTC": s, "AEENDTC": s}, [
        ["XYZ-301", "XYZ-301-001", 1, "Headache", "1", "2021-05", "2021-05-20T12:00"],
        ["XYZ-301", "XYZ-301-001", 2, "Nausea", "3", "2021-04-30", "2021-05-01"],
        ["XYZ-301", "XYZ-301-002", 1, "Rash", "2", "2021-05-10T14:30", ""]])
    _write_dataset_json(sdtm, "DS", {"STUDYID": s, "USUBJID": s, "DSSEQ": "integer", "DSCAT": s, "DSDECOD": s,
                                     "DSSTDTC": s}, [
        ["XYZ-301", "XYZ-301-001", 1, "DISPOSITION EVENT", "COMPLETED", "2021-08-01T10:00"],
        ["XYZ-301", "XYZ-301-002", 1, "DISPOSITION EVENT", "DEATH", "2021-09"],
        ["XYZ-301", "XYZ-301-003", 1, "DISPOSITION EVENT", "SCREEN FAILURE", "2021-04-30"]])
    mappings = tmp_path / "mappings" / "xyz"
    (mappings / "adam").mkdir(parents=True)
    (mappings / "adam" / "adsl.yaml").write_text("""\
dataset: ADSL
structure: ADSL
# SDTMIG 3.2 conventions: screen failures and unassigned subjects are arm codes, not ARMNRS
source: {dataset: DM, filter: {ARMCD: {not_in: [SCRNFAIL, NOTASSGN]}}}
steps:
  - derive_vars_merged: {dataset_add: EX, filter_add: {EXDOSE: {gt: 0}}, order: [EXSTDTC], mode: first,
                         new_vars: {TRTSDTC: EXSTDTC}}
  - derive_vars_merged: {dataset_add: EX, filter_add: {EXDOSE: {gt: 0}}, order: [EXSTDTC], mode: last,
                         new_vars: {TRTEDTC: EXSTDTC}}
  - derive_vars_dtm: {dtc: TRTSDTC, new_vars_prefix: TRTS, highest_imputation: h, flag_imputation: time}
  - derive_vars_dt: {dtc: TRTSDTC, new_vars_prefix: TRTS}
  - derive_vars_dt: {dtc: TRTEDTC, new_vars_prefix: TRTE}
  - derive_var_map: {source_var: ARMCD, new_var: TRT01P, values: {TRTA: Drug X 10 mg, TRTB: Drug X 20 mg}}
  - derive_var_map: {source_var: ACTARMCD, new_var: TRT01A, values: {TRTA: Drug X 10 mg, TRTB: Drug X 20 mg}}
  - derive_var_flag: {new_var: SAFFL, condition: {TRTSDT: {notnull: true}}, false_value: N}
  # this sponsor codes completion as COMPLETED and every other disposition event as the reason
  - derive_vars_merged: {dataset_add: DS, filter_add: {DSCAT: DISPOSITION EVENT}, order: [DSSTDTC], mode: last,
                         new_vars: {EOSDECOD: DSDECOD}}
  - derive_var_map: {source_var: EOSDECOD, new_var: EOSSTT, values: {COMPLETED: COMPLETED}, other: value,
                     other_value: DISCONTINUED, missing_value: ONGOING}
  - derive_vars_dt: {dtc: DTHDTC, new_vars_prefix: DTH, highest_imputation: D, flag_imputation: date}
variables:
  STUDYID:
  USUBJID:
  SUBJID:
  SITEID:
  AGE:
  SEX:
  ARMCD:
  TRT01P:
  TRT01A:
  SAFFL:
  TRTSDTM:
  TRTSTMF:
  TRTSDT:
  TRTEDT:
  EOSSTT:
  DTHFL:
  DTHDT:
  DTHDTF:
""", encoding="utf-8")
    (mappings / "adam" / "adae.yaml").write_text("""\
dataset: ADAE
structure: OCCDS
source: AE
keys: [STUDYID, USUBJID, AESEQ]
steps:
  - derive_vars_merged: {dataset_add: ADSL, new_vars: {TRTSDT: TRTSDT, TRT01A: TRT01A}}
  - derive_vars_dt: {dtc: AESTDTC, new_vars_prefix: AST, highest_imputation: M, min_dates: [TRTSDT]}
  - derive_vars_dt: {dtc: AEENDTC, new_vars_prefix: AEN, highest_imputation: M, date_imputation: last}
  - derive_var_trtemfl: {trt_end_date: null}
  - derive_var_atoxgr: {sources: [{var: ASTCTGR, scale: ASTCT 2019}, {var: AETOXGR, scale: CTCAE v5.0}]}
variables:
  STUDYID:
  USUBJID:
  AESEQ:
  TRT01A:
  AEDECOD:
  ASTDT:
  ASTDTF:
  AENDT:
  TRTEMFL: {label: Treatment Emergent Analysis Flag}
  ATOXGR:
  ATOXGRN:
""", encoding="utf-8")
    return mappings, sdtm


def test_adam_runs_on_another_sponsors_sdtm_configured_in_its_spec_only(foreign, tmp_path):
    mappings, sdtm = foreign
    out = tmp_path / "adam"
    result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(out)])
    assert result.exit_code == 0, result.output
    adsl, meta = pyreadstat.read_xport(str(out / "adsl.xpt"))
    adsl = adsl.set_index("USUBJID")
    assert list(adsl.index) == ["XYZ-301-001", "XYZ-301-002", "XYZ-301-004"]  # SCRNFAIL left out
    assert list(adsl["SAFFL"]) == ["Y", "Y", "N"]
    assert adsl.loc["XYZ-301-001", "TRTSDTM"] == pd.Timestamp("2021-05-03T10:15:00")
    assert adsl.loc["XYZ-301-001", "TRTEDT"] == pd.Timestamp("2021-05-17").date()
    assert list(adsl["EOSSTT"]) == ["COMPLETED", "DISCONTINUED", "ONGOING"]
    assert adsl.loc["XYZ-301-002", "DTHDT"] == pd.Timestamp("2021-09-01").date()
    assert adsl.loc["XYZ-301-002", "DTHDTF"] == "D"
    assert meta.original_variable_types["TRTSDTM"].startswith("DATETIME")
    adae, _ = pyreadstat.read_xport(str(out / "adae.xpt"))
    # the May AE starts in the month of the first dose: imputed to the first dose, not 1 May
    assert adae["ASTDT"].tolist()[0] == pd.Timestamp("2021-05-03").date() and adae["ASTDTF"].tolist()[0] == "D"
    assert adae["TRTEMFL"].tolist() == ["Y", "", "Y"]
    assert adae["ATOXGRN"].tolist() == [1.0, 3.0, 2.0]


def test_adam_output_is_byte_identical_when_run_again(foreign, tmp_path):
    mappings, sdtm = foreign
    for target in ("a", "b"):
        result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / target)])
        assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_quiet_prints_nothing_and_writes_the_same_datasets(foreign, tmp_path):
    mappings, sdtm = foreign
    loud = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "loud")])
    quiet = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "quiet"),
                                     "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert loud.output and quiet.output == ""
    for path in sorted((tmp_path / "loud").iterdir()):
        assert path.read_bytes() == (tmp_path / "quiet" / path.name).read_bytes(), path.name


@pytest.mark.parametrize("edit, message", [
    ("  - derive_vars_dt: {dtc: TRTSDTC, new_vars_prefix: TRTS}\n",
     "  - derive_vars_dtt: {dtc: TRTSDTC, new_vars_prefix: TRTS}\n"),
    ("  - derive_vars_dt: {dtc: TRTSDTC, new_vars_prefix: TRTS}\n",
     "  - derive_vars_dt: {dtc: TRTSDTC, new_vars_prefix: TRTS, highest_imputation: W}\n"),
    ("  DTHDTF:\n", "  DTHDTF:\n  NEWVAR:\n"),
    ("  DTHDTF:\n", "  DTHDTF:\n  SAFFL2: {label: x}\n"),
])
def test_spec_errors_name_the_file_and_line_without_a_traceback(foreign, tmp_path, edit, message):
    mappings, sdtm = foreign
    spec = mappings / "adam" / "adsl.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace(edit, message), encoding="utf-8")
    line = text.replace(edit, message).splitlines().index(message.splitlines()[-1]) + 1
    result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert f"adsl.yaml:{line}" in result.output and "Traceback" not in result.output


def test_a_folder_without_dm_is_a_clear_error(foreign, tmp_path):
    mappings, sdtm = foreign
    (sdtm / "dm.json").unlink()
    result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no DM dataset" in result.output


def test_a_dataset_the_specs_do_not_read_is_not_read_and_one_they_read_is_named_when_unreadable(foreign, tmp_path):
    mappings, sdtm = foreign
    (sdtm / "vs.xpt").write_bytes(b"not a transport file")  # no ADaM spec reads VS: the build does not open it
    result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    (sdtm / "ae.json").unlink()
    (sdtm / "ae.xpt").write_bytes(b"not a transport file")
    result = CliRunner().invoke(cli, ["adam", str(mappings), "--sdtm", str(sdtm), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2 and "cannot read ae.xpt" in result.output and "Traceback" not in result.output
