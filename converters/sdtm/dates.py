"""Collected dates and times to ISO 8601 (the ``datetime`` algorithm).

CRF dates such as ``03-MAR-2025`` (unknown parts ``UN``/``UNK``, e.g.
``UN-MAR-2025``) and times ``HH:MM`` become ISO 8601 text.  Partial dates stay
partial (``UN-MAR-2025`` -> ``2025-03``); a missing component in the middle is
written as a hyphen, as SDTMIG 3.4 section 4.4.4 shows (``2025---15``,
``2025-03--T10:30``).  Text that is not a date, or a date that cannot exist
(``31-FEB-2025``, hour 25), is never guessed: it becomes null and is reported.

Everything is whole-column string work; there is no per-record Python loop.
"""
from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from converters.algorithms.date_formats import (  # noqa: F401  (the layouts are named here too)
    _UNKNOWN,
    DATE_FORMATS,
    DEFAULT_DATE_FORMATS,
    DEFAULT_TIME_FORMATS,
    FORMAT_SYNONYMS,
    MONTHS,
    TIME_FORMATS,
    canonical_format,
)
from converters.sdtm.columns import distinct_rows, distinct_text, take


@dataclass
class DateResult:
    """ISO 8601 values, and for each row that could not be converted the reason (else null)."""

    iso: pd.Series
    problem: pd.Series
    #: the ISO values trimmed (object, None for missing) and whether all of it is ASCII, and the collected date text
    #: trimmed (None for blank), known from the distinct values when the conversion worked on them
    text: tuple[pd.Series, bool] | None = None
    collected: pd.Series | None = None


def _text(values: pd.Series) -> pd.Series:
    # pandas-stubs: replace() takes pd.NA
    return values.astype("string").str.strip().str.upper().replace("", pd.NA)  # type: ignore[call-overload]


def _parts(text: pd.Series, patterns: dict[str, str], formats) -> pd.DataFrame:
    """Extract named groups with the first layout that matches each value."""
    found = None
    for fmt in formats:
        got = text.str.extract(patterns[fmt], expand=True)
        got["__ok__"] = text.str.match(patterns[fmt]).fillna(False).astype(bool)
        if found is None:
            found = got
        else:
            take = ~found["__ok__"] & got["__ok__"]
            for col in got.columns:
                if col not in found.columns:
                    found[col] = pd.NA
                found[col] = found[col].where(~take, got[col])
    if found is None:
        raise ValueError("no date/time formats to match the values against")
    return found


def _number(part: pd.Series | None, index) -> pd.Series:
    if part is None:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    text = part.astype("string")
    digits = text.where(text.str.fullmatch(r"\d+").fillna(False).astype(bool))
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


def _month(part: pd.Series | None, index) -> pd.Series:
    if part is None:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    text = part.astype("string")
    named = pd.to_numeric(text.map(MONTHS, na_action="ignore"), errors="coerce").astype("float64")
    digits = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,2}").fillna(False).astype(bool)),
                           errors="coerce").astype("float64")
    return named.fillna(digits).astype("Int64")


def _known(part: pd.Series | None, index) -> pd.Series:
    """True where a component was given (not blank and not an unknown marker)."""
    if part is None:
        return pd.Series(False, index=index)
    text = part.astype("string")
    return (text.notna() & ~text.str.fullmatch(_UNKNOWN).fillna(False).astype(bool)).fillna(False).astype(bool)


def to_iso8601(date: pd.Series, time: pd.Series | None = None, *, date_formats=None,
               time_formats=None) -> DateResult:
    """Collected date (and optional time) text to ISO 8601, keeping partial dates partial.

    A single field may hold date and time separated by a space or ``T``.  Returns
    the ISO values and, per row, why a non-blank value could not be converted.
    Each distinct date and time text is parsed once (and once per process: both field parsers keep an LRU cache);
    the rules that combine a date with its time run as whole-array operations on the distinct (date, time) pairs.
    """
    dformats = tuple(canonical_format(f) for f in (date_formats or DEFAULT_DATE_FORMATS))
    tformats = tuple(canonical_format(f) for f in (time_formats or DEFAULT_TIME_FORMATS))
    dcodes, dtexts = distinct_text(date)
    if time is not None:
        tcodes, ttexts = distinct_text(time)
    else:
        tcodes, ttexts = np.full(len(date), -1, dtype=np.int64), []
    times = _TimeTable(tformats)
    dates = _DateTable(dtexts, dformats, times)
    time_column = np.array([times.add(text.strip().upper() or None) for text in ttexts] + [-1], dtype=np.int64)
    codes, first = distinct_rows([dcodes, tcodes])
    d = dcodes[first]  # -1 (blank) indexes each table's last entry: the blank one
    t = time_column[tcodes[first]]
    t = np.where(t >= 0, t, dates.split[d])  # a blank time field takes the time the date field carries
    t_ok, t_bad, t_iso, t_slow = times.arrays()
    d_blank, t_blank = dates.blank[d], t < 0
    problem = np.full(len(first), None, dtype=object)
    open_ = np.ones(len(first), dtype=bool)
    for found, reason in ((~d_blank & ~dates.ok[d], "not a date in the expected format"),
                          (~t_blank & ~t_ok[t], "not a time in the expected format"),
                          (dates.bad[d], "impossible date"), (t_bad[t], "impossible time"),
                          (~d_blank & ~dates.year[d], "date without a year"),
                          (d_blank & ~t_blank, "time without a date")):
        hit = found & open_
        problem[hit] = reason
        open_ &= ~hit
    ok = open_ & ~d_blank
    iso = np.full(len(first), None, dtype=object)
    with_time = ok & (t_iso[t] != "")
    iso[with_time] = dates.full[d[with_time]] + t_iso[t[with_time]]
    date_only = ok & ~with_time & (dates.truncated[d] != "")
    iso[date_only] = dates.truncated[d[date_only]]
    slow = np.flatnonzero(dates.slow[d] | t_slow[t])  # non-ASCII text: converted by the whole-column reference
    if len(slow):
        pick = first[slow]
        dvals = pd.Series([dtexts[c] if c >= 0 else None for c in dcodes[pick]], dtype="object")
        tvals = pd.Series([ttexts[c] if c >= 0 else None for c in tcodes[pick]], dtype="object")
        got = _to_iso8601(dvals, tvals if time is not None else None, date_formats=date_formats,
                          time_formats=time_formats)
        iso[slow] = got.iso.to_numpy(dtype=object)
        problem[slow] = got.problem.to_numpy(dtype=object)
    trimmed = np.empty(len(iso), dtype=object)
    trimmed[:] = [(value.strip() or None) if isinstance(value, str) else None for value in iso]
    ascii_only = all(value.isascii() for value in trimmed if value is not None)
    collected = None
    if date.dtype == object or isinstance(date.dtype, pd.StringDtype):
        collected = pd.Series(take([text.strip() or None for text in dtexts], dcodes), index=date.index,
                              dtype="object", copy=False)
    return DateResult(iso=pd.Series(iso[codes], index=date.index, dtype="object", name="iso", copy=False),
                      problem=pd.Series(problem[codes], index=date.index, dtype="object", name="problem",
                                        copy=False),
                      text=(pd.Series(trimmed[codes], index=date.index, dtype="object", copy=False), ascii_only),
                      collected=collected)


class _TimeTable:
    """The distinct time texts of one conversion (time fields and times carried by date fields), numbered."""

    def __init__(self, formats: tuple) -> None:
        self.formats = formats
        self.number: dict[str, int] = {}
        self.fields: list[tuple | None] = []

    def add(self, text: str | None) -> int:
        """The number of a trimmed, upper-case time text (-1 for blank)."""
        if text is None:
            return -1
        found = self.number.get(text)
        if found is None:
            found = self.number[text] = len(self.fields)
            self.fields.append(_time_text_fields(text, self.formats) if text.isascii() else None)
        return found

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """ok, bad, ISO text (``T10:30``, empty when no part is known) and non-ASCII, per number; blank last."""
        rows: list[tuple[bool, bool, str, bool]] = []
        for fields in self.fields:
            if fields is None:
                rows.append((False, False, "", True))
                continue
            tok, tbad, known, texts = fields
            last = max((i for i, k in enumerate(known) if k), default=-1)
            rows.append((tok, tbad, "".join(("T", ":", ":")[i] + (texts[i] if known[i] else "-")
                                            for i in range(last + 1)), False))
        rows.append((False, False, "", False))
        ok, bad, iso, slow = zip(*rows)
        return (np.array(ok, dtype=bool), np.array(bad, dtype=bool), np.array(iso, dtype=object),
                np.array(slow, dtype=bool))


class _DateTable:
    """Per distinct date text: blank, the time it carries (number in ``times``), ok, bad, year known, the date
    with every part (``2025---15``), the date cut after its last known part, non-ASCII; a blank entry last."""

    def __init__(self, texts: list[str], formats: tuple, times: _TimeTable) -> None:
        rows: list[tuple[bool, int, bool, bool, bool, str, str, bool]] = []
        for text in texts:
            carried, row = _date_row(text, formats)
            rows.append((row[0], times.add(carried), *row[1:]))
        rows.append((True, -1, False, False, False, "", "", False))
        blank, split_, ok, bad, year, full, truncated, slow = zip(*rows)
        self.blank, self.ok, self.bad = np.array(blank, dtype=bool), np.array(ok, dtype=bool), np.array(bad, dtype=bool)
        self.year, self.slow = np.array(year, dtype=bool), np.array(slow, dtype=bool)
        self.split = np.array(split_, dtype=np.int64)
        self.full, self.truncated = np.array(full, dtype=object), np.array(truncated, dtype=object)


_COMBINED = re.compile(r"^(?P<d>\S+?)(?:[ T](?P<t>\d{1,2}:\S+))$")
_DIGITS, _DIGITS2 = re.compile(r"\d+"), re.compile(r"\d{1,2}")
_UNKNOWN_PART = re.compile(_UNKNOWN)
_PATTERNS = {name: re.compile(pattern) for name, pattern in {**DATE_FORMATS, **TIME_FORMATS}.items()}
#: (ok, bad, known flags, ISO texts) of each date and time text met so far, by (text, formats): dates and times
#: repeat across columns, domains and batches.
_CACHE_LIMIT = 1_000_000  # distinct (text, formats) pairs remembered per process by each field parser
_ROW_CACHE_LIMIT = 200_000  # date texts whose whole table row is remembered (the rows are larger)


@functools.lru_cache(maxsize=_ROW_CACHE_LIMIT)
def _date_row(text: str, formats: tuple) -> tuple[str | None, tuple[bool, bool, bool, bool, str, str, bool]]:
    """The time text a date field carries (None) and the date's ``_DateTable`` row without the time's number:
    blank, ok, bad, year known, full date, truncated date, non-ASCII (dates repeat across columns and batches)."""
    d: str | None = text.strip().upper() or None
    carried = None
    if d is not None:
        combined = _COMBINED.match(d)
        if combined is not None:
            d, carried = combined.group("d"), combined.group("t")
    if d is None or not d.isascii():
        return carried, (d is None, False, False, False, "", "", d is not None)
    dok, dbad, known, parts = _date_text_fields(d, formats)
    pieces = [("", "-", "-")[i] + (parts[i] if known[i] else "-") for i in range(3)]
    last = max((i for i, k in enumerate(known) if k), default=-1)
    return carried, (False, dok, dbad, known[0], "".join(pieces), "".join(pieces[:last + 1]), False)


def _groups(text: str, formats: tuple) -> tuple[bool, dict[str, str | None]]:
    """Whether a layout matches ``text`` and the named groups of the first that does (as ``_parts``)."""
    for fmt in formats:
        found = _PATTERNS[fmt].match(text)
        if found is not None:
            return True, found.groupdict()
    return False, {}


def _int(part: str | None, pattern: re.Pattern) -> int | None:
    return int(part) if part is not None and pattern.fullmatch(part) else None


def _known_part(part: str | None, value: int | None) -> bool:
    return part is not None and value is not None and _UNKNOWN_PART.fullmatch(part) is None


@functools.lru_cache(maxsize=_CACHE_LIMIT)
def _date_text_fields(text: str, formats: tuple) -> tuple:
    """``_date_fields`` of one ASCII date text: (ok, bad, (ky, km, kd), (y, m, d) ISO texts)."""
    ok, groups = _groups(text, formats)
    if not ok:
        got = (False, False, (False, False, False), ("", "", ""))
    else:
        yp, mp, dp = groups.get("y"), groups.get("m"), groups.get("d")
        y, d = _int(yp, _DIGITS), _int(dp, _DIGITS)
        m = int(MONTHS[mp]) if mp in MONTHS else _int(mp, _DIGITS2)
        ky, km, kd = _known_part(yp, y), _known_part(mp, m), _known_part(dp, d)
        bad = (ky and not 1800 <= y <= 2200) or (km and not 1 <= m <= 12) or (kd and not 1 <= d <= 31)  # type: ignore[operator]
        if ky and km and kd and not bad:
            try:
                datetime.date(y, m, d)  # type: ignore[arg-type]
            except ValueError:
                bad = True
        got = (True, bool(bad), (ky, km, kd),
               (str(y).zfill(4) if ky else "", str(m).zfill(2) if km else "", str(d).zfill(2) if kd else ""))
    return got


@functools.lru_cache(maxsize=_CACHE_LIMIT)
def _time_text_fields(text: str, formats: tuple) -> tuple:
    """``_time_fields`` of one ASCII time text: (ok, bad, (kh, kmi, ks), (h, mi, s) ISO texts)."""
    ok, groups = _groups(text, formats)
    if not ok:
        got = (False, False, (False, False, False), ("", "", ""))
    else:
        hp, mip, sp = groups.get("h"), groups.get("mi"), groups.get("s")
        h, mi, sec = _int(hp, _DIGITS), _int(mip, _DIGITS), _int(sp, _DIGITS)
        kh, kmi, ks = _known_part(hp, h), _known_part(mip, mi), _known_part(sp, sec)
        bad = (kh and not 0 <= h <= 23) or (kmi and not 0 <= mi <= 59) or (ks and not 0 <= sec <= 59)  # type: ignore[operator]
        got = (True, bool(bad), (kh, kmi, ks),
               (str(h).zfill(2) if kh else "", str(mi).zfill(2) if kmi else "", str(sec).zfill(2) if ks else ""))
    return got


def _to_iso8601(date: pd.Series, time: pd.Series | None = None, *, date_formats=None,
                time_formats=None) -> DateResult:
    """The whole-column reference conversion (pandas string methods): used for text holding non-ASCII characters
    (digits of other scripts), whose parsing ``_convert`` leaves to pandas."""
    from converters.sdtm.columns import map_unique_frame

    frame = pd.DataFrame({"d": date.astype("object"),
                          "t": time.astype("object") if time is not None else None}, index=date.index)

    def parse(unique: pd.DataFrame) -> pd.DataFrame:
        got = _pair_iso8601(unique["d"], unique["t"] if time is not None else None, date_formats=date_formats,
                            time_formats=time_formats)
        return pd.DataFrame({"iso": got.iso, "problem": got.problem})

    out = map_unique_frame(frame, parse)
    iso = out["iso"].astype("object").where(out["iso"].notna(), None)
    problem = out["problem"].astype("object").where(out["problem"].notna(), None)
    return DateResult(iso=iso, problem=problem)


def _per_distinct(values: pd.Series, fn) -> pd.DataFrame:
    """``fn`` (text -> frame) run on the distinct values of ``values`` only, broadcast back to its rows."""
    from converters.sdtm.columns import map_unique_frame

    return map_unique_frame(values.astype("object").to_frame("v"), lambda u: fn(u["v"]))


def _split(date: pd.Series) -> pd.DataFrame:
    """Normalised date text, and the time a date field carries itself ("03-MAR-2025 10:30", "2025-03-03T10:30")."""
    dtext = _text(date)
    combined = dtext.str.extract(r"^(?P<d>\S+?)(?:[ T](?P<t>\d{1,2}:\S+))$", expand=True)
    has_time = combined["t"].notna()
    return pd.DataFrame({"d": dtext.where(~has_time, combined["d"]), "t": combined["t"]}, index=date.index)


def _date_fields(text: pd.Series, formats) -> pd.DataFrame:
    """Per date text: layout matched, year/month/day, which are known, their ISO text, and impossible dates."""
    text = text.astype("string")
    index = text.index
    dp = _parts(text, DATE_FORMATS, formats)
    y, m, d = _number(dp.get("y"), index), _month(dp.get("m"), index), _number(dp.get("d"), index)
    ky, km, kd = _known(dp.get("y"), index) & y.notna(), _known(dp.get("m"), index) & m.notna(), \
        _known(dp.get("d"), index) & d.notna()
    bad = pd.Series(False, index=index)
    bad |= ky & ((y < 1800) | (y > 2200)).fillna(False)
    bad |= km & ((m < 1) | (m > 12)).fillna(False)
    bad |= kd & ((d < 1) | (d > 31)).fillna(False)
    full = ky & km & kd & ~bad
    if full.any():
        stamp = pd.to_datetime(pd.DataFrame({"year": y[full].astype("int64"), "month": m[full].astype("int64"),
                                             "day": d[full].astype("int64")}), errors="coerce")
        bad_day = pd.Series(False, index=index)
        bad_day[full] = stamp.isna().to_numpy()
        bad |= bad_day
    ok = dp["__ok__"].astype(bool)
    return pd.DataFrame({"ok": ok, "bad": bad & ok, "ky": ky, "km": km, "kd": kd,
                         "y": y.astype("string").str.zfill(4), "m": m.astype("string").str.zfill(2),
                         "d": d.astype("string").str.zfill(2)}, index=index)


def _time_fields(text: pd.Series, formats) -> pd.DataFrame:
    """Per time text: layout matched, which of hour/minute/second are known, their ISO text, and impossible times."""
    text = text.astype("string")
    index = text.index
    tp = _parts(text, TIME_FORMATS, formats)
    h, mi, s = _number(tp.get("h"), index), _number(tp.get("mi"), index), _number(tp.get("s"), index)
    kh, kmi, ks = _known(tp.get("h"), index) & h.notna(), _known(tp.get("mi"), index) & mi.notna(), \
        _known(tp.get("s"), index) & s.notna()
    bad = pd.Series(False, index=index)
    bad |= kh & ((h < 0) | (h > 23)).fillna(False)
    bad |= kmi & ((mi < 0) | (mi > 59)).fillna(False)
    bad |= ks & ((s < 0) | (s > 59)).fillna(False)
    ok = tp["__ok__"].astype(bool)
    return pd.DataFrame({"ok": ok, "bad": bad & ok, "kh": kh, "kmi": kmi, "ks": ks,
                         "h": h.astype("string").str.zfill(2), "mi": mi.astype("string").str.zfill(2),
                         "s": s.astype("string").str.zfill(2)}, index=index)


def _pair_iso8601(date: pd.Series, time: pd.Series | None = None, *, date_formats=None,
                  time_formats=None) -> DateResult:
    """The conversion on distinct (date, time) pairs; dates and times are each parsed once per distinct text."""
    index = date.index
    dformats = [canonical_format(f) for f in (date_formats or DEFAULT_DATE_FORMATS)]
    tformats = [canonical_format(f) for f in (time_formats or DEFAULT_TIME_FORMATS)]
    split = _per_distinct(date, _split)
    dtext = split["d"].astype("string")
    ttext = (_per_distinct(time, lambda u: _text(u).to_frame("t"))["t"].astype("string") if time is not None
             else pd.Series(pd.NA, index=index, dtype="string"))
    has_time = split["t"].notna()
    ttext = ttext.where(~(has_time & ttext.isna()), split["t"].astype("string"))

    dp = _per_distinct(dtext, lambda u: _date_fields(u, dformats))
    tp = _per_distinct(ttext, lambda u: _time_fields(u, tformats))
    blank_date = dtext.isna()
    blank_time = ttext.isna()
    problem = pd.Series(None, index=index, dtype="object")
    problem = problem.mask(~blank_date & ~dp["ok"], "not a date in the expected format")
    problem = problem.mask(~blank_time & ~tp["ok"] & problem.isna(), "not a time in the expected format")
    ky = dp["ky"].astype(bool)
    problem = problem.mask(dp["bad"].astype(bool) & problem.isna(), "impossible date")
    problem = problem.mask(tp["bad"].astype(bool) & problem.isna(), "impossible time")
    no_year = dp["ok"].astype(bool) & ~ky & ~blank_date
    problem = problem.mask(no_year & problem.isna(), "date without a year")
    time_only = blank_date & ~blank_time & problem.isna()
    problem = problem.mask(time_only, "time without a date")

    ok = problem.isna() & ~blank_date
    comps = [(dp["ky"], dp["y"], ""), (dp["km"], dp["m"], "-"), (dp["kd"], dp["d"], "-"),
             (tp["kh"], tp["h"], "T"), (tp["kmi"], tp["mi"], ":"), (tp["ks"], tp["s"], ":")]
    known = np.column_stack([k.to_numpy(dtype=bool) for k, _, _ in comps])
    # index of the last known component: everything after it is right-truncated
    last = np.where(known.any(axis=1), known.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1), -1)
    out = pd.Series("", index=index, dtype="string")
    for i, (k, text, sep) in enumerate(comps):
        use = pd.Series(last >= i, index=index)
        piece = text.astype("string").where(k.astype(bool), "-")
        out = out.where(~use, out + sep + piece.fillna("-"))
    iso = out.where(ok & (out != ""), None).astype("object")
    iso = iso.where(iso.notna(), None)
    return DateResult(iso=iso, problem=problem.where(~(blank_date & blank_time), None))


def _full_date_text(iso: pd.Series) -> pd.Series:
    """The ``YYYY-MM-DD`` start of each value that has one (null otherwise)."""
    text = iso.astype("string").str.slice(0, 10)
    return text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool))


def date_part(iso: pd.Series) -> pd.Series:
    """The calendar date of full ISO dates/datetimes as datetime64 (NaT for partial or missing).

    The pattern check and the parsing run once per distinct value (dates repeat across records).
    """
    codes, text = distinct_text(iso)
    days = [value[:10] if _FULL_DAY.fullmatch(value[:10]) else None for value in text]
    parsed = pd.to_datetime(pd.Series([*days, None], dtype="object"), format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=iso.index, dtype=parsed.dtype)


def iso_day_text(dates: pd.Series) -> pd.Series:
    """Calendar days as ISO 8601 text (``2024-06-15``; None for NaT), the inverse of :func:`date_part`: each distinct
    day written once and its records sharing that text (SV has a record per subject and visit, and days repeat)."""
    codes, days = pd.factorize(dates, use_na_sentinel=True)
    text = np.empty(len(days) + 1, dtype=object)  # the last entry, None, for code -1 (NaT)
    text[:-1] = pd.Series(days).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    return pd.Series(text[codes], index=dates.index, dtype=object)


_FULL_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_iso8601(values: pd.Series) -> pd.Series:
    """True where a value is ISO 8601 text as SDTM uses it (partial and hyphen-missing forms allowed)."""
    pattern = (r"^(\d{4}|-)(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:(\d{2}(\.\d+)?|-))?)?)?)?)?$")
    return values.astype("string").str.match(pattern).fillna(False).astype(bool)
