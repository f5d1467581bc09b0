"""Text work done once per distinct value gives what the pandas string methods give on every record."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from converters.sdtm import columns, dates
from converters.sdtm.ascii_text import non_ascii
from converters.sdtm.merge import _keys
from converters.sdtm.plausibility import earliest_day
from converters.sdtm.reference_dates import usubjids

TEXTS = [" a ", "a", "", "  ", None, np.nan, "b  c", " x\t y ", "é", "2025-03-04T10:00", "2025-03", "2025", "20",
         "ß ss", "\u00a0q\u00a0", "2025---15", "-----T10"]
DATES = [None, "", " ", "03-MAR-2025", "3-mar-2025", "UN-MAR-2025", "UN-UNK-2025", "31-FEB-2025", "29-FEB-2024",
         "01-ABC-2025", "2025-03-04", "2025-03", "2025", "2025-13-01", "1799-01-01", "2201-01-01", "03MAR2025",
         "UNUNK2025", "03/04/2025", "13/13/2025", "2025-03-04T10:30", "03-MAR-2025 10:30", "03-MAR-2025 25:00", "x",
         "--/--/2025", "2025-03-04 10:30:15", "00-MAR-2025", "03-MAR-0999", " 2025-03-04 ", "\u0662\u0660\u0662\u0665-03-04"]
TIMES = [None, "", "10:30", "7:05", "25:00", "10:60", "UN:30", "10:UN", "10:30:15", "10:30:61", "xx", " 10:30 ",
         "\u0661\u0660:30"]


def _samples(pool: list, seed: int, count: int = 60):
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(0, 25)
        index = pd.Index(np.arange(n) * 3 + 1)  # not a default index: results keep the records' index
        yield pd.Series([rng.choice(pool) for _ in range(n)], index=index, dtype=rng.choice(["object", "str"])), rng


def test_trimmed_and_normalized_equal_the_string_methods():
    for values, _ in _samples(TEXTS, 1):
        text = values.astype("string")
        pd.testing.assert_series_equal(columns.trimmed(values), text.str.strip().replace("", pd.NA))
        pd.testing.assert_series_equal(columns.trimmed(values, blank_missing=False), text.str.strip())
        collapsed = text.str.strip().str.replace(r"\s+", " ", regex=True).str.upper()
        pd.testing.assert_series_equal(columns.normalized(values), collapsed.replace("", pd.NA))
        pd.testing.assert_series_equal(columns.normalized(values, blank_missing=False), collapsed)
        stripped = text.str.strip().replace("", pd.NA)
        pd.testing.assert_series_equal(columns.trimmed_object(values), stripped.astype(object).where(stripped.notna(), None))


@pytest.mark.parametrize("values", [[1.0, -0.0, 0.0, np.nan, 2.5], [1, 1.0, True, "1", None]])
def test_numbers_keep_the_text_of_each_record(values):
    """1, 1.0 and True are one key to factorize but three texts."""
    series = pd.Series(values)
    pd.testing.assert_series_equal(columns.trimmed(series), series.astype("string").str.strip().replace("", pd.NA))


def test_non_ascii_and_earliest_day_equal_the_string_methods():
    for values, _ in _samples(TEXTS, 2):
        text = values.astype("string")
        expected = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
        pd.testing.assert_series_equal(non_ascii(values), expected)
        head = text.str.slice(0, 10)
        year = head.str.extract(r"^(\d{4})", expand=False)
        month = head.str.extract(r"^\d{4}-(\d{2})", expand=False).fillna("01")
        day = head.str.extract(r"^\d{4}-\d{2}-(\d{2})", expand=False).fillna("01")
        pd.testing.assert_series_equal(earliest_day(values), (year + "-" + month + "-" + day).where(year.notna()),
                                       check_names=False)


@pytest.mark.parametrize("formats", [(None, None), (["DD-MON-YYYY"], ["HH:MM:SS"]),
                                     (["YYYY-MM-DD", "DD/MM/YYYY"], ["%H:%M"]), (["MM/DD/YYYY", "DDMONYYYY"], None)])
def test_iso8601_per_distinct_pair_equals_the_whole_column_conversion(formats):
    date_formats, time_formats = formats
    for date, rng in _samples(DATES, 3):
        time = pd.Series([rng.choice(TIMES) for _ in range(len(date))], index=date.index, dtype="object") \
            if rng.random() < 0.6 else None
        got = dates.to_iso8601(date, time, date_formats=date_formats, time_formats=time_formats)
        want = dates._to_iso8601(date, time, date_formats=date_formats, time_formats=time_formats)
        pd.testing.assert_series_equal(got.iso, want.iso)
        pd.testing.assert_series_equal(got.problem, want.problem)


def test_merge_keys_per_distinct_combination():
    for values, rng in _samples(TEXTS, 4):
        frame = pd.DataFrame({"x": values, "y": [rng.choice(TEXTS) for _ in range(len(values))]}, index=values.index)
        for cols in (["x"], ["x", "y"]):
            expected = None
            for col in cols:
                part = frame[col].astype("string").str.strip().str.upper()
                part = part.astype("object").where(part.notna(), "").astype(str)
                expected = part if expected is None else expected + "\x1f" + part
            pd.testing.assert_series_equal(_keys(frame, cols), expected, check_names=False)


def test_usubjid_per_distinct_combination():
    class Study:
        usubjid_pattern = "{STUDYID}-{SITEID}-{SUBJID}"
        studyid = "S1"

    for values, rng in _samples(TEXTS, 5):
        frame = pd.DataFrame({"SUBJID": values, "SITEID": [rng.choice(TEXTS) for _ in range(len(values))]},
                             index=values.index)
        expected = ("S1-" + frame["SITEID"].astype("string").str.strip() + "-"
                    + frame["SUBJID"].astype("string").str.strip())
        pd.testing.assert_series_equal(usubjids(Study(), frame), expected, check_names=False)  # type: ignore[arg-type]


def test_map_unique_frame_sees_each_distinct_row_once():
    frame = pd.DataFrame({"a": ["x", "x", None, "y", "x", np.nan], "b": ["1", "1", "2", None, "2", "2"]},
                         index=[5, 6, 7, 8, 9, 10])
    seen = []

    def fn(unique: pd.DataFrame) -> pd.DataFrame:
        seen.append(len(unique))
        return pd.DataFrame({"j": unique["a"].fillna("-") + "|" + unique["b"].fillna("-")})

    out = columns.map_unique_frame(frame, fn)
    assert seen == [4]
    assert out["j"].tolist() == ["x|1", "x|1", "-|2", "y|-", "x|2", "-|2"]
    assert list(out.index) == [5, 6, 7, 8, 9, 10]


def test_before_by_ranks_equals_the_text_comparison():
    from converters.sdtm.findings import _before

    pool = [None, np.nan, "2025-03-04", "2025-03-04T10:00", "2025-03-04T09:59", "2025-03", "2025", "2025-03-05",
            "2024-12-31T23:59", "x", "2025-03-04T"]
    for dtc, rng in _samples(pool, 6):
        ref = pd.Series([rng.choice(pool) for _ in range(len(dtc))], index=dtc.index, dtype="object")
        d, r = dtc.astype("string"), ref.astype("string")
        both_times = d.str.contains("T").fillna(False) & r.str.contains("T").fillna(False)
        full = d.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False)
        expected = (full & np.where(both_times, (d < r).fillna(False), (d.str[:10] < r.str[:10]).fillna(False)))
        pd.testing.assert_series_equal(_before(dtc, ref), expected.astype(bool))


@pytest.mark.parametrize("codelist, value_map, extend", [
    ("NY", None, False), ("NY", {"1": "Y", "0": "N", "yes please": "Y"}, False), (None, {"a": "ALPHA"}, False),
    (None, None, False), ("UNIT", None, True), ("UNIT", {"zz top": "ZZT", "é": "mg"}, True),
    ("NY", {"1": "Y", "9": "NOVALUE", "unk": "NOVALUE"}, False), (None, {"9": "NOVALUE", "a": "ALPHA"}, False),
    (None, {"9": "NOVALUE"}, False), ("UNIT", {"9": "NOVALUE", "a": "mg"}, True)])
@pytest.mark.parametrize("dtype", ["object", "string", "str"])
def test_assign_ct_per_distinct_value_equals_every_record(codelist, value_map, extend, dtype):
    """The plain-Python mapping of the distinct values gives what the whole-column pandas rule gives per record:
    values, unmapped flags, extensions and no-value reasons (blanks, case, inner spaces, non-ASCII, missing)."""
    from converters.sdtm.terminology import _assign_ct, assign_ct
    from converters.spec.model import NoValue
    from converters.standards import ct

    info = ct.codelist(codelist) if codelist else None
    value_map = {k: NoValue("not done") if v == "NOVALUE" else v for k, v in value_map.items()} if value_map else None
    pool = [None, np.nan, "", " y ", "Yes", "N", "no", "1", "0", "yes  please", "a", "A ", "mg", " MG/dL ", "zz  top",
            " 9", "UNK", "é", "É ", "\u00a0mg\u00a0", "ß"]
    for values, _ in _samples(pool, 7):
        values = values.astype(dtype)
        got, want = assign_ct(values, info, value_map, extend=extend), _assign_ct(values, info, value_map, extend=extend)
        pd.testing.assert_series_equal(got.values, want.values, check_names=False)
        pd.testing.assert_series_equal(got.unmapped, want.unmapped, check_names=False)
        assert got.extensions == want.extensions
        assert (got.reasons is None) == (want.reasons is None)
        if got.reasons is not None and want.reasons is not None:
            pd.testing.assert_series_equal(got.reasons, want.reasons, check_names=False)


@pytest.mark.parametrize("dtype", ["string", "str", "object"])
def test_distinct_equals_pandas_factorize(dtype):
    """A reader's ``string`` column factorized on its object array gives pandas' codes and distinct values."""
    for values, _ in _samples(TEXTS, 7):
        series = values.astype(dtype)
        codes, uniques = columns.distinct(series)
        expected_codes, expected_uniques = pd.factorize(series, use_na_sentinel=True)
        np.testing.assert_array_equal(codes, expected_codes)
        pd.testing.assert_index_equal(uniques, expected_uniques)


@pytest.mark.parametrize("dtype", ["string", "str", "object"])
def test_duplicated_rows_equal_frame_duplicated(dtype):
    """Duplicates by combined codes are pandas' duplicates (missing equals missing), and each record points at the
    first record with its values (what ``groupby(...).transform("first")`` gives)."""
    pools = [TEXTS, ["a", "b", None, "", "é"], [None, "x"]]
    for seed in range(40):
        rng = random.Random(seed)
        n = rng.randint(1, 60)
        frame = pd.DataFrame({f"c{i}": pd.Series([rng.choice(pool) for _ in range(n)], dtype=dtype)
                              for i, pool in enumerate(pools[:rng.randint(1, 3)])})
        if dtype == "object":  # one missing value per column, as in a raw frame (pandas tells None from NaN here)
            frame = frame.where(frame.notna(), None)
        duplicate, first_of = columns.duplicated_rows(frame, list(frame.columns))
        np.testing.assert_array_equal(duplicate, frame.duplicated(keep="first").to_numpy())
        row = pd.Series(np.arange(n))
        first = frame.assign(r=row).groupby(list(frame.columns), dropna=False, sort=False)["r"].transform("first")
        np.testing.assert_array_equal(first_of, first.to_numpy())


def test_duplicated_rows_of_many_columns_do_not_overflow():
    """Forty columns of a thousand distinct values each: the combined key is refactorized, never wraps round."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"c{i}": pd.Series(rng.integers(0, 1000, 500).astype(str), dtype="string")
                          for i in range(40)})
    frame = pd.concat([frame, frame.iloc[[5, 7, 5]]], ignore_index=True)
    duplicate, first_of = columns.duplicated_rows(frame, list(frame.columns))
    np.testing.assert_array_equal(duplicate, frame.duplicated().to_numpy())
    assert list(first_of[-3:]) == [5, 7, 5]


@pytest.mark.parametrize("formats", [None, ("DD-MON-YYYY", "HH:MM")])
def test_iso8601_text_handed_over_equals_the_text_taken_again(formats):
    """The trimmed ISO text and collected date text ``to_iso8601`` hands over (so the builder does not factorize
    them again) are what the builder's own pass over the values gives, ASCII flag included."""
    from converters.sdtm.builder import _text_object_ascii

    for values, rng in _samples(DATES, 11):
        time = pd.Series([rng.choice(TIMES) for _ in range(len(values))], index=values.index, dtype="object")
        got = dates.to_iso8601(values, time, date_formats=formats[:1] if formats else None,
                               time_formats=formats[1:] if formats else None)
        assert got.text is not None and got.collected is not None
        text, ascii_only = _text_object_ascii(got.iso)
        pd.testing.assert_series_equal(got.text[0], text, check_names=False)
        assert got.text[1] == ascii_only
        pd.testing.assert_series_equal(got.collected, _text_object_ascii(values)[0], check_names=False)


def test_assign_ct_text_handed_over_equals_the_text_taken_again():
    from converters.sdtm.builder import _text_object_ascii
    from converters.sdtm.terminology import assign_ct
    from converters.standards import ct

    pool = [None, "", " y ", "Yes", "N", "zz  top", "é", " 1 "]
    for values, _ in _samples(pool, 12):
        for info, value_map, extend in ((ct.codelist("NY"), None, False), (ct.codelist("UNIT"), None, True),
                                        (None, {"1": " One "}, False), (None, None, False)):
            got = assign_ct(values, info, value_map, extend=extend)
            assert got.text is not None
            text, ascii_only = _text_object_ascii(got.values)
            pd.testing.assert_series_equal(got.text[0], text, check_names=False)
            assert got.text[1] == ascii_only


@pytest.mark.parametrize("how", ["first", "last"])
def test_earliest_or_latest_per_subject_equals_sort_and_group(how):
    """Ranking the distinct texts gives each subject's first or last value of a sort by subject and text."""
    from converters.sdtm.derivations import earliest_or_latest

    pool = ["2025-03-04", "2025-03-04T10:00", "2025-03", "2025", "2024-12-31T23:59", "2025-03-04T09:59", "é", "Z"]
    for seed in range(60):
        rng = random.Random(seed)
        n = rng.randint(1, 40)
        dates = pd.DataFrame({"USUBJID": pd.Series([rng.choice(["A", "B", "C", None]) for _ in range(n)],
                                                   dtype=rng.choice(["object", "string"])),
                              "value": pd.Series([rng.choice(pool) for _ in range(n)], dtype="object")})
        ordered = dates.sort_values(["USUBJID", "value"], kind="mergesort")
        want = ordered.groupby("USUBJID", sort=False)["value"].agg(how)
        got = earliest_or_latest(dates["USUBJID"], dates["value"], how)
        assert {str(k): v for k, v in got.items()} == {str(k): v for k, v in want.items()}


def test_distinct_of_a_column_made_from_codes_is_distinct_of_its_texts() -> None:
    """A raw form held as codes and made a frame again: its columns' distinct values come from the codes, in
    the same order of first appearance and with the same codes as factorizing the texts (a piece of the
    form included, whose codes point into values it does not all use)."""
    from converters.engine.compact import compact_frame
    from converters.readers.raw import TEXT

    rng = random.Random(17)
    pool = ["b", "a", "", " c ", "é", None]
    texts = pd.Series([rng.choice(pool) for _ in range(500)], dtype=TEXT)
    held = compact_frame(pd.DataFrame({"X": texts, "N": np.arange(500.0)}))
    for positions in (np.arange(500), np.arange(499, 0, -3), np.array([4, 4, 1]), np.array([], dtype=np.int64)):
        made = held.take(positions).frame()
        plain = texts.iloc[positions].reset_index(drop=True)
        codes, uniques = columns.distinct(made["X"])
        want_codes, want = columns.distinct(pd.Series(plain.to_numpy(dtype=object).copy(), dtype=TEXT))
        assert codes.tolist() == want_codes.tolist()
        assert list(uniques) == list(want)
        assert columns.distinct_text(made["X"].reset_index(drop=True))[1] == list(want)
    made = held.frame()
    changed = made.reset_index(drop=True)
    changed.loc[0, "X"] = "new"  # a write to a frame sharing the column copies it: the codes still hold
    assert columns.distinct(made["X"])[1].tolist() == columns.distinct(pd.Series(texts.to_numpy(dtype=object).copy(),
                                                                                 dtype=TEXT))[1].tolist()
    assert "new" in columns.distinct(changed["X"])[1].tolist()
