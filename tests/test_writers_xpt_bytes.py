"""The numpy XPT v5 writer: the bytes pyreadstat wrote, and edge values two independent readers read back.

The judge of the bytes is the writer we used before, reproduced here (:func:`pyreadstat_xpt`:
pyreadstat 1.3.7 ``write_xport`` on the checked frame, then the header stamps and the lengths of
an empty member fixed).  Where pyreadstat is right the bytes must be the same; where it is wrong
(numbers from 2**249 on, special missing values it cannot write) a "pyreadstat fact" test shows it.
The readers are pyreadstat ``read_xport`` and pandas ``read_sas`` (an implementation of its own).
"""
from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from xpt_fixtures import read_formats

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.dataset_json import write_dataset_json
from converters.writers.ibm import IBM_LIMIT, IBM_MIN
from converters.writers.text_facts import dataset_text_facts
from converters.writers.xpt import DEFAULT_CREATED, check_xpt, write_xpt, xpt_timestamp

LARGEST = float(np.nextafter(IBM_LIMIT, 0))  # the largest double an IBM double carries


def pyreadstat_xpt(frame: pd.DataFrame, dataset: Dataset, path: Path) -> bytes:
    """The bytes of the writer before this one: pyreadstat ``write_xport`` on the approved frame, then fixed."""
    plan = check_xpt(frame, dataset)
    data = plan.frame
    for var in dataset.variables:  # pyreadstat sizes text by its longest value: pad one value to the length
        if not var.is_numeric and len(data) and data[var.name].str.len().max() < plan.lengths[var.name]:
            data.loc[0, var.name] = data.loc[0, var.name].ljust(plan.lengths[var.name])
    pyreadstat.write_xport(data, str(path), file_label=dataset.label or "", column_labels=plan.labels,
                           table_name=dataset.name, file_format_version=5, variable_format=plan.formats or None)
    raw = bytearray(path.read_bytes())
    stamp = xpt_timestamp(DEFAULT_CREATED)
    for offset in (144, 160, 464, 480):
        raw[offset:offset + 16] = stamp
    if not len(data):  # no records: only the NAMESTR records hold lengths and positions
        position = 0
        for index, var in enumerate(dataset.variables):
            record = 640 + 140 * index
            raw[record + 4:record + 6] = plan.lengths[var.name].to_bytes(2, "big")
            raw[record + 84:record + 88] = position.to_bytes(4, "big")
            position += plan.lengths[var.name]
    return bytes(raw)


def random_dataset(seed: int, records: int) -> tuple[pd.DataFrame, Dataset]:
    """Text of every printable ASCII character and length 0-200, fixed lengths, numbers of every magnitude."""
    rng = np.random.default_rng(seed)
    alphabet = np.array(list(string.ascii_letters + string.digits + string.punctuation + " "))

    def texts(longest: int, distinct: int) -> list[str | None]:
        pool = ["".join(rng.choice(alphabet, rng.integers(0, longest + 1))) for _ in range(distinct)] + [None, ""]
        return [pool[i] for i in rng.integers(0, len(pool), records)]

    mantissas = rng.uniform(-1, 1, records)
    numbers = np.ldexp(mantissas, rng.integers(-259, 249, records))  # pyreadstat is right below 2**249
    numbers[rng.random(records) < 0.1] = np.nan
    numbers[rng.random(records) < 0.05] = 0.0
    frame = pd.DataFrame({
        "USUBJID": [f"S{seed:02d}-{i:05d}" for i in range(records)],
        "FREE": texts(200, max(1, records // 3)),
        "CODE": texts(8, 5),
        "FIXED": texts(12, 4),
        "NUM": numbers,
        "INT": rng.integers(-10**6, 10**6, records).astype(float),
        "DAY": rng.integers(-3000, 30000, records).astype(float),
        "SECS": rng.integers(0, 86400, records).astype(float),
    })
    dataset = Dataset(name=f"RND{seed}", label=f"Random data set {seed}", variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text"),
        Variable("FREE", "Free text up to 200 bytes", "text"),
        Variable("CODE", "Short code", "text", display_format="$8."),
        Variable("FIXED", "Fixed length text", "text", length=20),
        Variable("NUM", "Any number", "float", display_format="BEST12."),
        Variable("INT", "Whole number", "integer", display_format="8."),
        Variable("DAY", "A date", "integer", display_format="DATE9."),
        Variable("SECS", "A time", "integer", display_format="TIME8."),
    ])
    return frame, dataset


@pytest.mark.parametrize("seed, records", [(1, 0), (2, 1), (3, 2), (4, 7), (5, 150), (6, 2000)])
def test_bytes_are_those_pyreadstat_wrote(tmp_path, seed, records):
    frame, dataset = random_dataset(seed, records)
    ours = write_xpt(frame, dataset, tmp_path / "ours.xpt").read_bytes()
    assert ours == pyreadstat_xpt(frame, dataset, tmp_path / "judge.xpt")


def test_blocks_and_per_block_text_cells_give_the_same_bytes(tmp_path, monkeypatch):
    import converters.writers.xpt as writer

    frame, dataset = random_dataset(7, 1000)
    reference = write_xpt(frame, dataset, tmp_path / "ref.xpt").read_bytes()
    monkeypatch.setattr(writer, "_BLOCK_BYTES", 1000)  # a few records per block: cross their boundaries
    monkeypatch.setattr(writer, "_TABLE_BYTES", 0)  # text cells made per block, not from a table
    assert write_xpt(frame, dataset, tmp_path / "alt.xpt").read_bytes() == reference


def test_shared_text_facts_give_the_same_bytes(tmp_path):
    frame, dataset = random_dataset(8, 300)
    facts = dataset_text_facts(frame, dataset)
    assert write_xpt(frame, dataset, tmp_path / "a.xpt", facts=facts).read_bytes() == \
        write_xpt(frame, dataset, tmp_path / "b.xpt").read_bytes()
    oids = {"study_oid": "S", "metadata_version_oid": "M"}
    for suffix in (".json", ".ndjson"):
        assert write_dataset_json(frame, dataset, tmp_path / f"a{suffix}", facts=facts, **oids).read_bytes() == \
            write_dataset_json(frame, dataset, tmp_path / f"b{suffix}", **oids).read_bytes()
    stale = dataset_text_facts(frame.iloc[:10], dataset)  # measured on another frame: not used
    assert write_xpt(frame, dataset, tmp_path / "c.xpt", facts=stale).read_bytes() == \
        (tmp_path / "a.xpt").read_bytes()


# --- edge values, read back by two readers ------------------------------------------------------------

def one_column(values: list[object], data_type: str = "float", display_format: str | None = None
               ) -> tuple[pd.DataFrame, Dataset]:
    """One column of values, then a column of 1.0 so no record ends in blanks (see the pandas note below)."""
    frame = pd.DataFrame({"X": pd.Series(values, dtype=object), "LAST": 1.0})
    dataset = Dataset(name="EDGE", label="Edge values", variables=[
        Variable("X", "Value", data_type, display_format=display_format), Variable("LAST", "Last", "float")])
    return frame, dataset


def read_both(path: Path, **options: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file as pyreadstat and as pandas read it.

    pandas infers the record count by treating blank 8-byte words at the end as padding, so it
    would drop a last record that ends in blanks; the test frames end in a number.
    """
    by_pyreadstat, _ = pyreadstat.read_xport(str(path), **options)
    by_pandas = pd.read_sas(path, format="xport", encoding="ascii")
    return by_pyreadstat, by_pandas


def cell(path: Path, record: int, width: int = 8) -> bytes:
    """Bytes of the first value of a record (records follow the OBS header; the last variable is 8 bytes)."""
    raw = path.read_bytes()
    start = raw.index(b"HEADER RECORD*******OBS     HEADER RECORD") + 80 + record * (width + 8)
    return raw[start:start + width]


NUMBERS = [1.0, -1.0, 0.1, -2.5, np.pi, 1 / 3, 2.0 ** 53 + 2, 123456789.123, 1e-5, 6.02214076e23,
           IBM_MIN, -IBM_MIN, IBM_MIN * 1.5, LARGEST, -LARGEST, 2.0 ** 249, 1e75, -7.2e75]


def test_numbers_of_every_magnitude_read_back_exactly(tmp_path):
    rng = np.random.default_rng(17)
    spread = list(np.ldexp(rng.uniform(0.5, 1, 500) * rng.choice([-1, 1], 500), rng.integers(-259, 253, 500)))
    frame, dataset = one_column(NUMBERS + spread)
    path = write_xpt(frame, dataset, tmp_path / "edge.xpt")
    by_pyreadstat, by_pandas = read_both(path)
    expected = np.array(NUMBERS + spread, dtype=float)
    np.testing.assert_array_equal(by_pyreadstat["X"].to_numpy(), expected)
    np.testing.assert_array_equal(by_pandas["X"].to_numpy(), expected)
    assert cell(path, 0) == bytes.fromhex("4110000000000000")  # 1.0 = 1/16 * 16**1
    assert cell(path, 10) == bytes.fromhex("0010000000000000")  # 16**-65: exponent 0, fraction 1/16
    assert cell(path, 13) == bytes.fromhex("7ffffffffffffff8")  # the largest double below 16**63


def test_zeros_and_numbers_below_the_ibm_range_are_written_as_zero(tmp_path):
    values = [0.0, -0.0, IBM_MIN / 2, -1e-300, 5e-324]
    frame, dataset = one_column(values)
    path = write_xpt(frame, dataset, tmp_path / "zero.xpt")
    for record in range(len(values)):
        assert cell(path, record) == bytes(8)  # IBM zero has no sign (TS-140 writes -0.0 as 0)
    by_pyreadstat, by_pandas = read_both(path)
    assert by_pyreadstat["X"].tolist() == [0.0] * len(values)
    assert not np.signbit(by_pyreadstat["X"].to_numpy()).any()
    # pandas fact (pandas-dev/pandas#50670, open): read_sas reads the IBM zero as 16**-65.
    assert by_pandas["X"].tolist() == [IBM_MIN] * len(values)


def test_missing_and_special_missing_values(tmp_path):
    values = [None, np.nan, ".", ".A", ".Z", "._", " .B ", 2.5]
    frame, dataset = one_column(values)
    path = write_xpt(frame, dataset, tmp_path / "missing.xpt")
    first_bytes = [b".", b".", b".", b"A", b"Z", b"_", b"B"]
    for record, first in enumerate(first_bytes):
        assert cell(path, record) == first + bytes(7)
    by_pyreadstat, by_pandas = read_both(path)
    for data in (by_pyreadstat, by_pandas):
        assert data["X"].isna().tolist() == [True] * 7 + [False]
        assert data["X"].iloc[7] == 2.5
    document = write_dataset_json(frame, dataset, tmp_path / "missing.ndjson", study_oid="S", metadata_version_oid="M")
    assert [line.split(",")[0] for line in document.read_text().splitlines()[1:]] == ["[null"] * 7 + ["[2.5"]


def test_special_missing_values_in_a_numeric_date(tmp_path):
    frame, dataset = one_column([".D", "2020-01-02", None], "integer", "DATE9.")
    path = write_xpt(frame, dataset, tmp_path / "dates.xpt")
    assert cell(path, 0) == b"D" + bytes(7)
    by_pyreadstat, _ = read_both(path, disable_datetime_conversion=True)
    assert by_pyreadstat["X"].isna().tolist() == [True, False, True] and by_pyreadstat["X"].iloc[1] == 21916


@pytest.mark.parametrize("value", [IBM_LIMIT, -IBM_LIMIT, 1e80, -1.7e308])
def test_numbers_ibm_cannot_carry_are_refused_with_the_record(tmp_path, value):
    frame, dataset = one_column([1.0, value])
    with pytest.raises(TransportError) as caught:
        write_xpt(frame, dataset, tmp_path / "big.xpt")
    assert "variable X" in str(caught.value) and "row 2" in str(caught.value) and "too large" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_pyreadstat_fact_stores_the_largest_ibm_number_from_2_to_the_249(tmp_path):
    frame = pd.DataFrame({"X": [2.0 ** 250]})
    pyreadstat.write_xport(frame, str(tmp_path / "raw.xpt"), table_name="DM", file_format_version=5)
    data, _ = pyreadstat.read_xport(str(tmp_path / "raw.xpt"))
    assert data["X"].iloc[0] != 2.0 ** 250 and data["X"].iloc[0] > 7.2e75  # silently another number
    frame, dataset = one_column([2.0 ** 250])
    by_pyreadstat, by_pandas = read_both(write_xpt(frame, dataset, tmp_path / "ours.xpt"))
    assert by_pyreadstat["X"].iloc[0] == by_pandas["X"].iloc[0] == 2.0 ** 250


def test_texts_of_200_bytes_read_back(tmp_path):
    printable = string.ascii_letters + string.digits + string.punctuation
    values = [(printable * 3)[:200], "X" * 200, " leading blanks kept" + "y" * 180, "", None, "a"]
    frame, dataset = one_column(values, "text")
    path = write_xpt(frame, dataset, tmp_path / "text.xpt")
    assert pyreadstat.read_xport(str(path), metadataonly=True)[1].variable_storage_width["X"] == 200
    by_pyreadstat, by_pandas = read_both(path)
    expected = [v or "" for v in values]
    assert by_pyreadstat["X"].tolist() == expected
    assert by_pandas["X"].tolist() == expected
    assert cell(path, 4, width=200) == b" " * 200  # missing text is blank


def test_nul_in_text_is_refused(tmp_path):
    frame, dataset = one_column(["ok", "A\x00B"], "text")
    with pytest.raises(TransportError, match=r"row 2.*NUL|NUL.*"):
        write_xpt(frame, dataset, tmp_path / "nul.xpt")


def test_character_format_with_decimals_is_refused(tmp_path):
    frame, dataset = one_column(["ok"], "text", "$8.2")
    with pytest.raises(TransportError, match="decimals"):
        write_xpt(frame, dataset, tmp_path / "fmt.xpt")


DATES = [dt.date(2020, 1, 2), dt.date(1959, 12, 31), dt.date(1582, 10, 15), dt.date(9999, 12, 31), None,
         dt.date(2024, 2, 29)]
DATETIMES = [dt.datetime(2020, 1, 2, 9, 4, 27), dt.datetime(1960, 1, 1, 0, 0, 1), dt.datetime(1900, 3, 1, 23, 59, 59),
             dt.datetime(2099, 12, 31, 12, 0), None, dt.datetime(1959, 12, 31, 23, 59, 59)]
TIMES = [dt.time(9, 4, 27), dt.time(0, 0, 1), dt.time(23, 59, 59), dt.time(12, 0), None, dt.time(0, 1)]


@pytest.mark.parametrize("values, fmt, unit", [(DATES, "DATE9.", "D"), (DATETIMES, "DATETIME20.", "s"),
                                               (TIMES, "TIME8.", "t")])
def test_numeric_dates_read_back_with_their_formats(tmp_path, values, fmt, unit):
    frame, dataset = one_column(values, "integer", fmt)
    path = write_xpt(frame, dataset, tmp_path / "dates.xpt")
    by_pyreadstat, by_pandas = read_both(path)  # pyreadstat turns the numbers into dates by their format
    assert [None if pd.isna(v) else v for v in by_pyreadstat["X"]] == values
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    assert read_formats(meta)["X"] == fmt.rstrip(".")
    if unit == "D":
        expected = [np.nan if v is None else (v - dt.date(1960, 1, 1)).days for v in values]
    elif unit == "s":
        expected = [np.nan if v is None else (v - dt.datetime(1960, 1, 1)).total_seconds() for v in values]
    else:
        expected = [np.nan if v is None else v.hour * 3600 + v.minute * 60 + v.second for v in values]
    np.testing.assert_array_equal(by_pandas["X"].to_numpy(), np.array(expected, dtype=float))
    with pd.read_sas(path, format="xport", iterator=True, encoding=None) as reader:
        field = reader.fields[0]
    assert field["nform"].decode().rstrip() + str(field["nfl"]) + "." == fmt
