"""The hardening suite (issue #10): hostile input ends in a user error with its location (exit 2) or a result,
never a traceback, and stays within a memory bound.

First the cases found by hand as fixtures (each names what it guards against), then property-based tests that
throw random text, numbers, dates and encodings into the raw columns of a small study and into the XPT and
Dataset-JSON headers given to ``validate``: the tool converts or rejects each row with a reason, never raises
anything but a ``CdiscConvertError``, and the counts reconcile.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.cli import cli
from converters.errors import CdiscConvertError
from converters.readers.dataset_json import read_dataset_json
from converters.readers.raw import ROW, read_raw, read_raw_folder
from converters.spec.yaml_lines import load_yaml_text
from sdtm_fixtures import write_tiny_study

#: No process of this suite may grow past this (the acceptance bound of issue #10).
MEMORY_BOUND = 1 << 30

BOMB = """\
study: {studyid: TINY-1, title: Tiny study, protocol_number: TINY-1}
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
description: *h
"""


def user_error(result) -> str:
    """The output of a run that must end in a user error: exit 2, no traceback."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def study(tmp_path) -> Path:
    return write_tiny_study(tmp_path)


def sdtm(study: Path, tmp_path: Path):
    return CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])


# --- fixtures: each case that once ended in a traceback or unbounded memory ----------------------------------

def test_a_yaml_alias_bomb_is_refused_with_its_line(study, tmp_path):
    (study / "study.yaml").write_text(BOMB, encoding="utf-8")
    text = user_error(sdtm(study, tmp_path))
    assert f"{study / 'study.yaml'}:8: not accepted: aliases (*name) expand this document" in text


def test_yaml_nesting_is_bounded():
    with pytest.raises(CdiscConvertError, match="nested more than 100 levels"):
        load_yaml_text("a: " + "[" * 150 + "]" * 150, "deep.yaml")


def test_an_xlsx_with_one_far_cell_is_read_in_bounded_memory(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SUBJID", "AGE"])
    sheet.append(["001", 54])
    sheet["XFD1048576"] = "far"
    book.save(tmp_path / "dm.xlsx")
    assert (tmp_path / "dm.xlsx").stat().st_size < 10_000
    with pytest.raises(CdiscConvertError) as caught:
        read_raw(tmp_path / "dm.xlsx")
    assert "column XFD has no name in the header (sheet row 1) but holds a value in sheet row 1048576" in str(
        caught.value)


def test_an_xlsx_declaring_a_huge_sheet_reads_only_what_it_holds(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["SUBJID", "AGE"])
    book.active.append(["001", 54])
    book.save(tmp_path / "ok.xlsx")
    _rewrite_sheet(tmp_path / "ok.xlsx", tmp_path / "dm.xlsx",
                   lambda xml: xml.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>'))
    frame = read_raw(tmp_path / "dm.xlsx").frame
    assert frame.drop(columns=ROW).to_dict("records") == [{"SUBJID": "001", "AGE": "54"}]


def test_a_damaged_xlsx_sheet_is_a_user_error(study, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["SUBJID", "AGE"])
    book.save(tmp_path / "ok.xlsx")
    _rewrite_sheet(tmp_path / "ok.xlsx", study / "raw" / "vs.xlsx", lambda xml: xml[: len(xml) // 2])
    text = user_error(sdtm(study, tmp_path))
    assert "vs.xlsx: sheet 'Sheet' is damaged" in text and "hint:" in text


def _rewrite_sheet(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, change(data) if name == "xl/worksheets/sheet1.xml" else data)


@pytest.mark.parametrize("encoding, named", [("utf-16-le", "UTF-16 little-endian"), ("utf-16-be", "UTF-16 big-endian"),
                                             ("utf-32-le", "UTF-32")])
def test_a_utf16_csv_without_bom_is_named(study, tmp_path, encoding, named):
    raw = study / "raw" / "ae.csv"
    raw.write_bytes(raw.read_text(encoding="utf-8").encode(encoding))
    text = user_error(sdtm(study, tmp_path))
    assert f"ae.csv: the file is {named} text without a byte-order mark" in text


def test_a_double_byte_csv_is_named_not_read_as_cp1252(study, tmp_path):
    raw = study / "raw" / "ae.csv"
    raw.write_bytes(raw.read_text(encoding="utf-8").replace("Headache", "頭痛がひどい").encode("shift_jis"))
    text = user_error(sdtm(study, tmp_path))
    assert "looks like a double-byte encoding (decodes as shift_jis" in text


def test_a_non_utf8_dispositions_file_is_a_user_error(study, tmp_path):
    assert sdtm(study, tmp_path).exit_code == 0
    bad = tmp_path / "dispositions.yaml"
    bad.write_bytes(b"dispositions:\n  - rule: \xff\xfe\x81\n")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "out"), "--dispositions", str(bad)])
    assert f"{bad}:2: not UTF-8 text" in user_error(result)


def test_a_define_with_a_non_ascii_digit_length_does_not_crash(study, tmp_path):
    from conftest import reference_file

    assert sdtm(study, tmp_path).exit_code == 0
    define = tmp_path / "define.xml"
    text = reference_file("define-xml-2.1/examples/defineV21-SDTM.xml").read_text(encoding="utf-8")
    define.write_text(text.replace('Length="200"', 'Length="²"', 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "out"), "--define", str(define), "--format", "csv",
                                      "--report-dir", str(tmp_path / "report")])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    findings = pd.read_csv(tmp_path / "report" / "findings.csv", dtype=str, keep_default_na=False)
    schema = " ".join(findings.loc[findings["rule"].eq("DF0001"), "message"])
    assert "attribute 'Length': '²' is not a valid value" in schema  # read as absent, reported by the schema check


@pytest.mark.parametrize("attribute", ["Length", "SignificantDigits", "OrderNumber", "KeySequence"])
@pytest.mark.parametrize("value", ["²", "١٢", "12a", "-1", "1" * 5000, ""])
def test_a_define_number_that_is_not_ascii_digits_is_read_as_absent(attribute, value):
    from lxml import etree

    from define_xml.reader import read_study

    odm, define = "http://www.cdisc.org/ns/odm/v1.3", "http://www.cdisc.org/ns/def/v2.1"
    on_item = attribute in ("Length", "SignificantDigits")
    xml = (f'<ODM xmlns="{odm}" xmlns:def="{define}"><Study OID="S"><MetaDataVersion OID="M" Name="M">'
           f'<ItemGroupDef OID="IG.AE" Name="AE"><ItemRef ItemOID="IT.AE.AETERM" Mandatory="Yes" '
           f'{"" if on_item else f"{attribute}={chr(34)}{value}{chr(34)}"}/></ItemGroupDef>'
           f'<ItemDef OID="IT.AE.AETERM" Name="AETERM" DataType="text" '
           f'{f"{attribute}={chr(34)}{value}{chr(34)}" if on_item else ""}/></MetaDataVersion></Study></ODM>')
    variable = read_study(etree.ElementTree(etree.fromstring(xml.encode()))).datasets[0].variables[0]
    read = {"Length": variable.length, "SignificantDigits": variable.significant_digits,
            "OrderNumber": variable.order, "KeySequence": variable.key_sequence}
    assert read[attribute] is None


def _dataset_json(tmp_path: Path, mutate) -> Path:
    meta = {"datasetJSONVersion": "1.1.0", "name": "VS", "label": "Vital Signs", "records": 2,
            "columns": [{"itemOID": "IT.VS.SUBJID", "name": "SUBJID", "label": "Subject", "dataType": "string"},
                        {"itemOID": "IT.VS.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}],
            "rows": [["001", 54], ["002", 61]]}
    text = mutate(meta)
    path = tmp_path / "vs.json"
    path.write_text(text if isinstance(text, str) else json.dumps(meta), encoding="utf-8")
    return path


DATASET_JSON_CASES = {
    "an integer of 10**400": (lambda m: json.dumps(m).replace("54", "1" + "0" * 400),
                              "variable AGE, row 1: integer column holds an integer of 401 digits"),
    "1e400": (lambda m: json.dumps(m).replace("54", "1e400"), "variable AGE, row 1: integer column holds"),
    "Infinity": (lambda m: json.dumps(m).replace("54", "Infinity"), "Infinity is not a JSON number"),
    "NaN": (lambda m: json.dumps(m).replace("54", "NaN"), "NaN is not a JSON number"),
    "columns given as strings": (lambda m: m.__setitem__("columns", ["SUBJID", "AGE"]),
                                 "column 1 is str 'SUBJID', not an object"),
    "a duplicate column name": (lambda m: m["columns"][1].__setitem__("name", "SUBJID"),
                                "column name 'SUBJID' appears twice (columns 1 and 2)"),
    "a duplicate key": (lambda m: json.dumps(m).replace('"label": "Age"', '"label": "Age", "label": "Age2"'),
                        "key 'label' appears twice in one JSON object"),
    "deep nesting": (lambda m: json.dumps(m).replace("54", "[" * 5000 + "]" * 5000),
                     "values are nested more than 32 levels deep"),
    "a nested value": (lambda m: json.dumps(m).replace("54", "[54]"), "holds [54], which is not a number"),
    "a text length": (lambda m: m["columns"][0].__setitem__("length", "8"), "length is '8', not a whole number"),
    "a column without a name": (lambda m: m["columns"][0].__delitem__("name"), "column 1 has no name"),
}


@pytest.mark.parametrize("case", sorted(DATASET_JSON_CASES))
def test_hostile_dataset_json_is_refused_with_its_location(tmp_path, case):
    mutate, message = DATASET_JSON_CASES[case]
    path = _dataset_json(tmp_path, mutate)
    with pytest.raises(CdiscConvertError) as caught:
        read_raw(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


#: What validate reports for each hostile file, and where: MD0000 when the file cannot be used at all (the reader's
#: message with the line or column), MD0030 for damage the rows survive (the value read as missing, the row and
#: variable named), MD0033 for a value of the wrong type (set aside per value, on its record).
VALIDATE_FINDINGS = {
    "an integer of 10**400": ("MD0030", "variable AGE, row 1: integer column holds an integer of 401 digits"),
    "1e400": ("MD0030", "variable AGE, row 1: integer column holds inf, beyond what a double holds"),
    "Infinity": ("MD0030", "variable AGE, row 1: Infinity is not a JSON number"),
    "NaN": ("MD0030", "variable AGE, row 1: NaN is not a JSON number"),
    "columns given as strings": ("MD0000", "column #1: column 1 is str 'SUBJID', not an object"),
    "a duplicate column name": ("MD0000", "variable SUBJID: column name 'SUBJID' appears twice (columns 1 and 2)"),
    "a duplicate key": ("MD0000", "line 1: key 'label' appears twice in one JSON object"),
    "deep nesting": ("MD0000", "line 1: values are nested more than 32 levels deep"),
    "a nested value": ("MD0033", "given=[54]"),
    "a text length": ("MD0030", "variable SUBJID: length is '8', not a whole number (read as absent)"),
    "a column without a name": ("MD0000", "column #1: column 1 has no name"),
}


def test_every_hostile_dataset_json_case_has_its_validate_finding():
    assert set(VALIDATE_FINDINGS) == set(DATASET_JSON_CASES)


@pytest.mark.parametrize("case", sorted(DATASET_JSON_CASES))
def test_hostile_dataset_json_given_to_validate_is_a_finding_not_a_crash(tmp_path, case):
    import csv

    mutate, message = DATASET_JSON_CASES[case]
    rule, said = VALIDATE_FINDINGS[case]
    folder = tmp_path / "sdtm"
    folder.mkdir()
    _dataset_json(folder, mutate)
    dm = {"datasetJSONVersion": "1.1.0", "name": "DM", "label": "Demographics", "records": 1,
          "columns": [{"itemOID": f"IT.DM.{n}", "name": n, "label": n, "dataType": "string"}
                      for n in ("STUDYID", "DOMAIN", "USUBJID")], "rows": [["S1", "DM", "S1-001"]]}
    (folder / "dm.json").write_text(json.dumps(dm), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--format", "csv"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    read = 1 if rule == "MD0000" else 2  # the rest of the folder is validated; a usable hostile file too
    assert f"Validated {read} datasets" in result.output
    with open(tmp_path / "sdtm-validation" / "findings.csv", encoding="utf-8", newline="") as handle:
        findings = list(csv.DictReader(handle))
    found = [f for f in findings if f["rule"] == rule and f["dataset"] == "VS"]
    assert found and any(said in f["message"] + f["values"] for f in found), found
    if rule == "MD0033":
        assert (found[0]["variable"], found[0]["record"]) == ("AGE", "1")
    else:  # the reader's own words
        assert "vs.json" in found[0]["message"] and message.split(":")[-1].strip() in found[0]["message"]
    assert not [f for f in findings if f["rule"] == "MD0000" and f["dataset"] == "DM"]


def test_hostile_inputs_stay_under_the_memory_bound_in_a_fresh_process(tmp_path):
    """The inputs that once took gigabytes, run through the CLI in a child process whose peak is measured."""
    study = write_tiny_study(tmp_path)
    (study / "study.yaml").write_text(BOMB, encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["SUBJID", "AGE"])
    book.active["XFD1048576"] = "far"
    book.save(tmp_path / "far.xlsx")
    script = ("import resource, sys\n"
              "from converters.cli import main\n"
              "from converters.readers.raw import read_raw\n"
              "try:\n"
              "    read_raw(sys.argv[1])\n"
              "except Exception as exc:\n"
              "    print(type(exc).__name__)\n"
              "try:\n"
              "    main(sys.argv[2:])\n"
              "except SystemExit as exc:\n"
              "    print('exit', exc.code)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n")
    import converters

    env = {**os.environ, "PYTHONPATH": str(Path(converters.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "far.xlsx"), "sdtm", str(study), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=300)
    lines = done.stdout.split()
    assert "DataError" in lines and "exit" in lines and "2" in lines, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert int(lines[-1]) < MEMORY_BOUND


# --- properties ----------------------------------------------------------------------------------------------

DATE_TEXT = st.one_of(
    st.dates().map(lambda d: d.strftime("%d-%b-%Y").upper()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["31-FEB-2025", "UN-MAR-2025", "UN-UNK-2025", "00-JAN-0000", "99-XXX-9999", "2025-13-45",
                     "9999-12-31", "0001-01-01", "1e400", "--", "NaN"]),
)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40).map(str),
    st.sampled_from(["inf", "-Infinity", "1e400", "0x1F", "1,5", "five", "-0", "1_000"]),
)
ANY_TEXT = st.text(max_size=40)
CELL = st.one_of(st.none(), DATE_TEXT, NUMBER_TEXT, ANY_TEXT)
#: Raw columns of the tiny study the property fills with random values (identifiers stay as they are).
FUZZED = {"dm": ["ICDAT", "ENDDAT", "AGE", "SEX_CD", "ARM_CD", "HTU"],
          "ae": ["TERM", "PT", "SER", "STDAT", "STTIM", "ENDAT", "DLT"],
          "ex": ["EXDAT", "DOSE"]}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory) -> tuple[Path, dict]:
    mappings = write_tiny_study(tmp_path_factory.mktemp("hardening"))
    return mappings, read_raw_folder(mappings / "raw")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_random_raw_values_are_converted_or_rejected_and_counts_reconcile(tiny_study, data):
    from converters.sdtm.study import build_study

    mappings, clean = tiny_study
    raw = {}
    for form, source in clean.items():
        frame = source.frame.copy()
        for column in FUZZED.get(form, []):
            values = data.draw(st.lists(CELL, min_size=len(frame), max_size=len(frame)), label=f"{form}.{column}")
            frame[column] = pd.Series(values, dtype="string").mask(
                pd.Series(values, dtype="string").str.strip().fillna("").eq(""))
        raw[form] = type(source)(name=source.name, path=source.path, frame=frame, encoding=source.encoding)
    try:
        build = build_study(mappings, raw=raw, builtins=False)
    except CdiscConvertError:
        return  # a user error with its location is an acceptable answer to hostile data
    log = build.log.frame() if hasattr(build.log, "frame") else None
    for domain in build.domains:
        if domain.sources and not domain.parent:
            assert domain.rows_read == domain.records + domain.filtered + domain.rejected, domain.name
    if log is not None and len(log):
        assert log["reason"].fillna("").str.len().gt(0).all()


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=400), encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1252",
                                                                 "shift_jis", "latin-1", "utf-32"]),
       text=st.text(max_size=60))
def test_random_bytes_and_encodings_in_a_csv_are_read_or_refused(tmp_path_factory, payload, encoding, text):
    folder = tmp_path_factory.mktemp("csv")
    try:
        encoded = ("SUBJID,TERM\n001," + text.replace("\n", " ") + "\n").encode(encoding)
    except UnicodeEncodeError:
        encoded = b""
    for name, data in (("a.csv", encoded + payload), ("b.csv", payload)):
        (folder / name).write_bytes(data)
        try:
            source = read_raw(folder / name)
        except CdiscConvertError:
            continue
        assert ROW in source.frame.columns


@settings(max_examples=30, deadline=None)
@given(header=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=20),
       field=st.sampled_from(["columns", "rows", "records", "name", "label", "datasetJSONVersion"]))
def test_random_dataset_json_headers_are_read_or_refused(tmp_path_factory, header, field):
    path = _dataset_json(tmp_path_factory.mktemp("dj"), lambda m: m.__setitem__(field, header))
    try:
        read_dataset_json(path)
    except CdiscConvertError:
        pass


@settings(max_examples=25, deadline=None)
@given(offset=st.integers(min_value=0, max_value=799), value=st.binary(min_size=1, max_size=8))
def test_random_xpt_header_bytes_given_to_validate_never_crash(xpt_folder, tmp_path_factory, offset, value):
    from converters.validate import validate_folder

    original = (xpt_folder / "dm.xpt").read_bytes()
    folder = tmp_path_factory.mktemp("xpt")
    (folder / "dm.xpt").write_bytes(original[:offset] + value + original[offset + len(value):])
    try:
        result = validate_folder(folder)
    except CdiscConvertError:
        return
    assert result.findings is not None


@pytest.fixture(scope="module")
def xpt_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xptsrc")
    mappings = write_tiny_study(root)
    result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root / "out"


def test_raw_folder_entries_no_reader_reads_are_logged(study, tmp_path):
    raw = study / "raw"
    (raw / "lab.csv.gz").write_bytes(b"\x1f\x8b compressed")
    (raw / "notes.txt").write_text("site notes")
    (raw / "old").mkdir()
    (raw / "old" / "ae.csv").write_text("STUDYID\nTINY-1\n")
    result = sdtm(study, tmp_path)
    assert result.exit_code == 0, result.output
    assert "3 raw-folder entries not read" in result.output
    log = pd.read_csv(tmp_path / "out" / "rejections.csv", dtype=str)
    unread = log[log["action"].eq("file not read")].set_index("source")["reason"]
    assert sorted(unread.index) == ["lab.csv.gz", "notes.txt", "old/"]
    assert unread["lab.csv.gz"].startswith("a compressed file") and unread["old/"].startswith("a sub-folder")


def _seed_files() -> dict[str, bytes]:
    import io

    book = openpyxl.Workbook()
    book.active.append(["SUBJID", "AGE"])
    book.active.append(["001", 54])
    buffer = io.BytesIO()
    book.save(buffer)
    odm = (b'<?xml version="1.0"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="S" '
           b'MetaDataVersionOID="M"><SubjectData SubjectKey="001"><StudyEventData StudyEventOID="V1"><FormData '
           b'FormOID="AE"><ItemGroupData ItemGroupOID="IG"><ItemData ItemOID="AETERM" Value="x"/></ItemGroupData>'
           b'</FormData></StudyEventData></SubjectData></ClinicalData></ODM>')
    dataset_json = json.dumps({"datasetJSONVersion": "1.1.0", "name": "VS", "records": 1, "columns": [
        {"itemOID": "IT.VS.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}], "rows": [[54]]})
    return {".xlsx": buffer.getvalue(), ".xml": odm, ".json": dataset_json.encode(), ".csv": b"SUBJID,AGE\n001,54\n"}


SEEDS = _seed_files()


@settings(max_examples=80, deadline=None)
@given(suffix=st.sampled_from(sorted(SEEDS)), position=st.integers(min_value=0, max_value=6000),
       junk=st.binary(min_size=1, max_size=16), cut=st.booleans())
def test_damaged_raw_files_of_every_format_are_read_or_refused(tmp_path_factory, suffix, position, junk, cut):
    data = SEEDS[suffix]
    position %= len(data) + 1
    damaged = data[:position] if cut else data[:position] + junk + data[position + len(junk):]
    path = tmp_path_factory.mktemp("raw") / f"form{suffix}"
    path.write_bytes(damaged)
    try:
        source = read_raw(path)
    except CdiscConvertError:
        return
    assert ROW in source.frame.columns


XML_BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10))
            + ']>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="S" MetaDataVersionOID="M">'
              '<SubjectData SubjectKey="&lol9;"/></ClinicalData></ODM>\n')


def test_an_xml_entity_bomb_is_refused_as_odm_and_as_define(tmp_path):
    from converters.validate.define_reader import read_define

    path = tmp_path / "ae.xml"
    path.write_text(XML_BOMB, encoding="utf-8")
    with pytest.raises(CdiscConvertError, match="declares a DOCTYPE or entities"):
        read_raw(path)
    with pytest.raises(CdiscConvertError, match="cannot read define"):
        read_define(path)


def test_the_suite_itself_stayed_under_the_memory_bound():
    """Runs after the cases above in this process: nothing here grew past the bound."""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < MEMORY_BOUND
