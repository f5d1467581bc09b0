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


def _edge_file(tmp_path: Path) -> Path:
    """Values at the edges of XPT v5: missing and special missing numbers, -0.0, the smallest and largest IBM
    magnitudes, 200-byte texts, blank and repeated texts in runs (a column sorted by subject)."""
    n = 300
    texts = ["Y" * 200, "", "A B", " LEADING", "X" * 199 + "Z", "TRAILING   "]
    numbers = [0.0, -0.0, 5.397605346934028e-79, 7.2e75, -7.2e75, np.nan,
               1.0, -1.0, 0.1, 123456789.125, 1e-7]
    frame = pd.DataFrame({"USUBJID": [f"SUBJECT-{i // 40:05d}" for i in range(n)],
                          "TEXT": [texts[i % len(texts)] for i in range(n)],
                          "FLAG": ["Y" if i % 3 else "" for i in range(n)],
                          "AVAL": [numbers[i % len(numbers)] for i in range(n)],
                          "ASHORT": [float(i) for i in range(n)]})
    meta = Dataset(name="EDGE", label="Edge values", variables=[
        Variable("USUBJID", "Subject", "text", length=14), Variable("TEXT", "Text", "text", length=200),
        Variable("FLAG", "Flag", "text", length=1), Variable("AVAL", "Value", "float"),
        Variable("ASHORT", "Short", "integer")])
    path = write_xpt(frame, meta, tmp_path / "edge.xpt")
    raw = bytearray(path.read_bytes())
    # special missing values .A, .Z and ._ in AVAL of rows 5, 16 and 27 (AVAL's first byte is the missing letter)
    width = 14 + 200 + 1 + 8 + 8
    data = raw.find(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!") + 80
    for row, letter in ((5, b"A"), (16, b"Z"), (27, b"_")):
        cell = data + row * width + 215
        raw[cell:cell + 8] = letter + bytes(7)
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("block", [1, 300, 4096, 1 << 20])
def test_block_reader_matches_pyreadstat_on_edge_values(tmp_path, monkeypatch, block):
    """Rows cut into blocks of any size (one row, a row and a bit, many rows) read exactly as pyreadstat reads."""
    import converters.validate.fastxpt as fastxpt

    monkeypatch.setattr(fastxpt, "BLOCK_BYTES", block)
    path = _edge_file(tmp_path)
    _same(path)
    coded = read_xpt_fast(path, codes=True)[0]
    expected = read_xpt(path)[0]
    for col in ("USUBJID", "TEXT", "FLAG"):
        assert coded[col].astype(object).tolist() == expected[col].tolist(), col
    assert np.isnan(coded["AVAL"].to_numpy()[[5, 16, 27]]).all()
    assert np.signbit(coded["AVAL"].to_numpy()[1]) == np.signbit(expected["AVAL"].to_numpy()[1])


def test_blocks_give_the_same_codes_as_one_pass(tmp_path, monkeypatch):
    """Codes are numbered in order of first appearance over the whole file, whatever the block size."""
    import converters.validate.fastxpt as fastxpt

    path = _coded_text_file(tmp_path)
    whole = read_xpt_fast(path, codes=True)[0]
    monkeypatch.setattr(fastxpt, "BLOCK_BYTES", 97)
    blocks = read_xpt_fast(path, codes=True)[0]
    for col in ("USUBJID", "CODE", "TEXT"):
        assert list(whole[col].cat.categories) == list(blocks[col].cat.categories), col
        assert np.array_equal(whole[col].cat.codes.to_numpy(), blocks[col].cat.codes.to_numpy()), col


def test_a_collision_across_blocks_is_caught(tmp_path, monkeypatch):
    """Blocks whose distinct values all hash alike still merge exactly (the merge verifies too)."""
    import converters.validate.fastxpt as fastxpt

    path = _coded_text_file(tmp_path)
    expected = read_xpt(path)[0]
    monkeypatch.setattr(fastxpt, "BLOCK_BYTES", 500)
    monkeypatch.setattr(fastxpt, "_hash_words", lambda words: np.zeros(len(words[0]), dtype=np.uint64))
    frame = read_xpt_fast(path, codes=True)[0]
    for col in ("USUBJID", "TEXT"):
        assert frame[col].astype(object).tolist() == expected[col].tolist(), col


@pytest.mark.parametrize("table_size", [0, 3, 1 << 20])
def test_a_column_outgrowing_its_shared_codes_goes_on_block_by_block_with_the_same_result(tmp_path, monkeypatch,
                                                                                          table_size):
    """The codes one hash table gives a column while it has few distinct values, and those of the blocks after it
    outgrows the table, number every value in order of first appearance, as one pass does."""
    import converters.validate.fastxpt as fastxpt

    path = _coded_text_file(tmp_path)
    whole = read_xpt_fast(path, codes=True)[0]
    expected = read_xpt(path)[0]
    monkeypatch.setattr(fastxpt, "BLOCK_BYTES", 300)
    monkeypatch.setattr(fastxpt, "SHARED_CODES", table_size)
    frame = read_xpt_fast(path, codes=True)[0]
    for col in ("USUBJID", "CODE", "TEXT"):
        assert frame[col].astype(object).tolist() == expected[col].tolist(), col
        assert list(whole[col].cat.categories) == list(frame[col].cat.categories), col
        assert np.array_equal(whole[col].cat.codes.to_numpy(), frame[col].cat.codes.to_numpy()), col


def test_a_second_member_is_found_on_record_boundaries(tmp_path):
    """The block reader looks for a member header only where a record starts (every 80 bytes), as a search of every
    byte would find it there; a file with a second member goes to the full reader."""
    from converters.validate.fastxpt import _MEMBER_HEAD, _member_head_in, parse_xpt

    rng = np.random.default_rng(5)
    raw = bytearray(rng.integers(32, 127, 80 * 400, dtype=np.uint8).tobytes())
    for place in (80 * 3, 80 * 150 + 17, 80 * 399 - 80):  # the second is not on a boundary
        raw[place:place + len(_MEMBER_HEAD)] = _MEMBER_HEAD
    data = bytes(raw)
    aligned = [p for p in range(0, len(data), 80) if data[p:p + len(_MEMBER_HEAD)] == _MEMBER_HEAD]
    for start, end in ((0, len(data)), (0, 263), (0, 264), (241, 80 * 398), (80 * 4, 80 * 399)):
        want = any(start <= p and p + len(_MEMBER_HEAD) <= end for p in aligned)
        assert _member_head_in(data, start, end, aligned=True) is want, (start, end)
        assert _member_head_in(data, start, end, aligned=False) is (data.find(_MEMBER_HEAD, start, end) >= 0)
    one = _coded_text_file(tmp_path).read_bytes()
    two = one + one[one.index(b"HEADER RECORD*******MEMBER"):]  # the member again, as a second member
    assert parse_xpt(one) is not None and parse_xpt(two) is None


def _ibm_exact(value: bytes) -> float:
    """An IBM double's value by its definition (sign, 16 ** (exponent - 64), fraction of 56 bits), rounded once
    to float64; a SAS missing value (``.``, ``._``, ``.A``-``.Z`` and seven zero bytes) as NaN."""
    from fractions import Fraction

    value = value.ljust(8, b"\0")
    fraction = int.from_bytes(value[1:], "big")
    if fraction == 0 and value[0] in b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        return float("nan")
    exact = Fraction(fraction, 2**56) * Fraction(16) ** ((value[0] & 0x7F) - 64)
    return -float(exact) if value[0] & 0x80 else float(exact)


@pytest.mark.parametrize("length", [8, 5, 3])
def test_ibm_doubles_convert_to_the_nearest_float(length):
    """Whole-array IBM conversion equals the definition value by value: random bit patterns (every exponent,
    both signs), zero fractions (0, -0.0, the missing letters), the smallest and largest magnitudes, fractions
    of more than 53 bits (rounded once, to nearest), and values truncated to fewer bytes."""
    from converters.validate.fastxpt import _ibm_bits, _ibm_to_float

    rng = np.random.default_rng(17)
    cells = rng.integers(0, 256, size=(4000, 8), dtype=np.uint8)
    cells[::5, 1:] = 0  # zero fractions under every first byte: zeros, -0.0 and missing values
    cells[1::7, 1:] = 0xFF  # the longest fractions, rounded
    specials = [b"\x00" * 8, b"\x80" + b"\0" * 7, b"." + b"\0" * 7, b"Z" + b"\0" * 7, b"\x00\x10" + b"\0" * 6,
                b"\x7f" + b"\xff" * 7, b"\xff" + b"\xff" * 7, b"\x41\x10" + b"\0" * 6, b"\x41\x10\0\0\0\0\0\x01"]
    cells[:len(specials)] = np.frombuffer(b"".join(specials), dtype=np.uint8).reshape(-1, 8)
    wide = np.zeros((len(cells), 11), dtype=np.uint8)  # a column inside a wider record, as in a file's block
    wide[:, 2:2 + length] = cells[:, :length]
    got = _ibm_to_float(_ibm_bits(wide[:, 2:2 + length]))
    want = np.array([_ibm_exact(bytes(row[:length])) for row in cells])
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))  # -0.0 stays negative
    assert _ibm_exact(specials[7]) == 1.0 and np.isnan(_ibm_exact(specials[2]))
