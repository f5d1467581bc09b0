"""ISO 8601 text (SDTM --DTC) to ADaM numeric dates and datetimes, with imputation flags.

Whole-column: each distinct text is parsed once. Imputation follows admiral's ``impute_dtc_dt``/``impute_dtc_dtm``:

- ``highest_imputation``: the highest component that may be imputed: ``n`` (none), ``D`` (day), ``M`` (month and
  day), ``Y`` (year too; needs ``min_dates``/``max_dates`` to be meaningful, so a missing year stays missing here);
  for datetimes also ``h``, ``m``, ``s``;
- ``date_imputation``: ``first``, ``mid`` (15th, or 30 June when the month is missing too) or ``last``;
- ``time_imputation``: ``first`` (00:00:00) or ``last`` (23:59:59);
- ``min_dates``/``max_dates``: per record, dates the imputed value may not precede/exceed when they fall inside the
  range the partial date allows (e.g. an AE that starts in the month of the first dose is imputed to the first dose
  date, not the 1st of that month); minimum dates apply first, then maximum dates, so a maximum wins (an AE start
  with ``max_dates: [AENDT]`` is never imputed past its own end); with times the range runs to the second
  (``2024-06-10`` spans that whole day);
- ``preserve``: a part after a missing one (``2024---15``: the day after a missing month; ``2024-06-15T-:30``: the
  minute after a missing hour) is imputed as missing too unless ``preserve`` is true, as admiral does; the possible
  range for ``min_dates``/``max_dates`` always treats it as missing;
- flags: ``--DTF`` ``D``/``M``/``Y`` for the highest date part imputed, ``--TMF`` ``H``/``M``/``S`` for the highest
  time part imputed (null when nothing was imputed). Dates that are not valid ISO 8601 give null; ``-`` stands for a
  missing part anywhere (SDTMIG 3.4 section 4.4.4: ``2024---15``, ``--06-15``, ``2024-06-15T-:30``).
"""
from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

from converters.adam.columns import stripped_text

Imputation = Literal["first", "mid", "last"]
#: an ISO 8601 date/time with right truncation and ``-`` for a missing part in the middle (SDTMIG 3.4 4.4.4).
_ISO = re.compile(r"^(?:(?P<y>\d{4})|-)(?:-(?:(?P<m>\d{2})|-)(?:-(?:(?P<d>\d{2})|-)"
                  r"(?:T(?:(?P<H>\d{2})|-)(?::(?:(?P<M>\d{2})|-)(?::(?P<S>\d{2})(?:\.\d+)?)?)?)?)?)?$")
_PART_ORDER = ("y", "m", "d", "H", "M", "S")
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


def _missing_below(parts: pd.DataFrame) -> pd.DataFrame:
    """Parts after a missing one made missing too (``2024---15`` becomes ``2024``): admiral's ``preserve = FALSE``."""
    out = parts.copy()
    missing = out[_PART_ORDER[0]].isna().to_numpy()
    for name in _PART_ORDER[1:]:
        out.loc[missing, name] = np.nan
        missing = missing | out[name].isna().to_numpy()
    return out


def _month_end(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce")
    return (start + pd.offsets.MonthEnd(0)).dt.day.to_numpy(dtype="float64")


def impute_dates(text: pd.Series, highest_imputation: str = "n", date_imputation: Imputation = "first",
                 min_dates: list[pd.Series] | None = None, max_dates: list[pd.Series] | None = None,
                 preserve: bool = False) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64 normalised to the day, --DTF flags) for ISO 8601 texts."""
    dates, flags, _, _ = _impute(text, highest_imputation, date_imputation, "first", min_dates, max_dates, False,
                                 preserve)
    return dates, flags


def impute_datetimes(text: pd.Series, highest_imputation: str = "h", date_imputation: Imputation = "first",
                     time_imputation: Literal["first", "last"] = "first",
                     min_dates: list[pd.Series] | None = None, max_dates: list[pd.Series] | None = None,
                     preserve: bool = False) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(datetimes as datetime64, --DTF flags, --TMF flags) for ISO 8601 texts."""
    dtm, dtf, tmf, _ = _impute(text, highest_imputation, date_imputation, time_imputation, min_dates, max_dates, True,
                               preserve)
    return dtm, dtf, tmf


_DATE_LEVELS = {"n": 0, "D": 1, "M": 2, "Y": 3}
_TIME_LEVELS = {"n": 0, "s": 1, "m": 2, "h": 3, "D": 4, "M": 5, "Y": 6}


def _impute(text: pd.Series, highest: str, date_imp: str, time_imp: str, min_dates, max_dates, with_time: bool,
            preserve: bool = False):
    index = text.index
    codes, collected = _parts(text)  # each distinct text worked out once; its records take the result by ``codes``
    cascaded = _missing_below(collected)
    parts = collected if preserve else cascaded
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
    values = pd.Series(values.to_numpy()[codes], index=index)
    if min_dates or max_dates:
        cy, cm, cd, ch, cmi, cs = (cascaded[c].to_numpy() for c in _PART_ORDER)
        lo, hi = _possible_range(cy, cm, cd, ch, cmi, cs, ok, with_time)
        values = _restrict(values, pd.Series(lo[codes], index=index), pd.Series(hi[codes], index=index),
                                  min_dates or [], max_dates or [], with_time)
    ok, dtf, tmf = ok[codes], dtf[codes], tmf[codes]
    if not with_time:
        values = values.dt.normalize()
    dtf[~ok] = None
    tmf[~ok] = None
    dtf_series = pd.Series(dtf, index=index, dtype=object)
    tmf_series = pd.Series(tmf, index=index, dtype=object)
    return values, dtf_series, tmf_series, ok


def _possible_range(y: np.ndarray, m: np.ndarray, d: np.ndarray, hh: np.ndarray, mm: np.ndarray, ss: np.ndarray,
                    ok: np.ndarray, with_time: bool) -> tuple[np.ndarray, np.ndarray]:
    """(earliest, latest) value each partial text allows, whatever the imputation: missing parts first and last
    (``2024-06`` spans 2024-06-01 to 2024-06-30; with times, to 2024-06-30T23:59:59); NaT where the text is not
    usable.  A complete date (or, with times, a complete datetime) spans itself.
    """
    year = np.where(ok, y, 2000)
    month_lo, month_hi = np.where(np.isnan(m), 1, m), np.where(np.isnan(m), 12, m)
    day_hi = np.where(np.isnan(d), _month_end(year.astype(int), np.nan_to_num(month_hi, nan=1).astype(int)), d)
    lo = {"year": year, "month": month_lo, "day": np.where(np.isnan(d), 1, d)}
    hi = {"year": year, "month": month_hi, "day": day_hi}
    if with_time:
        for unit, part, last in (("hour", hh, 23), ("minute", mm, 59), ("second", ss, 59)):
            lo[unit], hi[unit] = np.where(np.isnan(part), 0, part), np.where(np.isnan(part), last, part)
    stamps = [pd.to_datetime(pd.DataFrame(bound).astype("int64"), errors="coerce").where(ok).to_numpy()
              for bound in (lo, hi)]
    return stamps[0], stamps[1]


def _restrict(values: pd.Series, lo: pd.Series, hi: pd.Series, min_dates: list[pd.Series], max_dates: list[pd.Series],
              with_time: bool) -> pd.Series:
    """admiral's ``restrict_imputed_dtc_dt``/``_dtm``: each minimum date the partial text's range [lo, hi] holds
    raises a value imputed before it to it, then each maximum date in the range lowers a value imputed after it
    to it (so a maximum wins over a minimum: an AE start is imputed to the first dose but never past its own end).
    A date outside the range is ignored (the collected parts never change); a complete value's range is itself,
    so it stays as collected.  Dates compare by the day, datetimes to the second.
    """
    for bounds, later in ((min_dates, True), (max_dates, False)):
        for bound in bounds:
            ref = pd.to_datetime(bound)
            ref = pd.Series((ref if with_time else ref.dt.normalize()).to_numpy(), index=values.index)
            inside = ref.ge(lo) & ref.le(hi) & (ref.gt(values) if later else ref.lt(values))
            values = values.where(~inside, ref)
    return values


def to_sas_date(values: pd.Series) -> pd.Series:
    """Days since 1960-01-01 (float, NaN for missing): what an ADaM numeric date holds in XPT."""
    return (pd.to_datetime(values) - SAS_EPOCH).dt.days.astype("float64")


def study_day(date: pd.Series, reference: pd.Series) -> pd.Series:
    """ADaM relative day: date - reference + 1 when on or after the reference, else date - reference (no day 0)."""
    delta = (pd.to_datetime(date).dt.normalize() - pd.to_datetime(reference).dt.normalize()).dt.days
    return (delta + (delta >= 0).astype("float64")).astype("float64")
