"""Dates and times: ISO 8601 validity, order of start and end, study days, death."""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData, StudyData
from converters.validate.iso8601 import (invalid_dtc, invalid_duration, later_than, later_than_codes, later_than_value,
                                         study_day)
from converters.validate.model import Hits, rule, rows_of

ISO = "SDTMIG 3.4 4.4.1"
DAY = "SDTMIG 3.4 4.4.4"
_DURATIONS = ("DUR", "ELTM", "EVLINT", "EVINTX")
_OUTSIDE_DEATH = {"DM", "DS", "SV", "SE", "CO", "RELREC", "TA", "TE", "TV", "TI", "TS", "TD", "TM", "DD", "PR"}
_DAY_PAIRS = (("--DY", "--DTC"), ("--STDY", "--STDTC"), ("--ENDY", "--ENDTC"))


def _dtc_columns(ds: DatasetData) -> list[str]:
    return [c for c in ds.columns if c.endswith("DTC") and not ds.is_numeric(c)]


@rule("DT0001", "Error", "Date/time not ISO 8601", "{variable} value is not a valid ISO 8601 date/time", ISO)
def check_iso_dates(study, ds: DatasetData):
    for name in _dtc_columns(ds):
        mask = ds.unique_mask(name, invalid_dtc)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("DT0002", "Error", "Duration not ISO 8601", "{variable} value is not a valid ISO 8601 duration",
      "SDTMIG 3.4 4.4.3")
def check_iso_durations(study, ds: DatasetData):
    for suffix in _DURATIONS:
        name = ds.prefix + suffix
        if name in ds.frame.columns and not ds.is_numeric(name):
            mask = ds.unique_mask(name, invalid_duration)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("DT0003", "Error", "Start after end", "--STDTC is after --ENDTC", "SDTMIG 3.4 4.4.1",
      needs=("--STDTC", "--ENDTC"))
def check_start_end(study, ds: DatasetData):
    start, end = ds.var("--STDTC"), ds.var("--ENDTC")  # compared on codes, with the columns' cached plain texts
    mask = later_than_codes(*_own_codes(ds, start), *_own_codes(ds, end), a_plain=ds.plain_dates(start),
                            b_plain=ds.plain_dates(end), a_ranks=partial(ds.date_ranks, start),
                            b_ranks=partial(ds.date_ranks, end))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(start, end))


def _reference_dates(study: StudyData, ds: DatasetData) -> pd.Series | None:
    lookup = study.dm_lookup("RFSTDTC")
    if lookup is None or "USUBJID" not in ds.frame.columns:
        return None
    return pd.Series(ds.map_text("USUBJID", lookup).to_numpy(dtype="datetime64[ns]"), index=ds.frame.index)


@rule("DT0004", "Error", "Study day inconsistent with date and RFSTDTC",
      "{variable} does not equal the study day of {date} counted from DM.RFSTDTC", DAY)
def check_study_day(study, ds: DatasetData):
    pairs = [(ds.var(d), ds.var(t)) for d, t in _DAY_PAIRS if ds.has(d, t)]
    if not pairs:
        return
    reference = _reference_dates(study, ds) if ds.name != "DM" else None
    if reference is None and ds.name == "DM" and "RFSTDTC" in ds.frame.columns:
        reference = ds.date("RFSTDTC")
    if reference is None:
        return
    for day, date in pairs:
        expected = study_day(ds.date(date), reference)
        actual = ds.number(day)
        mask = expected.notna() & actual.notna() & (expected != actual)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(day, date), params={"date": date},
                       extra={"RFSTDTC": reference[mask].dt.strftime("%Y-%m-%d").to_numpy(),
                              "expected": expected[mask].astype("Int64").to_numpy()})


@rule("DT0005", "Error", "Study day 0", "{variable} is 0; there is no study day 0", DAY)
def check_day_zero(study, ds: DatasetData):
    for day, _ in _DAY_PAIRS:
        name = ds.var(day)
        if name in ds.frame.columns:
            mask = ds.number(name).eq(0)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("DT0006", "Error", "Start day after end day", "--STDY is greater than --ENDY", DAY,
      needs=("--STDY", "--ENDY"))
def check_day_order(study, ds: DatasetData):
    mask = ds.number("--STDY") > ds.number("--ENDY")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(ds.var("--STDY"), ds.var("--ENDY")))


def _subject_codes(study: StudyData, ds: DatasetData, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """DM's ``name`` (text) for each record's subject as (codes, values): the record's USUBJID code and, per
    distinct USUBJID, DM's value ('' for subjects DM does not have); None without it."""
    dm = study.get("DM")
    if dm is None or name not in dm.frame.columns or "USUBJID" not in ds.frame.columns:
        return None
    codes, _, stripped = ds._factor("USUBJID")
    values = pd.Series(np.append(stripped, ""), dtype=object).map(dm.lookup("USUBJID", name)).fillna("")
    return np.where(codes < 0, len(stripped), codes), values.to_numpy(dtype=object)


def _own_codes(ds: DatasetData, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A column as (codes, values): its distinct stripped values and '' after them, for missing (code -1), in the
    order of :meth:`DatasetData.plain_dates`."""
    codes, _, stripped = ds._factor(name)
    return np.where(codes < 0, len(stripped), codes), np.append(stripped, "")


def _later_than_column(ds: DatasetData, name: str, subject: tuple[np.ndarray, np.ndarray], after: bool) -> np.ndarray:
    """Records whose ``name`` is later than the subject's date (``after``), or earlier (``not after``)."""
    own = _own_codes(ds, name)
    if after:
        return later_than_codes(own[0], own[1], subject[0], subject[1], a_plain=ds.plain_dates(name),
                                a_ranks=partial(ds.date_ranks, name))
    return later_than_codes(subject[0], subject[1], own[0], own[1], b_plain=ds.plain_dates(name),
                            b_ranks=partial(ds.date_ranks, name))


@rule("DT0007", "Warning", "Record after death", "{variable} is after the subject's death date DM.DTHDTC",
      "SDTMIG 3.4 5.2 (DTHDTC); SDTMIG 3.4 4.4.1")
def check_after_death(study, ds: DatasetData):
    if ds.name in _OUTSIDE_DEATH or ds.name.startswith("SUPP"):
        return
    death = _subject_codes(study, ds, "DTHDTC")
    if death is None or not (death[1][death[0]] != "").any():
        return
    for generic in ("--STDTC", "--DTC"):
        name = ds.var(generic)
        if name in ds.frame.columns:
            mask = _later_than_column(ds, name, death, after=True)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,),
                           extra={"DTHDTC": death[1][death[0][mask]]})


@rule("DT0008", "Error", "Death date without death flag", "DTHDTC has a value but DTHFL is not Y",
      "SDTMIG 3.4 5.2", applies_to=("DM",), needs=("DTHDTC",))
def check_dthdtc_flag(study, ds: DatasetData):
    flag = ds.text("DTHFL") if "DTHFL" in ds.frame.columns else pd.Series("", index=ds.frame.index)
    mask = ds.filled("DTHDTC") & flag.ne("Y")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("DTHDTC", "DTHFL"))


@rule("DT0009", "Warning", "Death flag without death date", "DTHFL is Y but DTHDTC is null", "SDTMIG 3.4 5.2",
      applies_to=("DM",), needs=("DTHFL",))
def check_dthfl_date(study, ds: DatasetData):
    date = ds.filled("DTHDTC") if "DTHDTC" in ds.frame.columns else pd.Series(False, index=ds.frame.index)
    mask = ds.text("DTHFL").eq("Y") & ~date
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("DTHFL", "DTHDTC"))


def _order_rule(first: str, second: str):
    def check(study, ds: DatasetData):
        if ds.has(first, second):
            mask = later_than(ds.text(first), ds.text(second))
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(first, second))
    return check


rule("DT0010", "Error", "Reference start after reference end", "RFSTDTC is after RFENDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFSTDTC", "RFENDTC"))
rule("DT0011", "Error", "First treatment after last treatment", "RFXSTDTC is after RFXENDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFXSTDTC", "RFXENDTC"))
rule("DT0012", "Error", "Birth after reference start", "BRTHDTC is after RFSTDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("BRTHDTC", "RFSTDTC"))
rule("DT0013", "Warning", "Informed consent after reference start", "RFICDTC is after RFSTDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFICDTC", "RFSTDTC"))
rule("DT0014", "Warning", "End of participation before reference end", "RFENDTC is after RFPENDTC",
     "SDTMIG 3.4 5.2", applies_to=("DM",))(_order_rule("RFENDTC", "RFPENDTC"))
rule("DT0015", "Warning", "Treatment before informed consent", "RFICDTC is after RFXSTDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFICDTC", "RFXSTDTC"))
rule("DT0016", "Warning", "Death before informed consent", "RFICDTC is after DTHDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFICDTC", "DTHDTC"))
rule("DT0017", "Warning", "Last treatment after death", "RFXENDTC is after DTHDTC", "SDTMIG 3.4 5.2",
     applies_to=("DM",))(_order_rule("RFXENDTC", "DTHDTC"))


@rule("DT0018", "Error", "Study day without a date", "{variable} has a value but {date} is null", DAY)
def check_day_without_date(study, ds: DatasetData):
    for day, date in _DAY_PAIRS:
        d, t = ds.var(day), ds.var(date)
        if d in ds.frame.columns and t in ds.frame.columns:
            mask = ds.filled(d) & ~ds.filled(t)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(d, t), params={"date": t})


@rule("DT0019", "Warning", "Study day missing for a complete date",
      "{variable} is null although {date} is a complete date and the subject has RFSTDTC", DAY)
def check_date_without_day(study, ds: DatasetData):
    reference = _reference_dates(study, ds) if ds.name != "DM" else None
    if reference is None:
        return
    for day, date in _DAY_PAIRS:
        d, t = ds.var(day), ds.var(date)
        if d in ds.frame.columns and t in ds.frame.columns:
            mask = ds.date(t).notna() & reference.notna() & ~ds.filled(d)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(d, t), params={"date": t})


@rule("DT0020", "Warning", "End date without start date", "--ENDTC has a value but --STDTC is null",
      "SDTMIG 3.4 4.4.1", applies_to=("class:EVENTS", "class:INTERVENTIONS"), needs=("--STDTC", "--ENDTC"))
def check_end_without_start(study, ds: DatasetData):
    mask = ds.filled("--ENDTC") & ~ds.filled("--STDTC")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(ds.var("--STDTC"), ds.var("--ENDTC")))


@rule("DT0021", "Warning", "Record before birth", "{variable} is before the subject's birth date DM.BRTHDTC",
      "SDTMIG 3.4 5.2 (BRTHDTC)")
def check_before_birth(study, ds: DatasetData):
    birth = None if ds.name == "DM" else _subject_codes(study, ds, "BRTHDTC")
    if birth is None:
        return
    for generic in ("--STDTC", "--DTC"):
        name = ds.var(generic)
        if name in ds.frame.columns:
            mask = _later_than_column(ds, name, birth, after=False)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,),
                           extra={"BRTHDTC": birth[1][birth[0][mask]]})


@rule("DT0022", "Warning", "Implausible year", "{variable} has a year before 1900", ISO)
def check_year(study, ds: DatasetData):
    for name in _dtc_columns(ds):
        if name == "BRTHDTC":
            continue
        test = _year_before_1900 if not ds.text_facts(name).ascii else _ascii_year_before_1900
        mask = ds.unique_mask(name, test)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


def _year_before_1900(values: pd.Series) -> pd.Series:
    """Values that start with four digits making a year before 1900."""
    return pd.to_numeric(values.str[:4].where(values.str.match(r"\d{4}"), None), errors="coerce") < 1900


def _ascii_year_before_1900(values: pd.Series) -> np.ndarray:
    """:func:`_year_before_1900` of ASCII texts: only a text that sorts before "1900" can start with such a year, so
    the others are not looked at one by one."""
    found = np.zeros(len(values), dtype=bool)
    early = np.flatnonzero(values.to_numpy(dtype=object) < "1900")
    if len(early):
        found[early] = _year_before_1900(values.iloc[early]).to_numpy(dtype=bool)
    return found


@rule("DT0023", "Error", "Study day not a whole number", "{variable} is not an integer", DAY)
def check_day_integer(study, ds: DatasetData):
    for day, _ in _DAY_PAIRS:
        name = ds.var(day)
        if name in ds.frame.columns:
            values = ds.number(name)
            mask = values.notna() & (np.floor(values) != values)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("DT0024", "Warning", "Reference end after death", "RFENDTC is after DTHDTC", "SDTMIG 3.4 5.2",
      applies_to=("DM",))
def check_rfend_death(study, ds: DatasetData):
    yield from _order_rule("RFENDTC", "DTHDTC")(study, ds)


_PLANNED = {"TS", "TA", "TE", "TV", "TI", "TD", "TM"}


def _later_than(ds: DatasetData, limit: str):
    """(variable, mask) for each date column of ``ds`` with values after ``limit`` at their shared precision."""
    for name in _dtc_columns(ds):
        ok, text = ds.plain_dates(name)  # of the distinct values and '': those of the distinct values alone
        mask = ds.unique_mask(name, partial(_later_than_limit, limit=limit, ok=ok, text=text))
        if mask.any():
            yield name, mask


def _later_than_limit(values: pd.Series, limit: str, ok: np.ndarray, text: np.ndarray) -> np.ndarray:
    """:func:`later_than_value` of a column's distinct values, given its cached plain texts (``ok``, ``text``)."""
    return later_than_value(values, limit, (np.append(ok[:len(values)], False), text[:len(values)]))


def _cutoff(study: StudyData) -> str:
    ts = study.get("TS")
    if ts is None or not ts.has("TSPARMCD", "TSVAL"):
        return ""
    values = ts.text("TSVAL")[ts.text("TSPARMCD").eq("DCUTDTC")]
    values = values[values.str.fullmatch(r"\d{4}-\d{2}-\d{2}.*")]
    return values.iloc[0] if len(values) else ""


@rule("DT0025", "Error", "Date after the data cut-off",
      "{variable} is after the data cut-off date (TS DCUTDTC {cutoff})", "SDTMIG 3.4 7.4.2 (TS: DCUTDTC); "
      "SDTMIG 3.4 Appendix C")
def check_after_cutoff(study, ds: DatasetData):
    cutoff = _cutoff(study)
    if not cutoff or ds.name in _PLANNED:
        return
    for name, mask in _later_than(ds, cutoff):
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,), params={"cutoff": cutoff})


@rule("DT0026", "Error", "Date in the future", "{variable} is later than the day the validation ran",
      "SDTMIG 3.4 4.4.1")
def check_future_dates(study, ds: DatasetData):
    import datetime

    if ds.name in _PLANNED:
        return
    today = datetime.date.today().isoformat()
    for name, mask in _later_than(ds, today):
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))
