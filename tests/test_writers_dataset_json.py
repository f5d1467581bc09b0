"""Dataset-JSON 1.1 writer: schema-valid files, column metadata, value forms, determinism, CDISC examples."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SEND_EXAMPLES, reference_file

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.readers.xpt import read_xpt
from converters.writers.dataset_json import write_dataset_json

SEND = reference_file(SEND_EXAMPLES)
OIDS = {"study_oid": "CDISCCONV01", "metadata_version_oid": "MDV.CDISCCONV01.ADaMIG.1.3"}


def adsl() -> tuple[pd.DataFrame, Dataset]:
    frame = pd.DataFrame({
        "USUBJID": ["S1-001", "S1-002", "S1-003"],
        "SEX": ["F", None, "M"],
        "AGE": pd.array([34, None, 51], dtype="Int64"),
        "WEIGHTBL": [70.5, np.nan, 81.25],
        "HEIGHTBL": [170.2, 180.0, np.nan],
        "TRTSDT": [dt.date(2020, 1, 2), None, dt.date(1959, 12, 31)],
        "TRTSDTM": ["2020-01-02T09:04:27", "", "1960-01-01T00:00:01"],
        "TRTSTM": [dt.time(9, 4, 27), None, dt.time(0, 0, 0)],
        "RFSTDTC": ["2020-01-02", "", "2020-01"],
    })
    dataset = Dataset(name="ADSL", label="Subject-Level Analysis Dataset", keys=("USUBJID",), variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text"),
        Variable("SEX", "Sex", "text", length=2),
        Variable("AGE", "Age", "integer"),
        Variable("WEIGHTBL", "Weight (kg) at Baseline", "float", display_format="8.2", significant_digits=2),
        Variable("HEIGHTBL", "Height (cm) at Baseline", "float"),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "integer", display_format="DATE9."),
        Variable("TRTSDTM", "Datetime of First Exposure to Treatment", "integer", display_format="DATETIME20."),
        Variable("TRTSTM", "Time of First Exposure to Treatment", "integer", display_format="TIME8."),
        Variable("RFSTDTC", "Subject Reference Start Date/Time", "datetime"),
    ])
    return frame, dataset


@pytest.fixture(scope="module")
def validator():
    import jsonschema
    schema_path = reference_file("dataset-json-1.1/schema/dataset.schema.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def test_json_file_is_valid_against_the_dataset_json_schema(tmp_path, validator):
    frame, dataset = adsl()
    path = write_dataset_json(frame, dataset, tmp_path / "adsl.json", **OIDS)
    document = json.loads(path.read_text(encoding="utf-8"))
    errors = sorted(validator.iter_errors(document), key=str)
    assert errors == []


def test_schema_check_can_fail(validator):
    assert list(validator.iter_errors({"datasetJSONVersion": "1.0.0", "columns": [{"name": "A"}]}))


def test_ndjson_first_line_is_valid_metadata_and_each_other_line_a_row(tmp_path, validator):
    frame, dataset = adsl()
    path = write_dataset_json(frame, dataset, tmp_path / "adsl.ndjson", **OIDS)
    lines = path.read_text(encoding="utf-8").splitlines()
    meta = json.loads(lines[0])
    assert "rows" not in meta
    assert list(validator.iter_errors(meta)) == []
    rows = [json.loads(line) for line in lines[1:]]
    assert len(rows) == meta["records"] == 3
    assert all(isinstance(row, list) and len(row) == len(meta["columns"]) for row in rows)
    whole = json.loads(write_dataset_json(frame, dataset, tmp_path / "adsl.json", **OIDS).read_text())
    assert rows == whole["rows"]
    assert meta == {k: v for k, v in whole.items() if k != "rows"}


def test_top_level_attributes(tmp_path):
    frame, dataset = adsl()
    path = write_dataset_json(frame, dataset, tmp_path / "adsl.json", created=dt.datetime(2025, 3, 28, 14, 5, 9),
                              **OIDS)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == ["datasetJSONCreationDateTime", "datasetJSONVersion", "fileOID", "originator",
                              "sourceSystem", "studyOID", "metaDataVersionOID", "metaDataRef", "itemGroupOID",
                              "records", "name", "label", "columns", "rows"]
    assert document["datasetJSONCreationDateTime"] == "2025-03-28T14:05:09"
    assert document["datasetJSONVersion"] == "1.1.0"
    assert document["fileOID"] == "CDISCCONV01/MDV.CDISCCONV01.ADaMIG.1.3/ADSL"
    assert document["originator"] == "cdisc-convert"
    assert document["sourceSystem"]["name"] == "cdisc-convert" and document["sourceSystem"]["version"]
    assert document["studyOID"] == "CDISCCONV01"
    assert document["metaDataVersionOID"] == "MDV.CDISCCONV01.ADaMIG.1.3"
    assert document["metaDataRef"] == "define.xml"
    assert document["itemGroupOID"] == "IG.ADSL"
    assert (document["records"], document["name"], document["label"]) == (3, "ADSL", "Subject-Level Analysis Dataset")


def test_columns_and_values_follow_dataset_json_types(tmp_path):
    frame, dataset = adsl()
    document = json.loads(write_dataset_json(frame, dataset, tmp_path / "adsl.json", **OIDS).read_text())
    columns = {c["name"]: c for c in document["columns"]}
    assert [c["name"] for c in document["columns"]] == dataset.variable_names
    assert columns["USUBJID"] == {"itemOID": "IT.ADSL.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier",
                                  "dataType": "string", "length": 6, "keySequence": 1}
    assert columns["SEX"]["length"] == 2  # the metadata's fixed length
    assert columns["AGE"] == {"itemOID": "IT.ADSL.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}
    assert (columns["WEIGHTBL"]["dataType"], columns["WEIGHTBL"]["targetDataType"]) == ("decimal", "decimal")
    assert columns["HEIGHTBL"]["dataType"] == "float" and "targetDataType" not in columns["HEIGHTBL"]
    for name, kind, fmt in [("TRTSDT", "date", "DATE9."), ("TRTSDTM", "datetime", "DATETIME20."),
                            ("TRTSTM", "time", "TIME8.")]:
        assert (columns[name]["dataType"], columns[name]["targetDataType"], columns[name]["displayFormat"]) == \
            (kind, "integer", fmt)
        assert "length" not in columns[name]
    assert columns["RFSTDTC"]["dataType"] == "datetime" and "length" not in columns["RFSTDTC"]
    rows = document["rows"]
    by_name = {name: [row[i] for row in rows] for i, name in enumerate(dataset.variable_names)}
    assert by_name["SEX"] == ["F", None, "M"]
    assert by_name["AGE"] == [34, None, 51] and all(type(v) is int for v in by_name["AGE"] if v is not None)
    assert by_name["WEIGHTBL"] == ["70.5", None, "81.25"]
    assert by_name["HEIGHTBL"] == [170.2, 180.0, None]
    assert by_name["TRTSDT"] == ["2020-01-02", None, "1959-12-31"]
    assert by_name["TRTSDTM"] == ["2020-01-02T09:04:27", None, "1960-01-01T00:00:01"]
    assert by_name["TRTSTM"] == ["09:04:27", None, "00:00:00"]
    assert by_name["RFSTDTC"] == ["2020-01-02", "", "2020-01"]


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_same_input_gives_identical_bytes(tmp_path, suffix):
    frame, dataset = adsl()
    first = write_dataset_json(frame, dataset, tmp_path / f"a{suffix}", **OIDS).read_bytes()
    second = write_dataset_json(frame.copy(), dataset, tmp_path / f"b{suffix}", **OIDS).read_bytes()
    assert first == second
    assert b"1970-01-01T00:00:00" in first  # fixed default, not the clock


def test_sas_numbers_and_python_dates_give_the_same_file(tmp_path):
    frame, dataset = adsl()
    reference = write_dataset_json(frame, dataset, tmp_path / "a.json", **OIDS).read_bytes()
    frame["TRTSDT"] = [21916.0, np.nan, -1.0]
    frame["TRTSTM"] = [32667.0, np.nan, 0.0]
    assert write_dataset_json(frame, dataset, tmp_path / "b.json", **OIDS).read_bytes() == reference


def test_fractional_value_in_integer_variable_is_an_error_and_leaves_no_file(tmp_path):
    frame, dataset = adsl()
    frame["AGE"] = [34, 51.5, None]
    with pytest.raises(TransportError, match=r"variable AGE, row 2: .*51\.5"):
        write_dataset_json(frame, dataset, tmp_path / "adsl.json", **OIDS)
    assert list(tmp_path.iterdir()) == []


def test_missing_column_is_an_error(tmp_path):
    frame, dataset = adsl()
    with pytest.raises(TransportError, match="lacks columns for variables SEX"):
        write_dataset_json(frame.drop(columns=["SEX"]), dataset, tmp_path / "adsl.json", **OIDS)


# --- the CDISC SEND examples: XPT read by us, written by us, equals the shipped Dataset-JSON -----------

def _send(name: str) -> tuple[Path, dict]:
    xpt, shipped = SEND / f"{name}.xpt", SEND / f"{name}.json"
    return xpt, json.loads(shipped.read_text(encoding="utf-8"))


DEFINE_TYPES = {"string": "text", "datetime": "datetime", "date": "date", "integer": "integer", "float": "float"}


@pytest.mark.parametrize("name", ["dm", "ex", "ts"])
def test_send_example_xpt_to_dataset_json_matches_the_shipped_file(tmp_path, validator, name):
    xpt, shipped = _send(name)
    frame, dataset = read_xpt(xpt)
    # XPT does not carry what Define-XML says: the dataset label (empty in these files), keys, the
    # Define data type of ISO 8601 text and integer vs float.  Take those from the shipped metadata,
    # as the define would supply them; names, labels, lengths and values come from the XPT.
    dataset.label = shipped["label"]
    for column in shipped["columns"]:
        var = dataset.variable(column["name"])
        var.data_type = DEFINE_TYPES[column["dataType"]]
        var.key_sequence = column.get("keySequence")
    path = write_dataset_json(frame, dataset, tmp_path / f"{name}.json", study_oid=shipped["studyOID"],
                              metadata_version_oid=shipped["metaDataVersionOID"])
    ours = json.loads(path.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(ours)) == []
    assert ours["columns"] == shipped["columns"]
    assert ours["records"] == shipped["records"]
    assert (ours["name"], ours["itemGroupOID"]) == (shipped["name"], shipped["itemGroupOID"])
    assert ours["rows"] == shipped["rows"]


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_each_row_is_written_exactly_as_encoding_that_row_alone_would(tmp_path, monkeypatch, suffix):
    import converters.writers.dataset_json as writer

    monkeypatch.setattr(writer, "_ROWS_PER_STEP", 2)  # rows are assembled in steps: cross their boundaries
    frame = pd.DataFrame({"T": ['say "hi"', None, "Ünïcode ☃", 'say "hi"', "tab\t"],
                          "N": [0.0, -0.0, np.nan, 1e300, 0.0], "I": pd.array([1, None, -2, 1, 3], dtype="Int64")})
    dataset = Dataset(name="XX", label="X", variables=[Variable("T", "Text", "text"), Variable("N", "Number", "float"),
                                                       Variable("I", "Count", "integer")])
    path = write_dataset_json(frame, dataset, tmp_path / f"xx{suffix}", **OIDS)
    expected = [['say "hi"', 0.0, 1], [None, -0.0, None], ["Ünïcode ☃", None, -2], ['say "hi"', 1e300, 1],
                ["tab\t", 0.0, 3]]
    lines = [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in expected]
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        assert text.endswith(',"rows":[\n' + ",\n".join(lines) + "\n]}\n")
    else:
        assert text.splitlines()[1:] == lines


@pytest.mark.parametrize("var, values, expected", [
    (Variable("N", "Count", "integer"), [1.0, 2.0, 1.0, 2.5, 2.5], "row 4"),
    (Variable("T", "Time", "integer", display_format="TIME8."), [60.0, 60.0, 90000.0, 90000.0], "row 3"),
    (Variable("D", "Day", "integer", display_format="DATE9."), [1.0, None, 1.5, 1.5], "row 3"),
])
def test_values_checked_once_per_distinct_value_name_their_first_record(tmp_path, var, values, expected):
    frame = pd.DataFrame({var.name: values})
    with pytest.raises(TransportError) as caught:
        write_dataset_json(frame, Dataset("XX", "X", variables=[var]), tmp_path / "xx.json", **OIDS)
    assert f"variable {var.name}, {expected}" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
