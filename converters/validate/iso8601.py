"""ISO 8601 as SDTM uses it (SDTMIG 3.4 section 4.4): validity, complete dates, and comparisons on whole columns."""
from __future__ import annotations

import numpy as np
import pandas as pd

_YEAR = r"(?:\d{4}|-)"
_MONTH = r"(?:0[1-9]|1[0-2]|-)"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|-)"
_TIME = r"T(?:[01]\d|2[0-3]|-)(?::(?:[0-5]\d|-)(?::[0-5]\d(?:\.\d+)?)?)?"
_ZONE = r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?"
DATETIME = rf"{_YEAR}(?:-{_MONTH}(?:-{_DAY}(?:{_TIME}{_ZONE})?)?)?"
_NUM = r"\d+(?:[.,]\d+)?"
DURATION = (rf"-?P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
            rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)")
INTERVAL = rf"(?:{DATETIME}|{DURATION})/(?:{DATETIME}|{DURATION})"
#: A value of an SDTM --DTC variable: a date/time (possibly partial), or an interval.
DTC_PATTERN = rf"(?:{DATETIME}|{INTERVAL})"
#: A value of an SDTM --DUR / --ELTM / --EVLINT variable.
DURATION_PATTERN = rf"(?:{DURATION}|{INTERVAL})"
#: A date/time written without hyphen placeholders, so that text order is time order.
_PLAIN = r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2})?)?)?)?)?"


def invalid_dtc(values: pd.Series) -> pd.Series:
    """Mask of non-blank values that are not ISO 8601 date/times (or are impossible calendar dates)."""
    filled = values.ne("")
    shape_ok = values.str.fullmatch(DTC_PATTERN) & values.str.contains(r"\d", regex=True)
    bad = filled & ~shape_ok.fillna(False).astype(bool)
    full = filled & values.str.match(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    if full.any():
        parsed = pd.to_datetime(values[full].str[:10], format="%Y-%m-%d", errors="coerce")
        bad.loc[parsed.index[parsed.isna()]] = True
    return bad


def invalid_duration(values: pd.Series) -> pd.Series:
    """Mask of non-blank values that are not ISO 8601 durations (or intervals)."""
    filled = values.ne("")
    return filled & ~values.str.fullmatch(DURATION_PATTERN).fillna(False).astype(bool)


def complete_date(values: pd.Series) -> pd.Series:
    """The calendar date of values that carry a complete date (NaT for partial, blank or invalid)."""
    head = values.str[:10]
    ok = head.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(head[ok], format="%Y-%m-%d", errors="coerce")
    return out


def _plain_mask(values: pd.Series) -> np.ndarray:
    """Values written without placeholders (evaluated once per distinct value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.zeros(len(values), dtype=bool)
    ok = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.fullmatch(_PLAIN).to_numpy(dtype=bool)
    return np.append(ok, False)[codes]


def later_than(first: pd.Series, second: pd.Series) -> pd.Series:
    """Mask where ``first`` is after ``second`` at the precision both share (partial dates compared as far as known).

    Compared once per distinct pair of values: a study's records hold few distinct (date, date) pairs.
    """
    a_codes, a_values = pd.factorize(first, use_na_sentinel=True)
    b_codes, b_values = pd.factorize(second, use_na_sentinel=True)
    pair = (a_codes.astype(np.int64) + 1) * (len(b_values) + 1) + (b_codes.astype(np.int64) + 1)
    pair_codes, pairs = pd.factorize(pair)
    if len(pairs) == 0:
        return pd.Series(np.zeros(len(first), dtype=bool), index=first.index)
    a_pick, b_pick = pairs // (len(b_values) + 1) - 1, pairs % (len(b_values) + 1) - 1
    a = pd.Series(np.append(np.asarray(a_values, dtype=object), np.nan)[a_pick], dtype=object)
    b = pd.Series(np.append(np.asarray(b_values, dtype=object), np.nan)[b_pick], dtype=object)
    return pd.Series(_later_than_values(a, b)[pair_codes], index=first.index)


def _later_than_values(first: pd.Series, second: pd.Series) -> np.ndarray:
    """:func:`later_than` of two aligned Series of values (missing never later), as a boolean array."""
    both = _plain_mask(first) & _plain_mask(second)
    result = np.zeros(len(first), dtype=bool)
    if both.any():
        a = np.asarray(first.to_numpy(dtype=object)[both], dtype="U19")
        b = np.asarray(second.to_numpy(dtype=object)[both], dtype="U19")
        common = np.minimum(np.char.str_len(a), np.char.str_len(b))
        later = np.zeros(len(a), dtype=bool)
        for width in (19, 16, 13, 10, 7, 4):
            tier = common >= width
            common = np.where(tier, 0, common)  # each row compared once, at its finest shared precision
            if tier.any():
                later[tier] = a[tier].astype(f"U{width}") > b[tier].astype(f"U{width}")
        result[both] = later
    return result


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTMIG 4.4.4 study day: date - reference (+1 on or after the reference day); NaN where either is unknown."""
    delta = (dates - reference).dt.days.astype("float64")
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=dates.index)
