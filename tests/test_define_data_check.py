"""The define's data check reads, of each XPT file, the distinct rows of the column groups it compares: exactly the
distinct rows a full read holds, each group's rows in the order of their bytes, whatever the block size."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from converters.metadata.model import Dataset, Variable
from converters.readers.xpt import read_xpt
from converters.writers.xpt import write_xpt
from define_xml.data_check import read_checked

GROUPS = [("TESTCD",), ("TESTCD", "ORRES"), ("CAT", "TESTCD", "ORRES")]


def _file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(17)
    n = 700
    frame = pd.DataFrame({
        "USUBJID": [f"S-{i % 31:04d}" for i in range(n)],
        # a tab sorts before the blank that pads "A": byte order, not the order of the texts without blanks
        "TESTCD": rng.choice(["A", "A\t", "B", "", "ALB", "HGB"], n),
        "ORRES": rng.choice(["POSITIVE", "NEGATIVE", "", "12.5", "RESULT TEXT OF MORE THAN EIGHT BYTES"], n),
        "CAT": rng.choice(["CHEMISTRY", "HEMATOLOGY"], n), "AVAL": rng.normal(size=n)})
    meta = Dataset(name="LB", label="Laboratory", variables=[
        Variable("USUBJID", "Subject", "text", length=10), Variable("TESTCD", "Test", "text", length=8),
        Variable("ORRES", "Result", "text", length=40), Variable("CAT", "Category", "text", length=12),
        Variable("AVAL", "Value", "float")])
    return write_xpt(frame, meta, tmp_path / "lb.xpt")


def _expected(path: Path, group: tuple[str, ...]) -> pd.DataFrame:
    """The group's distinct rows of a full read, sorted by their cells' bytes (each padded to its length)."""
    frame, meta = read_xpt(path)
    lengths = {v.name: v.length for v in meta.variables}
    rows = frame[list(group)].drop_duplicates()
    key = rows.apply(lambda r: "".join(str(r[c]).ljust(lengths[c]) for c in group).encode("ascii"), axis=1)
    return rows.loc[key.sort_values(kind="stable").index].reset_index(drop=True)


@pytest.mark.parametrize("block", [97, 1 << 22])
def test_distinct_rows_of_each_group_as_a_full_read_holds_them(tmp_path, monkeypatch, block):
    import converters.validate.fastxpt as fastxpt

    monkeypatch.setattr(fastxpt, "BLOCK_BYTES", block)
    path = _file(tmp_path)
    read = read_checked(path, GROUPS)
    assert read is not None
    frame, meta = read
    assert meta.records == 700 and [v.name for v in meta.variables] == ["USUBJID", "TESTCD", "ORRES", "CAT", "AVAL"]
    at = 0
    for group in GROUPS:
        expected = _expected(path, group)
        part = frame.iloc[at:at + len(expected)]
        assert part[list(group)].to_numpy().tolist() == expected.to_numpy().tolist(), group
        assert (part["USUBJID"] == "").all() and part["AVAL"].isna().all()  # the other columns blank
        at += len(expected)
    assert at == len(frame)
    assert frame["TESTCD"].iloc[:6].tolist() == ["", "A\t", "A", "ALB", "B", "HGB"]


def test_files_the_check_does_not_read_go_to_the_full_reader(tmp_path):
    path = _file(tmp_path)
    assert read_checked(path, [("AVAL",)]) is None  # a numeric variable compared with a codelist
    assert read_checked(path, [("NOSUCH",)]) is None
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"POSITIVE")] = 0xC4  # non-ASCII text in a column compared
    (tmp_path / "bad.xpt").write_bytes(bytes(raw))
    assert read_checked(tmp_path / "bad.xpt", [("ORRES",)]) is None
    assert read_checked(tmp_path / "bad.xpt", [("TESTCD",)]) is not None  # a column not compared is not looked at
