"""Readers of XPT and Dataset-JSON: the same frame from both formats, metadata back, clear errors."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from conftest import SEND_EXAMPLES, reference_file

from converters.errors import DataError
from converters.metadata.model import Dataset, Variable
from converters.readers.dataset_json import read_dataset_json
from converters.readers.xpt import read_xpt
from converters.writers.dataset_json import write_dataset_json
from converters.writers.transport import normalize_transport_frame
from converters.writers.xpt import write_xpt

SEND = reference_file(SEND_EXAMPLES)
OIDS = {"study_oid": "CDISCCONV01", "metadata_version_oid": "MDV.1"}


def adae() -> tuple[pd.DataFrame, Dataset]:
    frame = pd.DataFrame({
        "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "AESEQ": [1, 2, 1],
        "AETERM": ["HEADACHE", "", "NAUSEA"],
        "AESTDTC": ["2020-01-03T10:00", "2020-01", ""],
        "ASTDT": pd.to_datetime(["2020-01-03", None, "2020-02-29"]),
        "ASTDTM": pd.to_datetime(["2020-01-03T10:00:00", None, None]),
        "ASTTM": ["10:00:00", None, "23:59:59"],
        "ADURN": [1.5, np.nan, 0.25],
    })
    dataset = Dataset(name="ADAE", label="Adverse Events Analysis Dataset", keys=("USUBJID", "AESEQ"), variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text", key_sequence=1),
        Variable("AESEQ", "Sequence Number", "integer", key_sequence=2),
        Variable("AETERM", "Reported Term for the Adverse Event", "text", length=20),
        Variable("AESTDTC", "Start Date/Time of Adverse Event", "datetime"),
        Variable("ASTDT", "Analysis Start Date", "integer", display_format="DATE9."),
        Variable("ASTDTM", "Analysis Start Date/Time", "integer", display_format="DATETIME20."),
        Variable("ASTTM", "Analysis Start Time", "integer", display_format="TIME8."),
        Variable("ADURN", "Analysis Duration (N)", "float", significant_digits=2),
    ])
    return frame, dataset


def test_xpt_and_dataset_json_give_the_same_frame(tmp_path):
    frame, dataset = adae()
    from_xpt, meta_xpt = read_xpt(write_xpt(frame, dataset, tmp_path / "adae.xpt"))
    from_json, meta_json = read_dataset_json(write_dataset_json(frame, dataset, tmp_path / "adae.json", **OIDS))
    from_ndjson, _ = read_dataset_json(write_dataset_json(frame, dataset, tmp_path / "adae.ndjson", **OIDS))
    expected = normalize_transport_frame(frame, dataset)
    pdt.assert_frame_equal(normalize_transport_frame(from_xpt, meta_xpt), expected)
    pdt.assert_frame_equal(normalize_transport_frame(from_json, meta_json), expected)
    pdt.assert_frame_equal(normalize_transport_frame(from_ndjson, meta_json), expected)
    # numeric dates are SAS numbers in both
    np.testing.assert_array_equal(from_xpt["ASTDT"].to_numpy(), [21917.0, np.nan, 21974.0])
    np.testing.assert_array_equal(from_json["ASTDT"].to_numpy(), [21917.0, np.nan, 21974.0])
    np.testing.assert_array_equal(from_json["ASTTM"].to_numpy(), [36000.0, np.nan, 86399.0])
    assert from_xpt["AETERM"].tolist() == from_json["AETERM"].tolist() == ["HEADACHE", "", "NAUSEA"]


def test_normalisation_tells_different_data_apart(tmp_path):
    frame, dataset = adae()
    from_json, meta_json = read_dataset_json(write_dataset_json(frame, dataset, tmp_path / "adae.json", **OIDS))
    changed = frame.copy()
    changed.loc[2, "ASTDT"] = pd.Timestamp("2020-03-01")
    with pytest.raises(AssertionError):
        pdt.assert_frame_equal(normalize_transport_frame(from_json, meta_json),
                               normalize_transport_frame(changed, dataset))


def test_xpt_metadata_comes_back(tmp_path):
    frame, dataset = adae()
    _, meta = read_xpt(write_xpt(frame, dataset, tmp_path / "adae.xpt"))
    assert (meta.name, meta.label, meta.records) == ("ADAE", "Adverse Events Analysis Dataset", 3)
    got = {v.name: (v.label, v.data_type, v.length, v.display_format) for v in meta.variables}
    assert got == {
        "USUBJID": ("Unique Subject Identifier", "text", 6, None),
        "AESEQ": ("Sequence Number", "integer", None, None),
        "AETERM": ("Reported Term for the Adverse Event", "text", 20, None),
        "AESTDTC": ("Start Date/Time of Adverse Event", "text", 16, None),
        "ASTDT": ("Analysis Start Date", "integer", None, "DATE9."),
        "ASTDTM": ("Analysis Start Date/Time", "integer", None, "DATETIME20."),
        "ASTTM": ("Analysis Start Time", "integer", None, "TIME8."),
        "ADURN": ("Analysis Duration (N)", "float", None, None),
    }
    assert meta.variable("ASTDT").temporal_kind == "date"


def test_dataset_json_metadata_comes_back(tmp_path):
    frame, dataset = adae()
    _, meta = read_dataset_json(write_dataset_json(frame, dataset, tmp_path / "adae.json", **OIDS))
    assert (meta.name, meta.label, meta.records, meta.keys) == ("ADAE", "Adverse Events Analysis Dataset", 3,
                                                                ("USUBJID", "AESEQ"))
    got = {v.name: (v.data_type, v.length, v.display_format, v.key_sequence) for v in meta.variables}
    assert got == {
        "USUBJID": ("text", 6, None, 1),
        "AESEQ": ("integer", None, None, 2),
        "AETERM": ("text", 20, None, None),
        "AESTDTC": ("datetime", None, None, None),
        "ASTDT": ("integer", None, "DATE9.", None),
        "ASTDTM": ("integer", None, "DATETIME20.", None),
        "ASTTM": ("integer", None, "TIME8.", None),
        "ADURN": ("float", None, None, None),
    }
    assert meta.variable("ADURN").significant_digits == 2  # decimal text "0.25" -> two decimals
    assert [v.label for v in meta.variables] == [v.label for v in dataset.variables]


def test_read_then_write_gives_the_same_bytes(tmp_path):
    frame, dataset = adae()
    first_json = write_dataset_json(frame, dataset, tmp_path / "a.json", **OIDS)
    again, meta = read_dataset_json(first_json)
    second_json = write_dataset_json(again, meta, tmp_path / "b.json", **OIDS)
    assert first_json.read_bytes() == second_json.read_bytes()
    first_xpt = write_xpt(frame, dataset, tmp_path / "a.xpt")
    again, meta = read_xpt(first_xpt)
    assert write_xpt(again, meta, tmp_path / "b.xpt").read_bytes() == first_xpt.read_bytes()


@pytest.mark.parametrize("name", ["dm", "ex", "ts"])
def test_send_example_xpt_and_shipped_json_read_alike(name):
    xpt, shipped = SEND / f"{name}.xpt", SEND / f"{name}.json"
    from_xpt, meta_xpt = read_xpt(xpt)
    from_json, meta_json = read_dataset_json(shipped)
    assert meta_xpt.variable_names == meta_json.variable_names
    assert [v.label for v in meta_xpt.variables] == [v.label for v in meta_json.variables]
    pdt.assert_frame_equal(normalize_transport_frame(from_xpt, meta_xpt),
                           normalize_transport_frame(from_json, meta_json))


def test_shipped_ndjson_reads_like_the_json():
    frame_nd, meta_nd = read_dataset_json(SEND / "dm.ndjson")
    frame_js, meta_js = read_dataset_json(SEND / "dm.json")
    pdt.assert_frame_equal(frame_nd, frame_js)
    assert meta_nd == meta_js


# --- errors name the file ---------------------------------------------------------------------------

@pytest.mark.parametrize("reader, suffix", [(read_xpt, ".xpt"), (read_dataset_json, ".json"),
                                            (read_dataset_json, ".ndjson")])
def test_missing_file_is_a_data_error_naming_the_file(tmp_path, reader, suffix):
    path = tmp_path / f"nothere{suffix}"
    with pytest.raises(DataError, match=f"nothere{suffix}.*not found"):
        reader(path)


@pytest.mark.parametrize("reader, suffix, content", [
    (read_xpt, ".xpt", b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"garbage"),
    (read_xpt, ".xpt", b"this is not a transport file at all" * 10),
    (read_dataset_json, ".json", b'{"columns": [ {"name": '),
    (read_dataset_json, ".json", b'[1, 2, 3]'),
    (read_dataset_json, ".ndjson", b'{"columns": []}\n[1, \n'),
])
def test_corrupt_file_is_a_data_error_naming_the_file(tmp_path, reader, suffix, content):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"broken{suffix}"):
        reader(path)


def test_truncated_dataset_json_is_reported(tmp_path):
    frame, dataset = adae()
    path = write_dataset_json(frame, dataset, tmp_path / "adae.json", **OIDS)
    document = json.loads(path.read_text())
    document["rows"] = document["rows"][:2]
    path.write_text(json.dumps(document))
    with pytest.raises(DataError, match="records says 3 but the file holds 2 rows"):
        read_dataset_json(path)


def test_bad_iso_date_in_numeric_date_column_names_row(tmp_path):
    frame, dataset = adae()
    path = write_dataset_json(frame, dataset, tmp_path / "adae.json", **OIDS)
    document = json.loads(path.read_text())
    document["rows"][1][4] = "2020-13-45"
    path.write_text(json.dumps(document))
    with pytest.raises(DataError, match=r"adae\.json, dataset ADAE, variable ASTDT, row 2"):
        read_dataset_json(path)


def test_python_times_and_dates_normalise_to_sas_numbers():
    dataset = Dataset("X", "X", variables=[Variable("D", "D", "integer", display_format="DATE9."),
                                           Variable("T", "T", "integer", display_format="TIME8.")])
    frame = pd.DataFrame({"D": [dt.date(1960, 1, 1), None], "T": [dt.time(0, 1, 0), None]})
    normal = normalize_transport_frame(frame, dataset)
    assert normal["D"].tolist()[0] == 0.0 and np.isnan(normal["D"].iloc[1])
    assert normal["T"].tolist()[0] == 60.0


def test_numeric_date_with_any_display_format_becomes_a_sas_number(tmp_path):
    document = {"datasetJSONCreationDateTime": "2025-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
                "itemGroupOID": "IG.ADSL", "records": 1, "name": "ADSL", "label": "ADSL",
                "columns": [{"itemOID": "IT.ADSL.TRTSDT", "name": "TRTSDT", "label": "Start", "dataType": "date",
                             "targetDataType": "integer", "displayFormat": "E8601DA10."}],
                "rows": [["1960-01-11"]]}
    path = tmp_path / "adsl.json"
    path.write_text(json.dumps(document))
    frame, meta = read_dataset_json(path)
    assert frame["TRTSDT"].tolist() == [10.0]
    assert meta.variable("TRTSDT").display_format == "E8601DA10."
