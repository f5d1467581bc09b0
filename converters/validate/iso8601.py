"""ISO 8601 as SDTM uses it (SDTMIG 3.4 section 4.4): validity, complete dates, and comparisons on whole columns."""
from __future__ import annotations

import re
from collections.abc import Callable

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


#: The usual shape of a --DTC value (a complete date, with hours and minutes and perhaps seconds): a value of this
#: shape is an ISO 8601 date/time of DTC_PATTERN with a complete date, whose calendar date is all left to check.
_COMPLETE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?")


def invalid_dtc(values: pd.Series) -> pd.Series:
    """Mask of non-blank values that are not ISO 8601 date/times (or are impossible calendar dates).

    Values of the usual complete shape (:data:`_COMPLETE`) are known to fit the pattern and to start with a
    complete date, so only the other values are matched against the whole pattern."""
    usual = _complete_shape(values.to_numpy(dtype=object))
    bad = pd.Series(False, index=values.index)
    full = pd.Series(usual, index=values.index)
    rest = ~usual
    if rest.any():
        others = values[rest]
        filled = others.ne("")
        shape_ok = others.str.fullmatch(DTC_PATTERN) & others.str.contains(r"\d", regex=True)
        bad[rest] = (filled & ~shape_ok.fillna(False).astype(bool)).to_numpy(dtype=bool)
        full[rest] = (filled & others.str.match(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)).to_numpy(dtype=bool)
    if full.any():
        # their first ten characters are digits and hyphens (no NUL a unicode array would drop): cut as one array
        heads = np.asarray(values[full].to_numpy(dtype=object), dtype="U10").astype(object)
        parsed = pd.to_datetime(pd.Series(heads, index=values.index[full.to_numpy()], dtype=object), format="%Y-%m-%d",
                                errors="coerce")
        bad.loc[parsed.index[parsed.isna()]] = True
    return bad


def invalid_duration(values: pd.Series) -> pd.Series:
    """Mask of non-blank values that are not ISO 8601 durations (or intervals)."""
    filled = values.ne("")
    return filled & ~values.str.fullmatch(DURATION_PATTERN).fillna(False).astype(bool)


def complete_date(values: pd.Series) -> pd.Series:
    """The calendar date of values that carry a complete date (NaT for partial, blank or invalid, and for a date
    outside the days a nanosecond timestamp holds, 1677-09-22 to 2262-04-11: such a year stopped the rules that
    use the dates, DT0004 and DT0019, with an error)."""
    head, ok = _date_heads(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        parsed = pd.to_datetime(head[ok], format="%Y-%m-%d", errors="coerce")
        out[ok] = parsed.where((parsed >= _FIRST_DAY) & (parsed <= _LAST_DAY))
    return out


_FIRST_DAY, _LAST_DAY = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")


def _date_heads(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(first ten characters, whether they are ``\\d{4}-\\d{2}-\\d{2}``) of each text; on whole arrays when every
    value is a ``str`` (a character beyond ASCII: that text by the expression), else with pandas' string methods."""
    objects = values.to_numpy(dtype=object)
    if len(objects) == 0 or pd.api.types.infer_dtype(objects, skipna=False) != "string":
        head = values.str[:10]
        return head, head.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    text = np.asarray(objects, dtype="U10")
    chars = text.view(np.uint32).reshape(len(objects), 10)
    beyond = np.asarray((chars > 127).any(axis=1), dtype=bool)
    ok = ~beyond
    for place in range(10):
        ok &= (chars[:, place] == ord("-")) if place in (4, 7) else ((chars[:, place] >= 48) & (chars[:, place] <= 57))
    head = pd.Series(text.astype(object), index=values.index, dtype=object)
    pattern = re.compile(r"\d{4}-\d{2}-\d{2}")
    for at in np.flatnonzero(beyond):
        ok[at] = pattern.fullmatch(objects[at][:10]) is not None
    return head, pd.Series(ok, index=values.index)


def later_than(first: pd.Series, second: pd.Series) -> pd.Series:
    """Mask where ``first`` is after ``second`` at the precision both share (partial dates compared as far as known).

    Two values are compared as text (hence only values without placeholders, whose text order is time order) on
    the first 19, 16, 13, 10, 7 or 4 characters, the longest that both have.  Every text operation is done once
    per distinct value: each distinct value's length and its rank among the distinct prefixes of each width;
    the records then compare ranks.
    """
    a_codes, a_values = pd.factorize(first, use_na_sentinel=True)
    b_codes, b_values = pd.factorize(second, use_na_sentinel=True)
    return pd.Series(later_than_codes(a_codes, a_values, b_codes, b_values), index=first.index)


#: (sorted distinct prefixes of a width, each value's index among them) of a column's plain texts, by width
Ranks = Callable[[int], tuple[np.ndarray, np.ndarray]]


def later_than_codes(a_codes: np.ndarray, a_values, b_codes: np.ndarray, b_values,
                     a_plain: tuple[np.ndarray, np.ndarray] | None = None,
                     b_plain: tuple[np.ndarray, np.ndarray] | None = None,
                     a_ranks: Ranks | None = None, b_ranks: Ranks | None = None) -> np.ndarray:
    """:func:`later_than` of two columns given as codes into values (code -1: missing, never later); the values
    need not be distinct.  ``a_plain``, ``b_plain``: :func:`plain_texts` of the values when already known;
    ``a_ranks``, ``b_ranks``: their :func:`prefix_ranks` by width when already known (a column's are ranked once
    and shared by the rules that compare it).  One side's prefixes are placed among the other's by a binary
    search, so the two sides are never ranked together."""
    a_ok, a_text = a_plain if a_plain is not None else plain_texts(a_values)
    b_ok, b_text = b_plain if b_plain is not None else plain_texts(b_values)
    both = a_ok[a_codes] & b_ok[b_codes]
    result = np.zeros(len(a_codes), dtype=bool)
    if both.any():
        a_at, b_at = a_codes[both], b_codes[both]
        a_len = np.append(np.char.str_len(a_text), 0).astype(np.int64)
        b_len = np.append(np.char.str_len(b_text), 0).astype(np.int64)
        common = np.minimum(a_len[a_at], b_len[b_at])
        later = np.zeros(len(a_at), dtype=bool)
        for width in (19, 16, 13, 10, 7, 4):
            tier = common >= width
            common = np.where(tier, 0, common)  # each row compared once, at its finest shared precision
            if tier.any():
                a_sorted, a_rank = a_ranks(width) if a_ranks is not None else prefix_ranks(a_text, width)
                b_sorted, b_rank = b_ranks(width) if b_ranks is not None else prefix_ranks(b_text, width)
                # a's prefix is after b's when a's rank passes the a-prefixes up to b's prefix
                below = np.searchsorted(a_sorted, b_sorted, side="right")
                later[tier] = a_rank[a_at[tier]] >= below[b_rank[b_at[tier]]]
        result[both] = later
    return result


def prefix_ranks(text: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(the sorted distinct first ``width`` characters of ``text``, each text's index among them)."""
    prefixes, rank = np.unique(text.astype(f"U{width}"), return_inverse=True)
    return prefixes, rank.reshape(-1).astype(np.int32)


def later_than_value(values: pd.Series, limit: str, plain: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``later_than(values, limit for every value)``: each value compared as text with one date/time ``limit`` at
    the precision both share, with whole-array string comparisons.  ``plain``: :func:`plain_texts` of ``values``
    when already known."""
    ok, text = plain if plain is not None else plain_texts(values)
    result = np.zeros(len(values), dtype=bool)
    if not len(values) or not re.fullmatch(_PLAIN, limit):
        return result
    limit = limit[:19]
    common = np.minimum(np.char.str_len(text), len(limit))
    for width in (19, 16, 13, 10, 7, 4):
        tier = common >= width
        common = np.where(tier, 0, common)  # each value compared once, at its finest shared precision
        if tier.any():
            result[tier] = text[tier].astype(f"U{width}") > limit[:width]
    return result & ok[:-1]


def plain_texts(values) -> tuple[np.ndarray, np.ndarray]:
    """For distinct values: (written without placeholders, with False appended for code -1; text cut to 19, as a
    numpy unicode array)."""
    if len(values) == 0:
        return np.zeros(1, dtype=bool), np.zeros(0, dtype="U19")
    objects = np.asarray(values, dtype=object)
    shape = _ascii_shape(objects)
    if shape is None:
        plain = re.compile(_PLAIN)
        ok = np.fromiter((plain.fullmatch(v if isinstance(v, str) else str(v)) is not None for v in objects),
                         dtype=bool, count=len(objects))
    else:
        ok, _digits, _lengths, beyond = shape
        _match_beyond(ok, objects, beyond, re.compile(_PLAIN))
    return np.append(ok, False), np.asarray(objects, dtype="U19")


#: The separators of a date/time without placeholders by position (``YYYY-MM-DDThh:mm:ss``); digits elsewhere.
_SEPARATORS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}
_PLAIN_LENGTHS = (4, 7, 10, 13, 16, 19)


def _ascii_shape(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Texts matched against :data:`_PLAIN` as whole arrays, one character position at a time: (fits the pattern,
    per position the digit's value (n x 19), length, has a character beyond ASCII).  Only the ASCII texts are
    decided (``\\d`` also matches other scripts' digits: the caller matches the others with the expression);
    None when some value is not a ``str``."""
    if pd.api.types.infer_dtype(objects, skipna=False) != "string":
        return None
    lengths = np.fromiter(map(len, objects), dtype=np.int64, count=len(objects))
    chars = np.asarray(objects, dtype="U19").view(np.uint32).reshape(len(objects), 19)
    beyond = np.asarray((chars > 127).any(axis=1), dtype=bool)
    digits = chars.astype(np.int64) - ord("0")
    ok = np.isin(lengths, _PLAIN_LENGTHS) & ~beyond
    for place in range(19):
        sep = _SEPARATORS.get(place)
        fits = ((digits[:, place] >= 0) & (digits[:, place] <= 9)) if sep is None else chars[:, place] == ord(sep)
        ok &= fits | (lengths <= place)
    return ok, digits, lengths, beyond


def _match_beyond(ok: np.ndarray, objects: np.ndarray, beyond: np.ndarray, pattern: re.Pattern[str]) -> None:
    """Set ``ok`` of the texts with a character beyond ASCII by matching ``pattern`` on each (few: dates are ASCII)."""
    for at in np.flatnonzero(beyond):
        ok[at] = pattern.fullmatch(objects[at]) is not None


def _complete_shape(objects: np.ndarray) -> np.ndarray:
    """``_COMPLETE.fullmatch(v) is not None`` per text, on whole arrays (:func:`_ascii_shape` plus the ranges of
    month, day, hour, minute and second)."""
    shape = _ascii_shape(objects)
    if shape is None:
        return np.fromiter((_COMPLETE.fullmatch(v) is not None for v in objects), dtype=bool, count=len(objects))
    ok, digits, lengths, beyond = shape
    ok &= np.isin(lengths, (10, 16, 19))
    month, day = digits[:, 5] * 10 + digits[:, 6], digits[:, 8] * 10 + digits[:, 9]
    hour, minute, second = digits[:, 11] * 10 + digits[:, 12], digits[:, 14], digits[:, 17]
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (lengths < 16) | ((hour <= 23) & (minute <= 5))
    ok &= (lengths < 19) | (second <= 5)
    _match_beyond(ok, objects, beyond, _COMPLETE)
    return ok


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTMIG 4.4.4 study day: date - reference (+1 on or after the reference day); NaN where either is unknown."""
    delta = (dates - reference).dt.days.astype("float64")
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=dates.index)
