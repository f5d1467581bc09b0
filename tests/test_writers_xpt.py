"""XPT v5 writer: transport rules, numeric dates, deterministic bytes, atomic output.

Files we write are read back by pyreadstat and by pandas' own XPORT reader (an independent
implementation).  The tests marked "pyreadstat fact" show what the underlying library does on
its own, and that our writer does not let it happen.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from xpt_fixtures import read_formats

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.xpt import write_xpt

DEFAULT_STAMP = b"01JAN70:00:00:00"
STAMP_OFFSETS = (144, 160, 464, 480)


def adsl() -> tuple[pd.DataFrame, Dataset]:
    """Three subjects: text, fixed-length text, integer, float, numeric date/datetime/time, ISO text date."""
    frame = pd.DataFrame({
        "USUBJID": ["S1-001", "S1-002", "S1-003"],
        "SEX": ["F", None, "M"],
        "AGE": [34, 51, None],
        "WEIGHTBL": [70.5, np.nan, 81.25],
        "TRTSDT": [dt.date(2020, 1, 2), None, dt.date(1959, 12, 31)],
        "TRTSDTM": ["2020-01-02T09:04:27", "", "1960-01-01T00:00:01"],
        "TRTSTM": [dt.time(9, 4, 27), None, dt.time(0, 0, 0)],
        "RFSTDTC": ["2020-01-02", "", "2020-01"],
    })
    frame["AGE"] = frame["AGE"].astype("Int64")
    dataset = Dataset(name="ADSL", label="Subject-Level Analysis Dataset", variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text", key_sequence=1),
        Variable("SEX", "Sex", "text", length=2),
        Variable("AGE", "Age", "integer", display_format="8."),
        Variable("WEIGHTBL", "Weight (kg) at Baseline", "float", display_format="8.2", significant_digits=2),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "integer", display_format="DATE9."),
        Variable("TRTSDTM", "Datetime of First Exposure to Treatment", "integer", display_format="DATETIME20."),
        Variable("TRTSTM", "Time of First Exposure to Treatment", "integer", display_format="TIME8."),
        Variable("RFSTDTC", "Subject Reference Start Date/Time", "datetime"),
    ])
    return frame, dataset


EXPECTED_TRTSDT = [21916.0, np.nan, -1.0]  # days since 1960-01-01
EXPECTED_TRTSDTM = [21916 * 86400 + 9 * 3600 + 4 * 60 + 27.0, np.nan, 1.0]
EXPECTED_TRTSTM = [9 * 3600 + 4 * 60 + 27.0, np.nan, 0.0]


@pytest.fixture
def written(tmp_path):
    frame, dataset = adsl()
    return write_xpt(frame, dataset, tmp_path / "adsl.xpt"), frame, dataset


def test_pyreadstat_reads_back_values_labels_lengths_and_formats(written):
    path, _, dataset = written
    data, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert meta.table_name == "ADSL"
    assert meta.file_label == "Subject-Level Analysis Dataset"
    assert meta.column_names == dataset.variable_names
    assert meta.column_labels == [v.label for v in dataset.variables]
    assert meta.variable_storage_width == {"USUBJID": 6, "SEX": 2, "AGE": 8, "WEIGHTBL": 8, "TRTSDT": 8,
                                           "TRTSDTM": 8, "TRTSTM": 8, "RFSTDTC": 10}
    formats = read_formats(meta)
    assert formats["TRTSDT"] == "DATE9" and formats["TRTSDTM"] == "DATETIME20" and formats["TRTSTM"] == "TIME8"
    assert formats["WEIGHTBL"] == "8.2"
    assert data["SEX"].tolist() == ["F", "", "M"]  # character missing -> blank
    assert data["AGE"].tolist()[:2] == [34.0, 51.0] and np.isnan(data["AGE"].iloc[2])
    np.testing.assert_array_equal(data["TRTSDT"].to_numpy(), EXPECTED_TRTSDT)
    np.testing.assert_array_equal(data["TRTSDTM"].to_numpy(), EXPECTED_TRTSDTM)
    np.testing.assert_array_equal(data["TRTSTM"].to_numpy(), EXPECTED_TRTSTM)
    assert data["RFSTDTC"].tolist() == ["2020-01-02", "", "2020-01"]


def test_independent_pandas_reader_agrees(written):
    # XPT v5 stores no record count.  pandas infers it by treating every blank 8-byte word of the
    # last 80-byte card as padding, so it drops the last record when that record ends in blanks;
    # the fixture's last record does not, so pandas sees all three.
    path, _, dataset = written
    data = pd.read_sas(path, format="xport", encoding="ascii")
    assert list(data.columns) == dataset.variable_names
    assert data["USUBJID"].tolist() == ["S1-001", "S1-002", "S1-003"]
    assert data["SEX"].tolist() == ["F", "", "M"]
    np.testing.assert_array_equal(data["WEIGHTBL"].to_numpy(), [70.5, np.nan, 81.25])
    np.testing.assert_array_equal(data["TRTSDT"].to_numpy(), EXPECTED_TRTSDT)  # numeric missing is SAS missing
    np.testing.assert_array_equal(data["TRTSDTM"].to_numpy(), EXPECTED_TRTSDTM)
    with pd.read_sas(path, format="xport", iterator=True, encoding=None) as reader:
        fields = {f["name"].decode(): f for f in reader.fields}
        assert reader.member_info["set_name"] == "ADSL"
        assert reader.member_info["label"] == "Subject-Level Analysis Dataset"
        assert reader.member_info["created"] == dt.datetime(1970, 1, 1)
    assert {n: f["label"].decode() for n, f in fields.items()} == {v.name: v.label for v in dataset.variables}
    assert fields["RFSTDTC"]["field_length"] == 10 and fields["SEX"]["field_length"] == 2
    assert (fields["TRTSDT"]["nform"], fields["TRTSDT"]["nfl"]) == (b"DATE", 9)
    assert (fields["TRTSDTM"]["nform"], fields["TRTSDTM"]["nfl"]) == (b"DATETIME", 20)
    assert (fields["WEIGHTBL"]["nfl"], fields["WEIGHTBL"]["num_decimals"]) == (8, 2)


def test_file_is_version_5_with_fixed_header_timestamps(written):
    path, _, _ = written
    raw = path.read_bytes()
    assert raw.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
    for offset in STAMP_OFFSETS:
        assert raw[offset:offset + 16] == DEFAULT_STAMP
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    assert meta.creation_time == meta.modification_time == dt.datetime(1970, 1, 1)


def test_created_argument_sets_header_timestamps(tmp_path):
    frame, dataset = adsl()
    path = write_xpt(frame, dataset, tmp_path / "adsl.xpt", created=dt.datetime(2025, 3, 28, 14, 5, 9))
    raw = path.read_bytes()
    for offset in STAMP_OFFSETS:
        assert raw[offset:offset + 16] == b"28MAR25:14:05:09"
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    assert meta.creation_time == dt.datetime(2025, 3, 28, 14, 5, 9)
    assert meta.modification_time == dt.datetime(2025, 3, 28, 14, 5, 9)


def test_same_input_gives_identical_bytes(tmp_path):
    frame, dataset = adsl()
    first = write_xpt(frame, dataset, tmp_path / "a.xpt").read_bytes()
    second = write_xpt(frame, dataset, tmp_path / "b.xpt").read_bytes()
    assert first == second


@pytest.mark.parametrize("column, values", [
    ("TRTSDT", [21916.0, None, -1.0]),
    ("TRTSDT", ["2020-01-02", None, "1959-12-31"]),
    ("TRTSDT", pd.to_datetime(["2020-01-02", None, "1959-12-31"])),
    ("TRTSDTM", pd.to_datetime(["2020-01-02T09:04:27", None, "1960-01-01T00:00:01"])),
    ("TRTSDTM", [dt.datetime(2020, 1, 2, 9, 4, 27), None, dt.datetime(1960, 1, 1, 0, 0, 1)]),
    ("TRTSTM", ["09:04:27", "", "00:00"]),
    ("TRTSTM", pd.to_timedelta(["09:04:27", None, "00:00:00"])),
])
def test_numeric_dates_accept_every_input_form(tmp_path, column, values):
    frame, dataset = adsl()
    reference = write_xpt(frame, dataset, tmp_path / "ref.xpt").read_bytes()
    frame[column] = list(values) if isinstance(values, list) else values
    assert write_xpt(frame, dataset, tmp_path / "alt.xpt").read_bytes() == reference


def test_column_order_follows_the_variables(tmp_path):
    frame, dataset = adsl()
    reference = write_xpt(frame, dataset, tmp_path / "ref.xpt").read_bytes()
    shuffled = frame[list(reversed(frame.columns))]
    assert write_xpt(shuffled, dataset, tmp_path / "alt.xpt").read_bytes() == reference


def test_empty_dataset_is_written(tmp_path):
    frame, dataset = adsl()
    path = write_xpt(frame.iloc[:0], dataset, tmp_path / "adsl.xpt")
    data, meta = pyreadstat.read_xport(str(path))
    assert len(data) == 0 and meta.column_names == dataset.variable_names
    # no values to size them by: the fixed length holds, free text gets 1
    assert meta.variable_storage_width["SEX"] == 2 and meta.variable_storage_width["USUBJID"] == 1
    with pd.read_sas(path, format="xport", iterator=True, encoding=None) as reader:
        positions = [(f["field_length"], f["npos"]) for f in reader.fields]
    assert positions == [(1, 0), (2, 1), (8, 3), (8, 11), (8, 19), (8, 27), (8, 35), (1, 43)]


# --- transport rules: each violation is a clear error and leaves no file -------------------------

def _break(change):
    frame, dataset = adsl()
    change(frame, dataset)
    return frame, dataset


def _set(frame, column, row, value):
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value


VIOLATIONS = {
    "dataset name lowercase": (lambda f, d: setattr(d, "name", "adsl"), ["'adsl'", "dataset"]),
    "dataset name too long": (lambda f, d: setattr(d, "name", "ADSLXXXXX"), ["ADSLXXXXX"]),
    "dataset name starts with digit": (lambda f, d: setattr(d, "name", "1ADSL"), ["1ADSL"]),
    "variable name too long": (lambda f, d: (setattr(d.variables[2], "name", "AGEATBASE"),
                                             f.insert(2, "AGEATBASE", f.pop("AGE"))),
                               ["variable AGEATBASE", "'AGEATBASE'"]),
    "variable name with dash": (lambda f, d: (setattr(d.variables[2], "name", "AGE-Y"),
                                              f.insert(2, "AGE-Y", f.pop("AGE"))), ["AGE-Y"]),
    "dataset label over 40": (lambda f, d: setattr(d, "label", "L" * 41), ["41 characters", "dataset ADSL"]),
    "variable label over 40": (lambda f, d: setattr(d.variables[1], "label", "Sex of the participant as reported "
                                                    "at screening"), ["variable SEX", "over the XPT v5 limit of 40"]),
    "non-ASCII label": (lambda f, d: setattr(d.variables[3], "label", "Weight (kg) at Baseline \u00b5"),
                        ["variable WEIGHTBL", "non-ASCII", "\u00b5"]),
    "value over 200 bytes": (lambda f, d: _set(f, "USUBJID", 1, "X" * 201),
                             ["variable USUBJID", "row 2", "201 bytes", "XXXX"]),
    "non-ASCII value": (lambda f, d: _set(f, "USUBJID", 2, "S1-\u00e9003"),
                        ["variable USUBJID", "row 3", "'S1-\u00e9003'", "non-ASCII"]),
    "value longer than fixed length": (lambda f, d: _set(f, "SEX", 2, "MALE"),
                                       ["variable SEX", "row 3", "'MALE'", "length 2"]),
    "format not a SAS format": (lambda f, d: setattr(d.variables[4], "display_format", "NOT A FORMAT"),
                                ["variable TRTSDT", "'NOT A FORMAT'"]),
    "format name over 8": (lambda f, d: setattr(d.variables[3], "display_format", "ABCDEFGHIJ9."),
                           ["variable WEIGHTBL", "longer than 8"]),
    "character format on a number": (lambda f, d: setattr(d.variables[3], "display_format", "$8."),
                                     ["variable WEIGHTBL", "numeric"]),
    "missing column": (lambda f, d: f.pop("SEX"), ["lacks", "SEX"]),
    "extra column": (lambda f, d: f.insert(0, "EXTRA", 1), ["not in the dataset metadata", "EXTRA"]),
    "partial date in a numeric date": (lambda f, d: _set(f, "TRTSDT", 1, "2020-01"),
                                       ["variable TRTSDT", "row 2", "'2020-01'"]),
    "time of day in a date": (lambda f, d: _set(f, "TRTSDT", 0, dt.datetime(2020, 1, 2, 9, 0)),
                              ["variable TRTSDT", "row 1", "time of day"]),
    "impossible date": (lambda f, d: _set(f, "TRTSDT", 2, "2020-02-30"), ["row 3", "'2020-02-30'"]),
    "number in a character variable": (lambda f, d: _set(f, "USUBJID", 1, 7), ["variable USUBJID", "row 2", "7"]),
    "text in a numeric variable": (lambda f, d: _set(f, "WEIGHTBL", 0, "heavy"),
                                   ["variable WEIGHTBL", "row 1", "'heavy'"]),
}


@pytest.mark.parametrize("rule", sorted(VIOLATIONS))
def test_transport_rule_violation_is_named_and_leaves_no_file(tmp_path, rule):
    change, expected = VIOLATIONS[rule]
    frame, dataset = _break(change)
    with pytest.raises(TransportError) as caught:
        write_xpt(frame, dataset, tmp_path / "adsl.xpt")
    message = str(caught.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    frame, dataset = adsl()
    path = write_xpt(frame, dataset, tmp_path / "adsl.xpt")
    before = path.read_bytes()
    dataset.label = "L" * 41
    with pytest.raises(TransportError):
        write_xpt(frame, dataset, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["adsl.xpt"]


# --- pyreadstat 1.3.7 facts the writer guards against ------------------------------------------------

def test_pyreadstat_fact_defaults_to_version_8(tmp_path):
    frame = pd.DataFrame({"A": [1.0]})
    pyreadstat.write_xport(frame, str(tmp_path / "raw.xpt"), table_name="DM")
    assert b"LIBV8" in (tmp_path / "raw.xpt").read_bytes()[:80]
    ours = write_xpt(frame, Dataset("DM", "Demographics", variables=[Variable("A", "A", "float")]),
                     tmp_path / "ours.xpt")
    assert ours.read_bytes()[:80].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")


def test_pyreadstat_fact_truncates_long_labels_silently(tmp_path):
    label = "Date/Time of First Study Treatment Given Here"  # 45 characters
    pyreadstat.write_xport(pd.DataFrame({"A": [1.0]}), str(tmp_path / "raw.xpt"), table_name="DM",
                           column_labels=[label], file_format_version=5)
    _, meta = pyreadstat.read_xport(str(tmp_path / "raw.xpt"))
    assert meta.column_labels == [label[:40]]
    with pytest.raises(TransportError, match="45 characters"):
        write_xpt(pd.DataFrame({"A": [1.0]}), Dataset("DM", "Demographics", variables=[Variable("A", label, "float")]),
                  tmp_path / "ours.xpt")


def test_pyreadstat_fact_writes_values_over_200_bytes(tmp_path):
    frame = pd.DataFrame({"A": ["x" * 300]})
    pyreadstat.write_xport(frame, str(tmp_path / "raw.xpt"), table_name="DM", file_format_version=5)
    _, meta = pyreadstat.read_xport(str(tmp_path / "raw.xpt"))
    assert meta.variable_storage_width == {"A": 300}
    with pytest.raises(TransportError, match="300 bytes"):
        write_xpt(frame, Dataset("DM", "Demographics", variables=[Variable("A", "A")]), tmp_path / "ours.xpt")


def test_pyreadstat_fact_leaves_empty_file_when_refusing_a_name(tmp_path):
    with pytest.raises(Exception, match="name is too long"):
        pyreadstat.write_xport(pd.DataFrame({"TOOLONGNAME": [1.0]}), str(tmp_path / "raw.xpt"), table_name="DM",
                               file_format_version=5)
    assert (tmp_path / "raw.xpt").stat().st_size == 0
    (tmp_path / "raw.xpt").unlink()
    with pytest.raises(TransportError, match="TOOLONGNAME"):
        write_xpt(pd.DataFrame({"TOOLONGNAME": [1.0]}),
                  Dataset("DM", "Demographics", variables=[Variable("TOOLONGNAME", "A", "float")]),
                  tmp_path / "ours.xpt")
    assert list(tmp_path.iterdir()) == []


def test_pyreadstat_fact_writes_datetime64_as_datetime_even_with_date_format(tmp_path):
    frame = pd.DataFrame({"D": pd.to_datetime(["2020-01-02"])})
    pyreadstat.write_xport(frame, str(tmp_path / "raw.xpt"), table_name="DM", file_format_version=5,
                           variable_format={"D": "DATE9."})
    raw, _ = pyreadstat.read_xport(str(tmp_path / "raw.xpt"), disable_datetime_conversion=True)
    assert raw["D"].iloc[0] == 21916 * 86400  # seconds, although the format says days
    ours = write_xpt(frame, Dataset("DM", "Demographics", variables=[Variable("D", "D", "integer",
                                                                              display_format="DATE9.")]),
                     tmp_path / "ours.xpt")
    data, _ = pyreadstat.read_xport(str(ours), disable_datetime_conversion=True)
    assert data["D"].iloc[0] == 21916


def test_pyreadstat_fact_stores_format_strings_unchecked(tmp_path):
    pyreadstat.write_xport(pd.DataFrame({"A": [1.0]}), str(tmp_path / "raw.xpt"), table_name="DM",
                           file_format_version=5, variable_format={"A": "ABCDEFGHIJ9."})
    _, meta = pyreadstat.read_xport(str(tmp_path / "raw.xpt"))
    assert read_formats(meta) == {"A": "ABCDEFGH9"}  # name cut to 8 without a word
    with pytest.raises(Exception, match="format string could not be understood"):
        pyreadstat.write_xport(pd.DataFrame({"A": [1.0]}), str(tmp_path / "bad.xpt"), table_name="DM",
                               file_format_version=5, variable_format={"A": "NOT A FORMAT"})
    assert (tmp_path / "bad.xpt").stat().st_size > 0  # a partial file is left behind


def test_pyreadstat_fact_stamps_header_with_the_clock(tmp_path):
    pyreadstat.write_xport(pd.DataFrame({"A": [1.0]}), str(tmp_path / "raw.xpt"), table_name="DM",
                           file_format_version=5)
    stamp = (tmp_path / "raw.xpt").read_bytes()[144:160]
    assert stamp != DEFAULT_STAMP
    assert dt.datetime.strptime(stamp.decode().title(), "%d%b%y:%H:%M:%S").year >= 2024


def test_categorical_and_nullable_columns_write_like_plain_ones(tmp_path):
    frame, dataset = adsl()
    reference = write_xpt(frame, dataset, tmp_path / "ref.xpt").read_bytes()
    frame["SEX"] = frame["SEX"].astype("category")
    frame["WEIGHTBL"] = frame["WEIGHTBL"].astype("Float64")
    frame["USUBJID"] = frame["USUBJID"].astype("string")
    assert write_xpt(frame, dataset, tmp_path / "alt.xpt").read_bytes() == reference


def test_text_lengths_are_measured_in_utf8_bytes_not_characters():
    from converters.writers.transport import byte_lengths

    assert byte_lengths(pd.Series(["AB", None, ""], dtype=object)).tolist() == [2, 0, 0]
    assert byte_lengths(pd.Series(["é", "AB", "☃", None, "é"], dtype=object)).tolist() == [2, 2, 3, 0, 2]
    assert byte_lengths(pd.Series([], dtype=object)).tolist() == []
