"""ISO 8601 conversion of CRF dates: partial dates stay partial, impossible dates are rejected, never guessed."""
import pandas as pd
import pytest

from converters.sdtm.dates import date_part, is_iso8601, iso_day_text, to_iso8601


def iso(dates, times=None, **kw):
    result = to_iso8601(pd.Series(dates, dtype="object"),
                        None if times is None else pd.Series(times, dtype="object"), **kw)
    return list(result.iso), [None if pd.isna(p) else p for p in result.problem]


def test_full_crf_date_and_time():
    assert iso(["03-MAR-2025"], ["14:05"])[0] == ["2025-03-03T14:05"]


def test_unknown_day_gives_year_month():
    assert iso(["UN-MAR-2025"])[0] == ["2025-03"]


def test_unknown_day_and_month_give_the_year():
    assert iso(["UN-UNK-2025", "UN-UN-1958"])[0] == ["2025", "1958"]


def test_lower_case_and_spaces_are_accepted():
    assert iso([" 03-mar-2025 "])[0] == ["2025-03-03"]


def test_date_and_time_in_one_field():
    assert iso(["03-MAR-2025 10:30"])[0] == ["2025-03-03T10:30"]


def test_iso_input_is_kept():
    assert iso(["2025-03-03", "2025-03"])[0] == ["2025-03-03", "2025-03"]


def test_missing_middle_component_uses_a_hyphen_as_sdtmig_shows():
    assert iso(["15-UNK-2025"])[0] == ["2025---15"]
    assert iso(["UN-MAR-2025"], ["10:30"])[0] == ["2025-03--T10:30"]


def test_unknown_time_is_left_out():
    assert iso(["03-MAR-2025"], ["UN:UN"])[0] == ["2025-03-03"]


def test_leap_day_exists_only_in_leap_years():
    values, problems = iso(["29-FEB-2024", "29-FEB-2025"])
    assert values == ["2024-02-29", None]
    assert problems == [None, "impossible date"]


@pytest.mark.parametrize("text", ["31-FEB-2025", "32-JAN-2025", "31-APR-2025", "00-JAN-2025"])
def test_impossible_dates_are_rejected(text):
    values, problems = iso([text])
    assert values == [None] and problems == ["impossible date"]


def test_impossible_time_is_rejected_and_named_as_a_time_problem():
    values, problems = iso(["03-MAR-2025"], ["25:00"])
    assert values == [None] and problems == ["impossible time"]


def test_text_that_is_not_a_date_is_rejected():
    values, problems = iso(["next tuesday", "03/03/2025"])
    assert values == [None, None]
    assert problems == ["not a date in the expected format"] * 2


def test_declared_format_is_used():
    assert iso(["03/04/2025"], date_formats=["%d/%m/%Y"])[0] == ["2025-04-03"]
    assert iso(["03/04/2025"], date_formats=["MM/DD/YYYY"])[0] == ["2025-03-04"]


def test_blank_is_null_without_a_problem():
    assert iso([None, "  "]) == ([None, None], [None, None])


def test_time_without_a_date_is_a_problem():
    assert iso([None], ["10:00"]) == ([None], ["time without a date"])


def test_date_part_is_blank_for_partial_dates():
    got = date_part(pd.Series(["2025-03-03T10:00", "2025-03", None]))
    assert got.iloc[0] == pd.Timestamp("2025-03-03") and got.iloc[1:].isna().all()


def test_date_part_repeated_values_keep_their_rows_and_index():
    got = date_part(pd.Series(["2025-03-03", None, "2025-03", "2025-03-03T08:00", "2025-03-03"], index=[9, 7, 5, 3, 1]))
    assert list(got.index) == [9, 7, 5, 3, 1]
    assert [None if pd.isna(v) else v for v in got] == \
        [pd.Timestamp("2025-03-03"), None, None, pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-03")]


def test_date_part_of_an_empty_or_blank_column_is_all_missing():
    assert date_part(pd.Series([], dtype="object")).empty
    assert date_part(pd.Series([None, None], dtype="object")).isna().all()


def test_is_iso8601():
    assert list(is_iso8601(pd.Series(["2025-03-03T10:30", "2025---15", "2025-3-3", "03-MAR-2025"]))) == \
        [True, True, False, False]


def test_dates_and_times_shared_across_records_pair_up_per_record():
    dates = ["03-MAR-2025", "03-MAR-2025", "31-FEB-2025", "04-MAR-2025", None, "04-MAR-2025 08:15"]
    times = ["10:30", "25:00", "10:30", "10:30", "10:30", None]
    assert iso(dates, times) == (
        ["2025-03-03T10:30", None, None, "2025-03-04T10:30", None, "2025-03-04T08:15"],
        [None, "impossible time", "impossible date", None, "time without a date", None])


def test_iso_day_text_is_the_inverse_of_date_part_and_each_day_is_one_text():
    iso = pd.Series(["2024-06-15T10:30", "2024-06-15", None, "2024-06", "2025-01-02"])
    text = iso_day_text(date_part(iso))
    assert text.tolist() == ["2024-06-15", "2024-06-15", None, None, "2025-01-02"]
    assert text.iloc[0] is text.iloc[1]  # one string per distinct day, shared by its records
