"""ISO 8601 text (SDTM --DTC) to ADaM numeric dates and datetimes, with imputation flags.

Whole-column: each distinct text is parsed once. Imputation follows admiral's ``impute_dtc_dt``/``impute_dtc_dtm``:

- ``highest_imputation``: the highest component that may be imputed: ``n`` (none), ``D`` (day), ``M`` (month and
  day), ``Y`` (year too; needs ``min_dates``/``max_dates`` to be meaningful, so a missing year stays missing here);
  for datetimes also ``h``, ``m``, ``s``;
- ``date_imputation``: ``first``, ``mid`` (15th, or 30 June when the month is missing too) or ``last``;
- ``time_imputation``: ``first`` (00:00:00) or ``last`` (23:59:59);
- ``min_dates``/``max_dates``: per record, dates the imputed value may not precede/exceed when they fall inside the
  range the partial date allows (e.g. an AE that starts in the month of the first dose is imputed to the first dose
  date, not the 1st of that month);
- flags: ``--DTF`` ``D``/``M``/``Y`` for the highest date part imputed, ``--TMF`` ``H``/``M``/``S`` for the highest
  time part imputed (null when nothing was imputed). Dates that are not valid ISO 8601 give null.
"""
from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

from converters.adam.columns import stripped_text

Imputation = Literal["first", "mid", "last"]
_ISO = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
                  r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?)?)?)?$")
#: the SAS epoch: ADaM numeric dates count days (or seconds) from here.
SAS_EPOCH = pd.Timestamp("1960-01-01")


def _codes(conditions: list[np.ndarray], codes: list[str], size: int) -> np.ndarray:
    """An object array holding the code of the first condition that holds, else None."""
    out = np.full(size, None, dtype=object)
    for condition, code in reversed(list(zip(conditions, codes))):
        out[np.asarray(condition, dtype=bool)] = code
    return out


def _parts(text: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """(codes, parts): year..second of each distinct text as floats, one row per distinct text and a last row for
    missing ones, and the row of each record.  A part absent from the text is NaN; a text that is not ISO 8601
    (or blank, or missing) is all NaN.
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = stripped_text(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    parts = pd.concat([distinct.str.extract(_ISO), pd.DataFrame({c: [np.nan] for c in "ymdHMS"})], ignore_index=True)
    return np.where(codes < 0, len(uniques), codes), parts.astype("float64")


def _month_end(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce")
    return (start + pd.offsets.MonthEnd(0)).dt.day.to_numpy(dtype="float64")


def impute_dates(text: pd.Series, highest_imputation: str = "n", date_imputation: Imputation = "first",
                 min_dates: list[pd.Series] | None = None, max_dates: list[pd.Series] | None = None
                 ) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64 normalised to the day, --DTF flags) for ISO 8601 texts."""
    dates, flags, _, _ = _impute(text, highest_imputation, date_imputation, "first", min_dates, max_dates, False)
    return dates, flags


def impute_datetimes(text: pd.Series, highest_imputation: str = "h", date_imputation: Imputation = "first",
                     time_imputation: Literal["first", "last"] = "first",
                     min_dates: list[pd.Series] | None = None, max_dates: list[pd.Series] | None = None
                     ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(datetimes as datetime64, --DTF flags, --TMF flags) for ISO 8601 texts."""
    dtm, dtf, tmf, _ = _impute(text, highest_imputation, date_imputation, time_imputation, min_dates, max_dates, True)
    return dtm, dtf, tmf


_DATE_LEVELS = {"n": 0, "D": 1, "M": 2, "Y": 3}
_TIME_LEVELS = {"n": 0, "s": 1, "m": 2, "h": 3, "D": 4, "M": 5, "Y": 6}


def _impute(text: pd.Series, highest: str, date_imp: str, time_imp: str, min_dates, max_dates, with_time: bool):
    index = text.index
    codes, parts = _parts(text)  # each distinct text worked out once; its records take the result by ``codes``
    y, m, d = (parts[c].to_numpy() for c in ("y", "m", "d"))
    hh, mm, ss = (parts[c].to_numpy() for c in ("H", "M", "S"))
    level = (_TIME_LEVELS if with_time else _DATE_LEVELS).get(highest, 0)
    date_level = max(0, level - 3) if with_time else level
    ok = ~np.isnan(y)
    # date part
    month_missing, day_missing = np.isnan(m) & ok, np.isnan(d) & ok
    allow_m, allow_d = date_level >= 2, date_level >= 1
    if not allow_m:
        ok &= ~month_missing
    if not allow_d:
        ok &= ~day_missing
    month_first = {"first": 1.0, "mid": 6.0, "last": 12.0}[date_imp]
    m_imp = np.where(month_missing, month_first, m)
    day_first = {"first": 1.0, "mid": 15.0, "last": np.nan}[date_imp]
    if date_imp == "mid":
        day_first_arr = np.where(month_missing, 30.0, 15.0)
    else:
        day_first_arr = np.full(len(y), day_first)
    ends = _month_end(np.nan_to_num(y, nan=2000).astype(int), np.nan_to_num(m_imp, nan=1).astype(int))
    d_imp = np.where(day_missing, np.where(np.isnan(day_first_arr), ends, day_first_arr), d)
    dtf = _codes([month_missing, day_missing], ["M", "D"], len(y))
    # time part
    tmf = np.full(len(y), None, dtype=object)
    if with_time:
        time_level = min(level, 3)
        fill = {"first": (0.0, 0.0, 0.0), "last": (23.0, 59.0, 59.0)}[time_imp]
        h_miss, m_miss, s_miss = np.isnan(hh), np.isnan(mm), np.isnan(ss)
        for missing, needed in ((h_miss, 3), (m_miss, 2), (s_miss, 1)):
            if time_level < needed:
                ok &= ~missing
        hh = np.where(h_miss, fill[0], hh)
        mm = np.where(m_miss, fill[1], mm)
        ss = np.where(s_miss, fill[2], ss)
        tmf = _codes([h_miss, m_miss, s_miss], ["H", "M", "S"], len(y))
    frame = pd.DataFrame({"year": np.where(ok, y, 2000), "month": np.where(ok, m_imp, 1),
                          "day": np.where(ok, d_imp, 1)})
    if with_time:
        frame["hour"], frame["minute"], frame["second"] = np.where(ok, hh, 0), np.where(ok, mm, 0), np.where(ok, ss, 0)
    values = pd.to_datetime(frame.astype("int64"), errors="coerce")
    values = values.where(ok)
    ok = ok & values.notna().to_numpy()
    # restrict to min/max dates that fall inside the range the partial date allows
    if min_dates or max_dates:
        lo = pd.to_datetime(pd.DataFrame({"year": np.where(ok, y, 2000), "month": np.where(month_missing, 1,
                                          np.nan_to_num(m, nan=1)), "day": np.where(day_missing, 1,
                                          np.nan_to_num(d, nan=1))}).astype("int64"), errors="coerce")
        hi_m = np.where(month_missing, 12, np.nan_to_num(m, nan=1))
        hi_ends = _month_end(np.nan_to_num(y, nan=2000).astype(int), hi_m.astype(int))
        hi = pd.to_datetime(pd.DataFrame({"year": np.where(ok, y, 2000), "month": hi_m,
                                          "day": np.where(day_missing, hi_ends, np.nan_to_num(d, nan=1))}
                                         ).astype("int64"), errors="coerce")
        lo = pd.Series(lo.to_numpy()[codes], index=index)
        hi = pd.Series(hi.to_numpy()[codes], index=index)
    values = pd.Series(values.to_numpy()[codes], index=index)
    ok, dtf, tmf = ok[codes], dtf[codes], tmf[codes]
    if min_dates or max_dates:
        partial = pd.Series((month_missing | day_missing)[codes], index=index)
        for ref in min_dates or []:
            ref = pd.to_datetime(ref).dt.normalize() if not with_time else pd.to_datetime(ref)
            inside = partial & ref.notna() & (ref.dt.normalize() >= lo) & (ref.dt.normalize() <= hi) & (values < ref)
            values = values.where(~inside, ref)
        for ref in max_dates or []:
            ref = pd.to_datetime(ref)
            inside = partial & ref.notna() & (ref.dt.normalize() >= lo) & (ref.dt.normalize() <= hi) & (values > ref)
            values = values.where(~inside, ref)
    if not with_time:
        values = values.dt.normalize()
    dtf[~ok] = None
    tmf[~ok] = None
    dtf_series = pd.Series(dtf, index=index, dtype=object)
    tmf_series = pd.Series(tmf, index=index, dtype=object)
    return values, dtf_series, tmf_series, ok


def to_sas_date(values: pd.Series) -> pd.Series:
    """Days since 1960-01-01 (float, NaN for missing): what an ADaM numeric date holds in XPT."""
    return (pd.to_datetime(values) - SAS_EPOCH).dt.days.astype("float64")


def study_day(date: pd.Series, reference: pd.Series) -> pd.Series:
    """ADaM relative day: date - reference + 1 when on or after the reference, else date - reference (no day 0)."""
    delta = (pd.to_datetime(date).dt.normalize() - pd.to_datetime(reference).dt.normalize()).dt.days
    return (delta + (delta >= 0).astype("float64")).astype("float64")
