"""The validator's fast XPT path returns exactly what the project's XPT reader returns, or steps aside."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SEND_EXAMPLES, reference_file
from validate_fixtures import clean_study, write_folder

from converters.metadata.model import Dataset, Variable
from converters.readers.xpt import read_xpt
from converters.validate.fastxpt import read_xpt_fast
from converters.writers.xpt import write_xpt

SEND = reference_file(SEND_EXAMPLES)


def _same(path: Path) -> None:
    fast, ref = read_xpt_fast(path), read_xpt(path)
    assert fast is not None, path
    (fa, ma), (fb, mb) = fast, ref
    assert list(fa.columns) == list(fb.columns) and len(fa) == len(fb)
    for col in fa.columns:
        if fb[col].dtype.kind == "f":
            assert np.array_equal(fa[col].to_numpy(float), fb[col].to_numpy(float), equal_nan=True), col
        else:
            assert fa[col].tolist() == fb[col].tolist(), col
    describe = lambda m: (m.name, m.label, [(v.name, v.label, v.data_type, v.length, v.display_format)  # noqa: E731
                                             for v in m.variables])
    assert describe(ma) == describe(mb)


def test_fast_path_matches_reader_on_the_clean_study(tmp_path):
    folder = write_folder(clean_study(), tmp_path / "sdtm")
    for path in sorted(folder.glob("*.xpt")):
        _same(path)


@pytest.mark.parametrize("name", ["dm.xpt", "ex.xpt", "ts.xpt"])
def test_fast_path_matches_reader_on_files_we_did_not_write(name):
    _same(SEND / name)


def test_fast_path_numbers_formats_and_missing_values(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["A", "B", "", "D"], "ADT": [23756.0, np.nan, 0.0, -1.5],
                          "AVAL": [1e-7, 123456789.125, np.nan, -0.1]})
    meta = Dataset(name="ADX", label="Test", variables=[
        Variable("USUBJID", "Subject", "text", length=3),
        Variable("ADT", "Date", "integer", display_format="DATE9."),
        Variable("AVAL", "Value", "float", display_format="8.2")])
    path = write_xpt(frame, meta, tmp_path / "adx.xpt")
    _same(path)


def test_unusual_files_step_aside(tmp_path):
    bad = tmp_path / "bad.xpt"
    bad.write_bytes(b"not a transport file")
    assert read_xpt_fast(bad) is None


def _coded_text_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(17)
    n = 500
    long_values = [f"COMMENT {i % 37:03d} " + "X" * (i % 5) for i in range(n)]  # over 8 bytes: hashed
    frame = pd.DataFrame({"USUBJID": [f"S-{i % 23:04d}" for i in range(n)],  # over 8 bytes
                          "CODE": rng.choice(["A", "BB", "", "CCCCCCCC"], n),  # up to 8 bytes: exact keys
                          "TEXT": long_values, "AVAL": rng.normal(size=n)})
    meta = Dataset(name="XX", label="Codes", variables=[
        Variable("USUBJID", "Subject", "text", length=10), Variable("CODE", "Code", "text", length=8),
        Variable("TEXT", "Text", "text", length=60), Variable("AVAL", "Value", "float")])
    return write_xpt(frame, meta, tmp_path / "xx.xpt")


def test_text_read_as_codes_holds_the_same_texts(tmp_path):
    path = _coded_text_file(tmp_path)
    plain, coded = read_xpt_fast(path), read_xpt_fast(path, codes=True)
    assert plain is not None and coded is not None
    for col in ("USUBJID", "CODE", "TEXT"):
        assert isinstance(coded[0][col].dtype, pd.CategoricalDtype), col
        assert coded[0][col].astype(object).tolist() == plain[0][col].tolist() == read_xpt(path)[0][col].tolist()


def test_a_hash_collision_falls_back_to_exact_codes(tmp_path, monkeypatch):
    """Every long cell hashing alike must not merge different texts: the verification catches it."""
    import converters.validate.fastxpt as fastxpt

    path = _coded_text_file(tmp_path)
    expected = read_xpt(path)[0]
    monkeypatch.setattr(fastxpt, "_hash_words", lambda words: np.zeros(len(words[0]), dtype=np.uint64))
    frame = read_xpt_fast(path, codes=True)[0]
    for col in ("USUBJID", "TEXT"):
        assert frame[col].astype(object).tolist() == expected[col].tolist(), col
