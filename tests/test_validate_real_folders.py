"""Folders as other sponsors send them: cp1252 text, v8 XPT, lower-case members, truncated files, Dataset-JSON
values of the wrong type, one record with a foreign STUDYID.  Each gives findings that name the file and what is
wrong, and never a false "missing dataset"."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from validate_fixtures import S1, STUDYID, clean_study, write_folder

from converters.validate import validate_folder
from converters.validate.data import load_folder


@pytest.fixture(scope="module")
def clean_folder(tmp_path_factory) -> Path:
    return write_folder(clean_study(), tmp_path_factory.mktemp("clean") / "sdtm")


def _copy(folder: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(folder, target)
    return target


def _rules(result, dataset: str | None = None) -> set[str]:
    f = result.findings
    if dataset:
        f = f[f["dataset"].eq(dataset)]
    return set(f["rule"])


def _with_text(tmp_path: Path, dataset: str, row: int, variable: str, text: str, encoding: str) -> Path:
    """The clean study written as XPT, then one value's bytes replaced by ``text`` in ``encoding`` (as another
    sponsor's tool would write it; our writer refuses non-ASCII)."""
    fx = clean_study()
    encoded = text.encode(encoding)
    placeholder = "Q" * len(encoded)
    fx.set(dataset, row, **{variable: placeholder})
    folder = write_folder(fx, tmp_path / "sdtm")
    path = folder / f"{dataset.lower()}.xpt"
    raw = path.read_bytes()
    assert raw.count(placeholder.encode()) == 1
    path.write_bytes(raw.replace(placeholder.encode(), encoded))
    return folder


def _cp1252_ts(tmp_path: Path, encoding: str = "cp1252") -> Path:
    """The clean study with TS text written in ``encoding`` (an accented sponsor name)."""
    row = clean_study().where("TS", TSPARMCD="SPONSOR")
    return _with_text(tmp_path, "TS", row, "TSVAL", "Société Générale Pharma €", encoding)


def test_cp1252_ts_is_read_detected_and_reported(tmp_path):
    folder = _cp1252_ts(tmp_path)
    result = validate_folder(folder)
    study = result.study
    assert "TS" in study.datasets and not study.problems
    assert "Société Générale Pharma €" in set(study.get("TS").text("TSVAL"))
    rules = _rules(result)
    assert "CR0028" not in rules and "MD0000" not in rules  # no false "the folder has no TS dataset"
    notice = result.findings[result.findings["rule"].eq("MD0032")]
    assert list(notice["dataset"]) == ["TS"] and "cp1252" in notice["message"].iloc[0]
    assert "detected" in notice["message"].iloc[0]
    assert "MD0018" in _rules(result, "TS")  # still not ASCII, which XPT v5 requires
    # TS rules ran: the planted TS values are checked (nothing else is wrong with TS)
    assert "TD0001" not in rules


def test_declared_encoding_is_used_and_reported(tmp_path):
    row = clean_study().where("TS", TSPARMCD="SPONSOR")
    folder = _with_text(tmp_path, "TS", row, "TSVAL", "Société Générale Pharma", "latin-1")
    result = validate_folder(folder, encoding="latin-1")
    notice = result.findings[result.findings["rule"].eq("MD0032")]
    assert "latin-1" in notice["message"].iloc[0] and "declared" in notice["message"].iloc[0]
    assert "Société Générale Pharma" in set(result.study.get("TS").text("TSVAL"))


def test_utf8_text_is_detected_as_utf8(tmp_path):
    result = validate_folder(_with_text(tmp_path, "AE", 0, "AETERM", "CÉPHALÉE", "utf-8"))
    notice = result.findings[result.findings["rule"].eq("MD0032")]
    assert list(notice["dataset"]) == ["AE"] and "utf-8" in notice["message"].iloc[0]
    assert "CÉPHALÉE" in set(result.study.get("AE").text("AETERM"))


def test_v8_xpt_is_read_and_flagged(clean_folder, tmp_path):
    import pyreadstat

    folder = _copy(clean_folder, tmp_path / "sdtm")
    frame, meta = pyreadstat.read_xport(str(folder / "dm.xpt"))
    pyreadstat.write_xport(frame, str(folder / "dm.xpt"), file_format_version=8, table_name="DM",
                           column_labels=meta.column_labels, file_label=meta.file_label)
    result = validate_folder(folder)
    assert len(result.study.get("DM")) == 3
    flagged = result.findings[result.findings["rule"].eq("MD0029")]
    assert list(flagged["dataset"]) == ["DM"] and "version 8" in flagged["message"].iloc[0]
    assert "CR0027" not in _rules(result) and "CR0001" not in _rules(result)
    assert "MD0032" not in _rules(result)  # ASCII text: no encoding to report (its numbers are binary bytes)


def test_v8_xpt_with_cp1252_text_is_detected(clean_folder, tmp_path):
    import pyreadstat

    folder = _copy(clean_folder, tmp_path / "sdtm")
    frame, _ = pyreadstat.read_xport(str(folder / "cm.xpt"))
    frame.loc[0, "CMTRT"] = "QQQQQQQQQQQ"
    pyreadstat.write_xport(frame, str(folder / "cm.xpt"), file_format_version=8, table_name="CM")
    raw = (folder / "cm.xpt").read_bytes()
    (folder / "cm.xpt").write_bytes(raw.replace(b"QQQQQQQQQQQ", "PARACÉTAMOL".encode("cp1252")))
    result = validate_folder(folder)
    assert "PARACÉTAMOL" in set(result.study.get("CM").text("CMTRT"))
    notice = result.findings[result.findings["rule"].eq("MD0032")]
    assert list(notice["dataset"]) == ["CM"] and "cp1252" in notice["message"].iloc[0]


def test_lowercase_member_name_is_flagged(clean_folder, tmp_path):
    folder = _copy(clean_folder, tmp_path / "sdtm")
    raw = bytearray((folder / "cm.xpt").read_bytes())
    start = raw.find(b"SAS     CM      ")
    raw[start + 8:start + 10] = b"cm"
    (folder / "cm.xpt").write_bytes(bytes(raw))
    result = validate_folder(folder)
    flagged = result.findings[result.findings["rule"].eq("MD0031")]
    assert list(flagged["dataset"]) == ["CM"] and "'cm' is not upper case" in flagged["message"].iloc[0]


def test_truncated_xpt_is_a_finding_not_fewer_rows(clean_folder, tmp_path):
    folder = _copy(clean_folder, tmp_path / "sdtm")
    raw = (folder / "ae.xpt").read_bytes()
    (folder / "ae.xpt").write_bytes(raw[:len(raw) - 150])  # 2 rows of 197 bytes padded to 400: cut the second
    result = validate_folder(folder)
    damaged = result.findings[result.findings["rule"].eq("MD0030")]
    assert set(damaged["dataset"]) == {"AE"} and damaged["severity"].eq("Error").all()
    text = " ".join(damaged["message"])
    assert "ae.xpt" in text and "not a whole number of 80-byte records" in text
    assert "cut short" in text and "1 whole records read" in text
    assert "AE" in result.study.datasets  # the whole records are still validated


def test_xpt_cut_at_a_record_boundary_inside_a_row(clean_folder, tmp_path):
    folder = _copy(clean_folder, tmp_path / "sdtm")
    raw = (folder / "ae.xpt").read_bytes()
    (folder / "ae.xpt").write_bytes(raw[:len(raw) - 80])  # whole 80-byte records, but a row cut short
    result = validate_folder(folder)
    damaged = result.findings[result.findings["rule"].eq("MD0030")]
    assert len(damaged) == 1 and "cut short" in damaged["message"].iloc[0]


def test_truncated_v8_xpt_states_the_missing_observations(clean_folder, tmp_path):
    import pyreadstat

    folder = _copy(clean_folder, tmp_path / "sdtm")
    frame, _ = pyreadstat.read_xport(str(folder / "lb.xpt"))
    pyreadstat.write_xport(frame, str(folder / "lb.xpt"), file_format_version=8, table_name="LB")
    raw = (folder / "lb.xpt").read_bytes()
    width = len(raw) - raw.find(b"OBSV8") - 80
    (folder / "lb.xpt").write_bytes(raw[:len(raw) - width // 2 - (width // 2) % 80])
    result = validate_folder(folder)
    damaged = " ".join(result.findings[result.findings["rule"].eq("MD0030")]["message"])
    assert "states 4 observations" in damaged


def test_file_with_bad_headers_is_reported_and_not_missing(clean_folder, tmp_path):
    folder = _copy(clean_folder, tmp_path / "sdtm")
    (folder / "ts.xpt").write_bytes(b"garbage" * 100)
    result = validate_folder(folder)
    unreadable = result.findings[result.findings["rule"].eq("MD0000")]
    assert list(unreadable["dataset"]) == ["TS"] and "library header" in unreadable["message"].iloc[0]
    assert "CR0028" not in _rules(result)  # the TS file is there, it is damaged: no "the folder has no TS"


def test_dataset_json_wrong_types_reported_per_value(clean_folder, tmp_path):
    folder = write_folder(clean_study(), tmp_path / "sdtm", fmt="json")
    doc = json.loads((folder / "dm.json").read_text())
    names = [c["name"] for c in doc["columns"]]
    age, sex = names.index("AGE"), names.index("SEX")
    doc["rows"][0][age] = "fifty-nine"
    doc["rows"][1][age] = "54"
    doc["rows"][2][sex] = 1
    (folder / "dm.json").write_text(json.dumps(doc))
    result = validate_folder(folder)
    study = result.study
    assert "DM" in study.datasets and not study.problems
    wrong = result.findings[result.findings["rule"].eq("MD0033")]
    assert sorted(zip(wrong["variable"], wrong["record"])) == [("AGE", 1), ("AGE", 2), ("SEX", 3)]
    assert 'given="fifty-nine"' in " ".join(wrong["values"])
    assert study.get("DM").number("AGE").iloc[1] == 54  # a number given as text is still read
    assert "CR0001" not in _rules(result)  # no orphan records: DM was read


def test_dataset_json_records_count_and_short_rows_are_damage(tmp_path):
    folder = write_folder(clean_study(), tmp_path / "sdtm", fmt="json")
    doc = json.loads((folder / "ae.json").read_text())
    doc["records"] = 5
    doc["rows"][1] = doc["rows"][1][:3]
    (folder / "ae.json").write_text(json.dumps(doc))
    result = validate_folder(folder)
    damage = " ".join(result.findings[result.findings["rule"].eq("MD0030")]["message"])
    assert "'records' states 5 rows but the file holds 2" in damage and "row 2 has 3 values" in damage


def test_one_foreign_studyid_flags_that_record_only(clean_folder, tmp_path):
    fx = clean_study()
    fx.set("AE", 0, STUDYID="OTHER99")
    folder = write_folder(fx, tmp_path / "sdtm")
    result = validate_folder(folder)
    assert result.study.studyid == STUDYID
    flagged = result.findings[result.findings["rule"].eq("CR0026")]
    assert list(zip(flagged["dataset"], flagged["record"], flagged["usubjid"])) == [("AE", 1, S1)]
    assert "OTHER99" in flagged["message"].iloc[0] and STUDYID in flagged["message"].iloc[0]


def test_studyid_by_majority_of_ts_and_dm():
    fx = clean_study()
    fx.frames["AE"]["STUDYID"] = "AESTUDY"
    fx.frames["EX"]["STUDYID"] = "AESTUDY"
    assert fx.study().studyid == STUDYID  # other datasets do not vote: TS and DM agree
    fx.frames["TS"]["STUDYID"] = "TSSTUDY"
    assert fx.study().studyid == "TSSTUDY"  # 31 TS records against 3 DM records
    fx.frames["TS"] = fx.frames["TS"].iloc[:3]
    assert fx.study().studyid == "TSSTUDY"  # a tie: TS, the trial's own summary, wins


def test_fast_and_full_reader_agree_on_cp1252(tmp_path):
    from converters.readers.xpt import read_xpt_encoded
    from converters.validate.xptfile import read_xpt_file

    folder = _cp1252_ts(tmp_path)
    frame, _, facts = read_xpt_file(folder / "ts.xpt")
    full, _ = read_xpt_encoded(folder / "ts.xpt", "cp1252")
    assert facts.encoding == "cp1252"
    pd.testing.assert_frame_equal(frame, full, check_dtype=False)


def test_load_folder_keeps_file_facts(clean_folder):
    study = load_folder(clean_folder)
    facts = study.get("AE").facts
    assert facts.version == 5 and facts.members == ["AE"] and facts.damage == [] and facts.encoding == "ascii"


def test_a_declared_encoding_that_does_not_fit_falls_back_to_detection(tmp_path):
    folder = _cp1252_ts(tmp_path)
    result = validate_folder(folder, encoding="utf-8")  # the bytes are cp1252, not UTF-8
    assert "TS" in result.study.datasets and "MD0000" not in _rules(result)
    notice = result.findings[result.findings["rule"].eq("MD0032")]["message"].iloc[0]
    assert "cp1252 (detected; the declared utf-8 cannot decode it)" in notice


def test_a_ts_version_in_non_ascii_digits_is_no_version_not_a_crash(tmp_path):
    fx = clean_study()
    fx.set("TS", fx.where("TS", TSPARMCD="SDTIGVER"), TSVAL="3.²")  # "²".isdigit() is True, int("²") fails
    fx.set("DM", 2, ARMCD="SCRNFAIL", ARM="Screen Failure", ARMNRS="")  # a finding that compares versions
    result = validate_folder(write_folder(fx, tmp_path / "sdtm", fmt="json"))
    assert not result.rule_errors
    assert result.study.ig_version[0] == ""  # TS states no version a reviewer could compare
    assert "VL0040" in _rules(result)


def test_dataset_json_nan_and_infinity_are_damage_named_by_rows_and_the_rest_is_read(tmp_path):
    folder = write_folder(clean_study(), tmp_path / "sdtm", fmt="json")
    doc = json.loads((folder / "dm.json").read_text())
    age = [c["name"] for c in doc["columns"]].index("AGE")
    doc["rows"][0][age], doc["rows"][1][age] = float("nan"), float("inf")
    (folder / "dm.json").write_text(json.dumps(doc))  # Python writes them as NaN and Infinity, which JSON has not
    result = validate_folder(folder)
    assert "DM" in result.study.datasets and "MD0000" not in _rules(result)
    damage = result.findings[result.findings["rule"].eq("MD0030")]
    assert list(damage["message"]) == ["dm.json is damaged: variable AGE, rows 1, 2: NaN, Infinity are not JSON numbers "
                                       "(Dataset-JSON has no NaN or infinite values); read as missing; the records "
                                       "that could be read were validated"]
    ages = result.study.get("DM").number("AGE")
    assert ages.iloc[:2].isna().all() and ages.iloc[2:].notna().all()
