"""Raw readers: every export format gives the same all-text RawSource, true to the file."""
from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from converters.errors import DataError
from converters.readers import ROW, RawSource, read_raw, read_raw_folder
from converters.readers.raw import numbers_to_text, sas_numbers_to_text, sas_temporal_kind

RAW = Path(__file__).parent / "fixtures" / "raw"
GOOD, BAD, ODM, TRANSPORT = RAW / "good", RAW / "bad", RAW / "odm", RAW / "transport"


def records(source: RawSource) -> list[dict]:
    """Rows as dicts with missing values as None, for readable comparisons."""
    frame = source.frame.astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def assert_raw_shape(source: RawSource) -> None:
    for col in source.column_names():
        assert isinstance(source.frame[col].dtype, pd.StringDtype), col
    assert source.frame[ROW].dtype == np.int64
    assert source.frame.columns[-1] == ROW


# --- CSV -----------------------------------------------------------------------------

def test_csv_keeps_values_as_text_exactly():
    ae = read_raw(GOOD / "ae.csv")
    assert_raw_shape(ae)
    first = records(ae)[0]
    assert first["SUBJID"] == "007"  # leading zeros kept
    assert first["SITEID"] == "01"
    assert first["AETERM"] == "Headache, mild"  # quoted delimiter
    assert records(ae)[1]["AETERM"] == "NA"  # "NA" is text, not missing
    assert records(ae)[3]["AETERM"] == " Nausea "  # values are not trimmed


def test_csv_blank_and_whitespace_only_values_are_missing():
    rows = records(read_raw(GOOD / "ae.csv"))
    assert rows[1]["AESEV"] is None  # "   "
    assert rows[2]["AESEV"] is None and rows[2]["AESTDAT"] is None  # empty fields


def test_csv_header_names_are_stripped_and_case_kept():
    ae = read_raw(GOOD / "ae.csv")
    assert ae.column_names() == ["SITEID", "SUBJID", "AETERM", "AESEV", "AESTDAT"]
    assert ae.name == "ae" and ae.path == GOOD / "ae.csv"


def test_csv_row_numbers_count_records_after_the_header():
    ae = read_raw(GOOD / "ae.csv")
    # record 3 is a blank line (dropped); record 4 spans two lines inside quotes
    assert ae.frame[ROW].tolist() == [1, 2, 4, 5]
    assert records(ae)[2]["AETERM"] == "Rash\r\non arm"


def test_csv_detects_utf8():
    assert read_raw(GOOD / "ae.csv").encoding == "utf-8"


def test_csv_falls_back_to_cp1252_and_says_so():
    cm = read_raw(GOOD / "cm_cp1252.csv")
    assert cm.encoding == "cp1252"
    assert records(cm)[0]["CMTRT"] == "Paracétamol"
    assert records(cm)[0]["CMDOSU"] == "µg"
    assert records(cm)[1]["CMTRT"] == "Ibuprofen 200 mg – tablet"


def test_csv_utf8_bom_is_detected_and_not_part_of_the_first_name():
    dm = read_raw(GOOD / "dm_bom.csv")
    assert dm.encoding == "utf-8-sig"
    assert dm.column_names() == ["SUBJID", "SEX", "COUNTRY"]  # tab-delimited
    assert records(dm)[0]["COUNTRY"] == "Côte d'Ivoire"


def test_csv_declared_encoding_is_used():
    cm = read_raw(GOOD / "cm_cp1252.csv", encoding="latin-1")
    assert cm.encoding == "latin-1"
    assert records(cm)[0]["CMTRT"] == "Paracétamol"


def test_csv_declared_encoding_that_does_not_fit_names_the_row():
    with pytest.raises(DataError) as err:
        read_raw(GOOD / "cm_cp1252.csv", encoding="utf-8")
    assert err.value.where.row == 1 and "utf-8" in err.value.message


def test_csv_bytes_cp1252_does_not_define_are_an_error_not_a_latin1_guess():
    with pytest.raises(DataError) as err:
        read_raw(BAD / "lb_badbyte.csv")
    assert err.value.where.file.endswith("lb_badbyte.csv")
    assert err.value.where.row == 2
    assert "0x81" in err.value.message and "encoding" in err.value.hint


def test_csv_bytes_cp1252_does_not_define_read_with_a_declared_encoding():
    lb = read_raw(BAD / "lb_badbyte.csv", encoding="latin-1")
    assert records(lb)[1]["LBORRES"] == "caf\xe9\x81"


@pytest.mark.parametrize("fixture, delimiter", [("ae.csv", ","), ("cm_cp1252.csv", ";"), ("dm_bom.csv", "\t"),
                                                ("vs_pipe.csv", "|")])
def test_csv_delimiter_is_sniffed(fixture, delimiter):
    source = read_raw(GOOD / fixture)
    assert len(source.column_names()) == (5 if fixture == "ae.csv" else 3)
    assert all(delimiter not in c for c in source.column_names())


def test_csv_pipe_keeps_leading_zero_results():
    assert records(read_raw(GOOD / "vs_pipe.csv"))[1]["VSORRES"] == "080"


def test_csv_wrong_field_count_names_file_and_row():
    with pytest.raises(DataError) as err:
        read_raw(BAD / "mh_malformed.csv")
    assert err.value.where.file.endswith("mh_malformed.csv")
    assert err.value.where.row == 2
    assert "2 fields" in err.value.message and "header has 3" in err.value.message
    assert "also rows 3" in err.value.message


def test_csv_too_many_fields_on_the_first_row_is_not_truncated(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("A,B\n1,2,3\n")
    with pytest.raises(DataError) as err:
        read_raw(path)
    assert err.value.where.row == 1


def test_csv_unclosed_quote_names_the_row():
    with pytest.raises(DataError) as err:
        read_raw(BAD / "ex_quote.csv")
    assert err.value.where.row == 1 and "EOF" in err.value.message


def test_csv_duplicate_column_names_are_an_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("SUBJID,AETERM, SUBJID\n1,a,1\n")
    with pytest.raises(DataError, match="duplicate header column names: SUBJID"):
        read_raw(path)


def test_csv_trailing_delimiter_column_without_values_is_ignored(tmp_path):
    path = tmp_path / "trail.csv"
    path.write_text("A,B,\n1,2,\n3,4,\n")
    assert read_raw(path).column_names() == ["A", "B"]


def test_csv_unnamed_column_with_values_is_an_error(tmp_path):
    path = tmp_path / "unnamed.csv"
    path.write_text("A,,C\n1,2,3\n")
    with pytest.raises(DataError, match="header column 2 has no name"):
        read_raw(path)


def test_csv_header_must_be_on_the_first_line(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("\nA,B\n1,2\n")
    with pytest.raises(DataError, match="first line is empty"):
        read_raw(path)


def test_csv_reserved_row_column_name_is_an_error(tmp_path):
    path = tmp_path / "reserved.csv"
    path.write_text("A,__row__\n1,2\n")
    with pytest.raises(DataError, match="reserved"):
        read_raw(path)


@pytest.mark.parametrize("body, expected", [
    (" ,x,z\n", [None, "x", "z"]),  # first field
    ("y, ,z\n", ["y", None, "z"]),  # middle field
    ("y,x,\u00a0\r\n", ["y", "x", None]),  # last field, no-break space, CRLF
    ('y," \t",z\n', ["y", None, "z"]),  # quoted
    ("y,x ,z\n", ["y", "x ", "z"]),  # not whitespace-only: kept as is
])
def test_csv_whitespace_only_values_in_every_position_are_missing(tmp_path, body, expected):
    path = tmp_path / "ws.csv"
    path.write_bytes(("A,B,C\n" + body).encode("utf-8"))
    assert records(read_raw(path)) == [dict(zip("ABC", expected), **{ROW: 1})]


def test_csv_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_raw(path)


def test_csv_header_only_gives_no_records(tmp_path):
    path = tmp_path / "none.csv"
    path.write_text("A,B\n")
    source = read_raw(path)
    assert source.column_names() == ["A", "B"] and len(source) == 0


# --- dispatcher and folder ---------------------------------------------------------------

def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError) as err:
        read_raw(tmp_path / "ae.csv")
    assert err.value.where.file.endswith("ae.csv") and err.value.hint


@pytest.mark.parametrize("suffix", [".xls", ".sav", ""])
def test_unsupported_extension_is_a_data_error(tmp_path, suffix):
    path = tmp_path / f"ae{suffix}"
    path.write_bytes(b"x")
    with pytest.raises(DataError, match="unsupported raw file type") as err:
        read_raw(path)
    assert ".csv" in err.value.hint


def test_name_overrides_the_form_name():
    assert read_raw(GOOD / "ae.csv", name="adverse").name == "adverse"


def test_folder_reads_every_export_by_form_name():
    sources = read_raw_folder(GOOD, encodings={"cm_cp1252": "cp1252"})
    assert sorted(sources) == ["ae", "cm_cp1252", "dm_bom", "vs_pipe"]
    assert sources["cm_cp1252"].encoding == "cp1252"
    assert len(sources["ae"]) == 4


def test_folder_ignores_other_files_and_office_lock_files(tmp_path):
    (tmp_path / "ae.csv").write_text("A\n1\n")
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / "~$ae.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden.csv").write_text("A\n1\n")
    assert list(read_raw_folder(tmp_path)) == ["ae"]


def test_folder_with_two_files_for_one_form_is_an_error(tmp_path):
    (tmp_path / "ae.csv").write_text("A\n1\n")
    (tmp_path / "AE.tsv").write_text("A\n1\n")
    with pytest.raises(DataError, match="two raw files give form 'ae'"):
        read_raw_folder(tmp_path)


def test_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="raw folder not found"):
        read_raw_folder(tmp_path / "nope")


# --- Excel -------------------------------------------------------------------------------

@pytest.fixture()
def workbook(tmp_path) -> Path:
    import openpyxl
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "AE"
    ws.append(["SUBJID", " AETERM ", "AESTDAT", "DOSE", "AESTTIM", None])  # last: formatted, empty
    ws.append(["007", "Headache", dt.datetime(2025, 3, 3), 7, dt.time(10, 30), None])
    ws.append([None] * 6)
    ws.append([8, "NA", dt.datetime(2025, 3, 3, 14, 5, 9), 12.5, None, None])
    ws.append(["009", "   ", dt.date(2024, 2, 29), 7.0, None, None])
    other = book.create_sheet("CM")
    other.append(["CMTRT", "ONGOING"])
    other.append(["Aspirin", True])
    path = tmp_path / "AE.xlsx"
    book.save(path)
    return path


def test_excel_cells_become_text(workbook):
    ae = read_raw(workbook)
    assert_raw_shape(ae)
    assert ae.name == "ae"
    assert ae.column_names() == ["SUBJID", "AETERM", "AESTDAT", "DOSE", "AESTTIM"]
    assert records(ae) == [
        {"SUBJID": "007", "AETERM": "Headache", "AESTDAT": "2025-03-03", "DOSE": "7", "AESTTIM": "10:30:00",
         ROW: 1},
        {"SUBJID": "8", "AETERM": "NA", "AESTDAT": "2025-03-03T14:05:09", "DOSE": "12.5", "AESTTIM": None,
         ROW: 3},
        {"SUBJID": "009", "AETERM": None, "AESTDAT": "2024-02-29", "DOSE": "7", "AESTTIM": None, ROW: 4},
    ]


@pytest.mark.parametrize("sheet", ["CM", 1])
def test_excel_sheet_by_name_or_number(workbook, sheet):
    assert records(read_raw(workbook, sheet=sheet)) == [{"CMTRT": "Aspirin", "ONGOING": "TRUE", ROW: 1}]


def test_excel_missing_sheet_lists_the_sheets(workbook):
    with pytest.raises(DataError) as err:
        read_raw(workbook, sheet="LB")
    assert "AE, CM" in err.value.hint


def test_excel_damaged_workbook_is_a_data_error(tmp_path):
    path = tmp_path / "ae.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot open the workbook"):
        read_raw(path)


# --- SAS7BDAT (pyreadstat cannot write SAS7BDAT, so its reader is stood in for) ----------

@pytest.fixture()
def fake_sas(monkeypatch):
    import pyreadstat
    calls: list[dict] = []

    def read_sas7bdat(path, **options):
        calls.append(options)
        frame = pd.DataFrame({
            "SUBJID": ["007", "  ", "009"],
            "AGE": [34.0, np.nan, 61.0],
            "WEIGHT": [70.25, 80.0, 0.1],
            "BRTHDT": [23803.0, np.nan, 0.0],
            "VISDTM": [2056617000.0, np.nan, 0.5],
            "VISTM": [37800.0, 90061.0, np.nan],
        })
        formats = {"SUBJID": "$3", "AGE": "BEST12", "WEIGHT": "8.2", "BRTHDT": "DATE9", "VISDTM": "DATETIME20",
                   "VISTM": "TIME8"}
        return frame, SimpleNamespace(original_variable_types=formats, file_encoding="WINDOWS-1252")

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", read_sas7bdat)
    return calls


def test_sas7bdat_numbers_and_dates_become_text(fake_sas, tmp_path):
    path = tmp_path / "DM.sas7bdat"
    path.write_bytes(b"")
    dm = read_raw(path)
    assert_raw_shape(dm)
    assert dm.name == "dm" and dm.encoding == "WINDOWS-1252"
    assert records(dm) == [
        {"SUBJID": "007", "AGE": "34", "WEIGHT": "70.25", "BRTHDT": "2025-03-03", "VISDTM": "2025-03-03T10:30:00",
         "VISTM": "10:30:00", ROW: 1},
        {"SUBJID": None, "AGE": None, "WEIGHT": "80", "BRTHDT": None, "VISDTM": None, "VISTM": "25:01:01", ROW: 2},
        {"SUBJID": "009", "AGE": "61", "WEIGHT": "0.1", "BRTHDT": "1960-01-01", "VISDTM": "1960-01-01T00:00:00",
         "VISTM": None, ROW: 3},
    ]
    assert fake_sas[0]["disable_datetime_conversion"] is True


def test_sas7bdat_declared_encoding_is_passed_to_pyreadstat(fake_sas, tmp_path):
    path = tmp_path / "dm.sas7bdat"
    path.write_bytes(b"")
    assert read_raw(path, encoding="latin1").encoding == "latin1"
    assert fake_sas[0]["encoding"] == "latin1"


def test_sas7bdat_unreadable_file_is_a_data_error(tmp_path):
    path = tmp_path / "dm.sas7bdat"
    path.write_bytes(b"not a SAS dataset")
    with pytest.raises(DataError, match="cannot read the SAS dataset"):
        read_raw(path)


@pytest.mark.parametrize("fmt, kind", [("DATE9.", "date"), ("date9", "date"), ("E8601DA10.", "date"),
                                       ("YYMMDD10.", "date"), ("DATETIME20.", "datetime"), ("E8601DT19.", "datetime"),
                                       ("TIME8.", "time"), ("BEST12.", None), ("8.2", None), ("$20.", None),
                                       (None, None)])
def test_sas_formats_say_which_numbers_are_dates(fmt, kind):
    assert sas_temporal_kind(fmt) == kind


def test_numbers_to_text_is_exact_and_never_exponential():
    values = pd.Series([7.0, -0.0, 12.5, 0.1, 1e-05, 1e20, 2.0 ** 53 + 2, np.nan, 1 / 3])
    assert numbers_to_text(values).tolist() == [
        "7", "0", "12.5", "0.1", "0.00001", "100000000000000000000", "9007199254740994", pd.NA,
        "0.3333333333333333"]


def test_integer_columns_become_text_exactly():
    values = pd.Series([2 ** 62 + 1, None, 7], dtype="Int64")
    assert numbers_to_text(values).tolist() == [str(2 ** 62 + 1), pd.NA, "7"]


def test_sas_dates_before_1960_and_fractions():
    assert sas_numbers_to_text(pd.Series([-1.0, 0.9]), "date").tolist() == ["1959-12-31", "1960-01-01"]
    assert sas_numbers_to_text(pd.Series([59.9]), "time").tolist() == ["00:00:59"]


# --- XPT and Dataset-JSON ----------------------------------------------------------------

def test_xpt_becomes_text_with_iso_dates(tmp_path):
    import pyreadstat
    frame = pd.DataFrame({"SUBJID": ["007", "008"], "AGE": [34.0, np.nan], "BRTHDT": [23803.0, np.nan]})
    path = tmp_path / "DM.xpt"
    pyreadstat.write_xport(frame, str(path), table_name="DM", variable_format={"BRTHDT": "DATE9."})
    dm = read_raw(path)
    assert_raw_shape(dm)
    assert records(dm) == [{"SUBJID": "007", "AGE": "34", "BRTHDT": "2025-03-03", ROW: 1},
                           {"SUBJID": "008", "AGE": None, "BRTHDT": None, ROW: 2}]


def test_dataset_json_becomes_text_with_iso_dates():
    vs = read_raw(TRANSPORT / "vs.json")
    assert_raw_shape(vs)
    assert vs.name == "vs"
    assert records(vs) == [
        {"SUBJID": "007", "VSORRES": "120.5", "VSPOS": "1", "VSDT": "2025-03-03", "VSDTC": "2025-03-03T10:30",
         ROW: 1},
        {"SUBJID": "008", "VSORRES": "80", "VSPOS": None, "VSDT": None, "VSDTC": None, ROW: 2},
        {"SUBJID": "009", "VSORRES": None, "VSPOS": "2", "VSDT": "2024-02-29", "VSDTC": "2024-02", ROW: 3},
    ]


# --- ODM-XML -----------------------------------------------------------------------------

def test_odm_gives_one_source_per_form():
    from converters.readers.odm import read_odm
    forms = read_odm(ODM / "clinical.xml")
    assert sorted(forms) == ["f.ae", "f.dm"]
    ae = forms["f.ae"]
    assert_raw_shape(ae)
    assert ae.column_names() == ["SubjectKey", "SiteRef", "StudyEventOID", "StudyEventRepeatKey", "FormOID",
                                 "FormRepeatKey", "ItemGroupOID", "ItemGroupRepeatKey",
                                 "IT.AETERM", "IT.AESEV", "IT.AEOUT"]
    first, second = records(ae)
    assert first["SubjectKey"] == "001" and first["SiteRef"] == "SITE01"
    assert first["StudyEventOID"] == "SE.SCREEN" and first["ItemGroupRepeatKey"] == "1"
    assert first["IT.AESEV"] == "007"  # text, leading zeros kept
    assert second["IT.AETERM"] == "NA"
    assert second["IT.AESEV"] is None  # IsNull="Yes"
    assert second["IT.AEOUT"] is None  # whitespace-only


def test_odm_row_is_the_item_group_occurrence_in_the_file():
    from converters.readers.odm import read_odm
    forms = read_odm(ODM / "clinical.xml")
    assert forms["f.ae"].frame[ROW].tolist() == [1, 2]
    assert forms["f.dm"].frame[ROW].tolist() == [3]
    assert records(forms["f.dm"])[0]["IT.SEX"] == "F"  # typed ItemDataString


def test_odm_through_the_dispatcher_needs_a_form_when_there_are_several():
    assert read_raw(ODM / "clinical.xml", name="F.DM").name == "f.dm"
    with pytest.raises(DataError, match="f.ae, f.dm"):
        read_raw(ODM / "clinical.xml")


@pytest.fixture()
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("fixture", ["xxe.xml", "laughs.xml"])
def test_odm_with_entity_declarations_is_rejected_unexpanded(fixture, no_network):
    from converters.readers.odm import read_odm
    with pytest.raises(DataError, match="DOCTYPE") as err:
        read_odm(ODM / fixture)
    assert err.value.where.file.endswith(fixture)
    assert "lollol" not in str(err.value) and "root:" not in str(err.value)


def test_odm_parser_itself_leaves_external_entities_unresolved(monkeypatch, no_network):
    from converters.readers import odm
    monkeypatch.setattr(odm, "reject_doctype", lambda path: None)  # defence in depth: the parser alone
    with pytest.raises(DataError, match="entity reference"):
        odm.read_odm(ODM / "xxe.xml")


def test_odm_broken_xml_is_a_data_error(tmp_path):
    path = tmp_path / "odm.xml"
    path.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData>')
    with pytest.raises(DataError, match="not well-formed"):
        read_raw(path)
