"""Implausible data is a question, not a pass: values that can be stored but are hardly true are logged.

Checked on every record block after its variables are filled (``converters.sdtm.builder``), with the raw file,
row, column and collected value in ``rejections.csv``:

* a collected date (a ``datetime`` variable) after the study's ``data_cutoff`` or after today: logged with
  action ``implausible, kept``; the record keeps the date as collected (SDTM keeps collected dates; the
  question goes to the site).  A partial date counts from its earliest possible day (``2027-03`` is after
  ``2027-02-28``).  "Today" is the only clock reading in a build, and it changes the log only for dates that
  are in the future when the build runs;
* ``AGE`` outside 0-120 when the age unit is years (or not given): logged, kept;
* an infinite number (``inf``, ``1e400``) in a numeric variable: logged with action ``value set to null``
  and set to null, since neither XPT nor Dataset-JSON can hold it.

Everything is whole-column and per record, so it gives the same answer on any subset of subjects.
"""
from __future__ import annotations

import functools
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from converters.sdtm.columns import distinct_text, text_series
from converters.sdtm.rejections import NULLED, RejectionLog

if TYPE_CHECKING:
    from converters.spec.model import BlockSpec, DomainSpec

#: Rejection-log action of a value kept as collected but logged as implausible.
IMPLAUSIBLE = "implausible, kept"
AGE_RANGE = (0, 120)


_YEAR, _MONTH, _DAY = re.compile(r"^(\d{4})"), re.compile(r"^\d{4}-(\d{2})"), re.compile(r"^\d{4}-\d{2}-(\d{2})")


@functools.lru_cache(maxsize=100_000)  # date heads recur in every form and batch
def _earliest(value: str) -> str | None:
    text = value[:10]
    year = _YEAR.match(text)
    if year is None:
        return None
    month, day = _MONTH.match(text), _DAY.match(text)
    return f"{year.group(1)}-{month.group(1) if month else '01'}-{day.group(1) if day else '01'}"


def earliest_day(iso: pd.Series) -> pd.Series:
    """The earliest calendar day an ISO 8601 date or date-time can mean, as ``YYYY-MM-DD`` (missing if none)."""
    codes, text = distinct_text(iso)
    return text_series([_earliest(value) for value in text], codes, iso.index)


def check_block(spec: DomainSpec, block: BlockSpec, out: pd.DataFrame, raw: pd.DataFrame, rows: pd.Series,
                keep: pd.Series, study: Any, log: RejectionLog, file: str) -> None:
    """Check one record block's filled variables (records in ``keep``; dropped ones are logged already)."""
    from converters.sdtm.builder import is_phase_row, numeric_target

    datetimes = {v.name: v.columns[0] for v in block.variables.values()
                 if v.algorithm == "datetime" and v.columns}
    numeric = {v.name: (v.columns[0] if v.columns else v.name) for v in block.variables.values()
               if is_phase_row(v) and numeric_target(spec.domain, v)}
    if not datetimes and not numeric:
        return
    log_implausible(spec.domain, file, out, rows, datetimes, numeric, raw, getattr(study, "data_cutoff", None),
                    log, keep=keep)


def log_implausible(domain: str, file: str, out: pd.DataFrame, rows: pd.Series, datetimes: dict[str, str],
                    numeric: dict[str, str], raw: pd.DataFrame, cutoff: str | None, log: RejectionLog,
                    today: date | None = None, keep: pd.Series | None = None) -> None:
    """Log implausible values of one record block (see the module notes); set infinite numbers to null in ``out``.

    ``datetimes`` and ``numeric`` map the block's datetime and numeric variables to the raw column each reads;
    only records in ``keep`` (default all) are checked.
    """
    limit_today = (today or date.today()).isoformat()
    limit_cutoff = cutoff or ""
    kept = keep.to_numpy(dtype=bool) if keep is not None else np.ones(len(out), dtype=bool)
    for name, column in datetimes.items():
        if name not in out:
            continue
        codes, text = distinct_text(out[name])  # each distinct date compared once
        heads = [value[:10] for value in text]  # date-times of one day share their earliest day
        earliest = {head: _earliest(head) for head in set(heads)}
        first = [earliest[head] for head in heads]
        after_cutoff = np.array([bool(limit_cutoff) and day is not None and day > limit_cutoff for day in first]
                                + [False], dtype=bool)
        after_today = np.array([day is not None and day > limit_today for day in first] + [False], dtype=bool)
        collected = raw[column] if column in raw else out[name]
        if cutoff:
            late = pd.Series(after_cutoff[codes] & kept, index=out.index)
            if late.any():
                log.add(domain, file, rows[late], column, collected[late],
                        f"{name}: date after the data cut-off {cutoff}", IMPLAUSIBLE)
        future = pd.Series((after_today & ~after_cutoff)[codes] & kept, index=out.index)  # after the cut-off: once
        if future.any():
            log.add(domain, file, rows[future], column, collected[future], f"{name}: date in the future", IMPLAUSIBLE)
    for name, column in numeric.items():
        if name not in out or out[name].dtype != "float64":
            continue
        filled = out[name]
        values = filled.to_numpy()
        infinite = pd.Series(np.isinf(values) & kept, index=out.index)

        def number_text(mask: pd.Series, filled: pd.Series = filled, column: str = column) -> pd.Series:
            """The collected text of the logged records (the number as text when no raw column holds it)."""
            return raw[column][mask] if column in raw else filled[mask].astype("string")

        if infinite.any():
            log.add(domain, file, rows[infinite], column, number_text(infinite),
                    f"{name}: infinite number (no transport format holds it)", NULLED)
            out[name] = out[name].mask(infinite)
        if name == "AGE" and _age_in_years(out):
            low, high = AGE_RANGE
            odd = pd.Series(((values < low) | (values > high)) & kept, index=out.index) & ~infinite
            if odd.any():
                log.add(domain, file, rows[odd], column, number_text(odd),
                        f"AGE: outside {low}-{high} years", IMPLAUSIBLE)


def _age_in_years(out: pd.DataFrame) -> bool:
    if "AGEU" not in out:
        return True
    units = out["AGEU"].dropna().astype(str).str.upper().unique()
    return all(unit == "YEARS" for unit in units)
