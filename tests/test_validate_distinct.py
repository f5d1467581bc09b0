"""Rule helpers that work per distinct value give what a record-by-record computation gives."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.validate.data import frames_to_study
from converters.validate.iso8601 import later_than
from converters.validate.rules_identity import duplicated_rows


def _partial_dates(rng: np.random.Generator, n: int) -> list[str]:
    full = [f"20{rng.integers(20, 26)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}T{rng.integers(0, 24):02d}:"
            f"{rng.integers(0, 60):02d}" for _ in range(n)]
    cut = rng.choice([4, 7, 10, 13, 16, 19], n)
    return [v[:c] if rng.random() > 0.1 else rng.choice(["", "2024---15", "UNK"]) for v, c in zip(full, cut)]


def _later_by_record(a: str, b: str) -> bool:
    import re

    plain = r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2})?)?)?)?)?"
    if not (re.fullmatch(plain, a) and re.fullmatch(plain, b)):
        return False
    a, b = a[:19], b[:19]
    common = min(len(a), len(b))
    for width in (19, 16, 13, 10, 7, 4):
        if common >= width:
            return a[:width] > b[:width]
    return False


def test_later_than_matches_a_record_by_record_comparison():
    rng = np.random.default_rng(5)
    a, b = pd.Series(_partial_dates(rng, 400), dtype=object), pd.Series(_partial_dates(rng, 400), dtype=object)
    b[::7] = a[::7]  # equal values are never later
    got = later_than(a, b)
    assert got.tolist() == [_later_by_record(x, y) for x, y in zip(a, b)]
    assert got.any() and not got.all()


def test_duplicated_rows_are_those_pandas_finds():
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"USUBJID": rng.choice(["S1", "S2", "S3"], 300), "TESTCD": rng.choice(["A", "B"], 300),
                          "VAL": rng.choice([1.0, 2.0, np.nan], 300), "DTC": rng.choice(["2024-01-01", "", "2024"], 300)})
    ds = frames_to_study({"LB": frame}).get("LB")
    names = ["USUBJID", "TESTCD", "VAL", "DTC"]
    expected = np.flatnonzero(frame.duplicated(keep=False).to_numpy())  # NaN equals NaN here, as blank equals blank
    assert duplicated_rows(ds, names).tolist() == expected.tolist()
    unique = frame.assign(ROW=np.arange(300).astype(float))
    assert len(duplicated_rows(frames_to_study({"LB": unique}).get("LB"), names + ["ROW"])) == 0


def test_duplicated_rows_by_subject_pieces_are_those_of_the_whole_dataset(monkeypatch):
    """A dataset sorted by subject is checked in pieces cut between subjects: the rows found are the same, and a
    dataset whose subjects are not together is checked whole."""
    from converters.validate import rules_identity

    rng = np.random.default_rng(11)
    subjects = np.sort(rng.choice([f"S{i:02d}" for i in range(40)], 2000))
    frame = pd.DataFrame({"USUBJID": subjects, "TESTCD": rng.choice(["A", "B", "C"], 2000),
                          "DTC": rng.choice(["2024-01-01", "2024-01-02", ""], 2000)})
    ds = frames_to_study({"LB": frame}).get("LB")
    names = ["USUBJID", "TESTCD", "DTC"]
    expected = np.flatnonzero(frame.duplicated(keep=False).to_numpy())
    monkeypatch.setattr(rules_identity, "PIECE_ROWS", 128)
    pieces = rules_identity.subject_pieces(ds, names)
    assert len(pieces) > 10 and pieces[0][0] == 0 and pieces[-1][1] == 2000
    assert all(subjects[a - 1] != subjects[a] for a, _ in pieces[1:])  # no subject cut in two
    assert duplicated_rows(ds, names).tolist() == expected.tolist()
    shuffled = frame.iloc[rng.permutation(2000)].reset_index(drop=True)
    mixed = frames_to_study({"LB": shuffled}).get("LB")
    assert rules_identity.subject_pieces(mixed, names) == [(0, 2000)]
    assert duplicated_rows(mixed, names).tolist() == np.flatnonzero(shuffled.duplicated(keep=False)).tolist()


def test_text_facts_are_what_each_value_measures():
    """Lengths, leading spaces and ASCII measured once per column equal the per-value definitions of MD0016,
    MD0018, MD0023 and MD0025, on ASCII and non-ASCII columns."""
    import re

    from converters.validate.data import measure_texts

    plain = ["A", " B", "C  ", "  ", "", "\tD E", "x" * 201, " " * 3 + "y" * 198, "\x1cZ", "Q\x00"]
    for values in (plain, plain + ["é" * 101, " ü", "ß  "], []):
        arr = np.array(values, dtype=object)
        facts = measure_texts(arr)
        assert facts.ascii == "".join(values).isascii()
        assert facts.over_200.tolist() == [len(v.encode("utf-8")) > 200 for v in values]
        assert facts.leading_space.tolist() == [bool(re.match(r"\s+\S", v)) for v in values]
        assert facts.longest == max((len(v.rstrip().encode("utf-8")) for v in values), default=0)


def test_implausible_years_of_ascii_texts_are_those_each_value_gives():
    """DT0022 looks one by one only at ASCII texts that sort before "1900": the same texts are found."""
    from converters.validate.rules_dates import _ascii_year_before_1900, _year_before_1900

    rng = np.random.default_rng(3)
    texts = ["", "1", "19", "0999", "1899-12", "1900", "1900-01-01", "1899", "2024-01-01", "abcd", "-", "1000T",
             "18a9", " 1850", "9999", "0000-01"] + [f"{y:04d}-{m:02d}" for y, m in zip(rng.integers(0, 3000, 300),
                                                                                     rng.integers(1, 13, 300))]
    values = pd.Series(texts, dtype=object)
    expected = _year_before_1900(values).to_numpy(dtype=bool)
    assert _ascii_year_before_1900(values).tolist() == expected.tolist()
    assert expected.any() and not expected.all()


def _invalid_by_whole_pattern(values: pd.Series) -> pd.Series:
    """DT0001's definition: not DTC_PATTERN (or no digit), or a complete date that is not a calendar date."""
    from converters.validate.iso8601 import DTC_PATTERN

    filled = values.ne("")
    bad = filled & ~(values.str.fullmatch(DTC_PATTERN) & values.str.contains(r"\d", regex=True)).astype(bool)
    full = filled & values.str.match(r"\d{4}-\d{2}-\d{2}").astype(bool)
    parsed = pd.to_datetime(values[full].str[:10], format="%Y-%m-%d", errors="coerce")
    bad.loc[parsed.index[parsed.isna()]] = True
    return bad


def test_invalid_dtc_with_its_usual_shape_shortcut_is_the_whole_pattern():
    from converters.validate.iso8601 import invalid_dtc

    rng = np.random.default_rng(1)
    parts = ["2024", "-", "02", "13", "30", "31", "T", "25", "23", ":", "59", "60", "00", ".5", "Z", "+01:00", "/",
             "P1D", "--", "x", " ", "\u0661", "1999", "0000", "-01", "12"]
    values = ["".join(rng.choice(parts, rng.integers(0, 9))) for _ in range(3000)]
    values += ["2024-02-30", "2024-02-29", "2023-02-29", "2024-01-01T10:00", "2024-01-01T24:00", "2024-13-01", "",
               "2024-01-01T10:00:60", "2024", "2024---15", "2024-01-01T10:00:00.5", "2024-04-31T10:00"]
    values += [f"{y}-{m:02d}-{d:02d}{t}" for y, m, d, t in zip(
        rng.integers(1890, 2030, 2000), rng.integers(0, 14, 2000), rng.integers(0, 33, 2000),
        rng.choice(["", "T10:30", "T23:59:59", "T24:00", "T10:61", "T1"], 2000))]
    series = pd.Series(values, dtype=object)
    expected = _invalid_by_whole_pattern(series)
    assert invalid_dtc(series).tolist() == expected.tolist()
    assert expected.any() and not expected.all()


def _dtc_like(rng: np.random.Generator, n: int) -> list[str]:
    """Date texts near the patterns' edges: valid ones, each with a few characters replaced (by digits,
    separators, a letter, a space, a NUL, an Arabic-Indic digit, an accented letter)."""
    base = ["2024-01-15", "2024-01-15T08:30", "2024-01-15T08:30:59", "2024-13-01", "2024-12-32", "2024-02-30T24:00",
            "2024-01-15T23:60", "2024-01-15T23:59:60", "2024", "2024-01", "2024-01-15T08", "2024---15", "",
            "٢٠٢٤-01-15", "2024-01-15T08:30:00.5", "2024-01-15T08:30:00Z", "2024-00-10", "2024-01-00"]
    alphabet = list("0123456789-T:Z+. x") + ["٣", "é", "\x00"]
    values = list(base)
    for _ in range(n):
        chars = list(str(rng.choice(base)))
        for _ in range(int(rng.integers(0, 3))):
            if chars:
                chars[int(rng.integers(0, len(chars)))] = str(rng.choice(alphabet))
        values.append("".join(chars))
    return values


def test_date_shapes_on_whole_arrays_match_the_regular_expressions():
    """The array matching of plain and complete date/times decides each text as the expressions do (``\\d``
    matching other scripts' digits included)."""
    import re

    from converters.validate.iso8601 import _COMPLETE, _PLAIN, _complete_shape, plain_texts

    values = _dtc_like(np.random.default_rng(7), 5000)
    objects = np.array(values, dtype=object)
    ok, text = plain_texts(objects)
    assert ok.tolist() == [re.fullmatch(_PLAIN, v) is not None for v in values] + [False]
    assert text.tolist() == [v[:19] for v in values]
    assert _complete_shape(objects).tolist() == [_COMPLETE.fullmatch(v) is not None for v in values]
    assert plain_texts(np.array(["2024", 2024, "x"], dtype=object))[0].tolist() == [True, True, False, False]


def test_fixed_width_cells_decode_as_bytes_do():
    """Distinct XPT cells decoded as one array equal each cell's bytes, trailing spaces cut, decoded."""
    from converters.validate.fastxpt import _decode_cells

    rng = np.random.default_rng(3)
    for length in (1, 8, 19, 200):
        cells = rng.choice(np.frombuffer(b" ab 9-:T", dtype=np.uint8), size=(300, length)).astype(np.uint8)
        cells[:3] = ord(" ")
        wide = cells.copy()
        wide[5, 0] = 0xE9  # é in cp1252: the column is decoded cell by cell
        for grid, codec in ((cells, "ascii"), (wide, "cp1252")):
            beyond = (grid >= 0x80).any(axis=1)
            assert _decode_cells(grid, beyond, codec) == [bytes(r).rstrip(b" ").decode(codec) for r in grid]


def test_complete_dates_on_whole_arrays_match_pandas_string_methods():
    """The calendar date of each text (NaT unless its first ten characters are a real YYYY-MM-DD) is what the
    record-by-record string methods give."""
    from converters.validate.iso8601 import complete_date

    texts = _dtc_like(np.random.default_rng(11), 3000) + ["2024-02-29T10", "2023-02-29", "1900-01-01"]
    in_range = [v for v in texts if not v[:4].isdigit() or 1678 < int(v[:4]) < 2262]
    values = pd.Series(in_range, dtype=object)  # (a year outside pandas' nanosecond range fails both ways)
    head = values.str[:10]
    ok = head.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    want = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    want[ok] = pd.to_datetime(head[ok], format="%Y-%m-%d", errors="coerce")
    pd.testing.assert_series_equal(complete_date(values), want)
    assert complete_date(values).notna().sum() > 100


def test_dates_ranked_once_per_column_compare_as_record_by_record():
    """DT0003, DT0007 and DT0021 compare a column's dates through its cached prefix ranks: the same answers as a
    record-by-record comparison, in either direction."""
    from functools import partial

    from converters.validate.iso8601 import later_than_codes, plain_texts, prefix_ranks

    rng = np.random.default_rng(13)
    a, b = _partial_dates(rng, 600), _partial_dates(rng, 50)
    a_values, b_values = np.array(a + [""], dtype=object), np.array(b + [""], dtype=object)
    a_codes, b_codes = np.arange(len(a)), rng.integers(-1, len(b), len(a))
    a_plain, b_plain = plain_texts(a_values), plain_texts(b_values)
    a_ranks, b_ranks = partial(prefix_ranks, a_plain[1]), partial(prefix_ranks, b_plain[1])
    want = [b_codes[i] >= 0 and _later_by_record(a[i], b[b_codes[i]]) for i in range(len(a))]
    assert later_than_codes(a_codes, a_values, b_codes, b_values, a_ranks=a_ranks).tolist() == want
    back = [b_codes[i] >= 0 and _later_by_record(b[b_codes[i]], a[i]) for i in range(len(a))]
    assert later_than_codes(b_codes, b_values, a_codes, a_values, b_ranks=a_ranks, a_ranks=b_ranks).tolist() == back
    assert any(want) and any(back)


def test_a_date_beyond_nanosecond_timestamps_is_no_calendar_date():
    """A year after 2262 or before 1678 has no nanosecond timestamp: its complete date is NaT, not an error that
    stops DT0004 and DT0019 (it stopped them before)."""
    from converters.validate.iso8601 import complete_date

    got = complete_date(pd.Series(["2324-01-15", "1500-06-01T10:00", "2262-04-11", "1677-09-22", "2024-02-30"],
                                  dtype=object))
    assert got.isna().tolist() == [True, True, False, False, True]
    study = frames_to_study({"DM": pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2024-01-01"]}),
                             "AE": pd.DataFrame({"USUBJID": ["S1", "S1"], "AESTDTC": ["2324-01-15", "2024-01-03"],
                                                 "AESTDY": [1.0, 5.0], "AESEQ": [1.0, 2.0]})})
    from converters.validate import validate_study

    result = validate_study(study, select=["DT0004", "DT0019"])
    assert not result.rule_errors
    found = result.findings
    assert found[found["rule"].eq("DT0004")]["record"].tolist() == [2]
