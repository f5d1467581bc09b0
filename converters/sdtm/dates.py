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


@dataclass
class DateResult:
    """ISO 8601 values, and for each row that could not be converted the reason (else null)."""

    iso: pd.Series
    problem: pd.Series


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
    Each distinct (date, time) pair is parsed once.
    """
    from converters.sdtm.columns import map_unique_frame

    frame = pd.DataFrame({"d": date.astype("object"),
                          "t": time.astype("object") if time is not None else None}, index=date.index)

    def parse(unique: pd.DataFrame) -> pd.DataFrame:
        got = _to_iso8601(unique["d"], unique["t"] if time is not None else None, date_formats=date_formats,
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


def _to_iso8601(date: pd.Series, time: pd.Series | None = None, *, date_formats=None,
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

    The pattern check runs once per distinct value (dates repeat across records).
    """
    from converters.sdtm.columns import map_unique

    return pd.to_datetime(map_unique(iso, _full_date_text), format="%Y-%m-%d", errors="coerce")


def is_iso8601(values: pd.Series) -> pd.Series:
    """True where a value is ISO 8601 text as SDTM uses it (partial and hyphen-missing forms allowed)."""
    pattern = (r"^(\d{4}|-)(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:(\d{2}(\.\d+)?|-))?)?)?)?)?$")
    return values.astype("string").str.match(pattern).fillna(False).astype(bool)
