"""CRF conventions and CSV writing shared by the example-study generators.

Dates are carried as integer day numbers (days since 1970-01-01) and turned
into CRF text through precomputed tables, so formatting a million dates is one
numpy ``take``.  CRF dates look like ``03-MAR-2025``; an unknown day or month is
``UN`` / ``UNK`` (``UN-MAR-2025``, ``UN-UNK-1958``); times are ``HH:MM``.
"""
from __future__ import annotations

import csv
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MONTHS = np.array(["JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], dtype=object)
_EPOCH = _dt.date(1970, 1, 1)
_FIRST = _dt.date(1920, 1, 1).toordinal() - _EPOCH.toordinal()
_LAST = _dt.date(2060, 12, 31).toordinal() - _EPOCH.toordinal()


def day_number(iso: str) -> int:
    """Day number (days since 1970-01-01) of an ISO date ``YYYY-MM-DD``."""
    return _dt.date.fromisoformat(iso).toordinal() - _EPOCH.toordinal()


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    days = np.arange(_FIRST, _LAST + 1).astype("datetime64[D]")
    iso = np.datetime_as_string(days, unit="D").astype(object)
    y = np.array([s[0:4] for s in iso], dtype=object)
    m = np.array([int(s[5:7]) for s in iso])
    d = np.array([s[8:10] for s in iso], dtype=object)
    crf = d + "-" + MONTHS[m - 1] + "-" + y
    month_only = "UN-" + MONTHS[m - 1] + "-" + y
    year_only = "UN-UNK-" + y
    iso_month = np.array([s[0:7] for s in iso], dtype=object)
    iso_year = np.array([s[0:4] for s in iso], dtype=object)
    return crf, month_only, year_only, iso, iso_month, iso_year


_CRF, _CRF_MON, _CRF_YEAR, _ISO, _ISO_MON, _ISO_YEAR = _tables()
_HHMM = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)


def _index(days: np.ndarray) -> np.ndarray:
    idx = np.asarray(days, dtype=np.int64) - _FIRST
    if idx.size and (idx.min() < 0 or idx.max() > _LAST - _FIRST):
        raise ValueError("date outside the generator's calendar (1920-2060)")
    return idx


def _date_text(days: np.ndarray, precision: np.ndarray | None, full: np.ndarray, month: np.ndarray,
               year: np.ndarray) -> np.ndarray:
    """Text of day numbers from the tables of one layout (full date, month precision, year precision)."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DATE
    idx = _index(np.where(missing, _FIRST, days))
    out = full[idx]
    if precision is not None:
        precision = np.asarray(precision)
        out = np.where(precision == 2, month[idx], out)
        out = np.where(precision == 1, year[idx], out)
    return np.where(missing, "", out).astype(object)


def crf_date(days: np.ndarray, precision: np.ndarray | None = None) -> np.ndarray:
    """CRF text of day numbers; ``precision`` 3 = full, 2 = month (UN-MON-YYYY), 1 = year (UN-UNK-YYYY).

    Missing days (negative sentinel ``NO_DATE``) give an empty string.
    """
    return _date_text(days, precision, _CRF, _CRF_MON, _CRF_YEAR)


def iso_date(days: np.ndarray, precision: np.ndarray | None = None) -> np.ndarray:
    """ISO 8601 text of day numbers, partial where ``precision`` says (2 = YYYY-MM, 1 = YYYY)."""
    return _date_text(days, precision, _ISO, _ISO_MON, _ISO_YEAR)


def crf_time(minutes: np.ndarray) -> np.ndarray:
    """``HH:MM`` text of minutes after midnight (negative = blank)."""
    minutes = np.asarray(minutes, dtype=np.int64)
    return np.where(minutes < 0, "", _HHMM[np.clip(minutes, 0, 1439)]).astype(object)


#: Sentinel day number for "no date".
NO_DATE = -(10 ** 9)


def fmt_fixed(values: np.ndarray, decimals: int, blank: np.ndarray | None = None) -> np.ndarray:
    """Fixed-point text of floats (``decimals`` places), platform independent; ``blank`` rows empty."""
    values = np.round(np.asarray(values, dtype=float), decimals)
    scaled = np.rint(values * 10 ** decimals).astype(np.int64)
    sign = np.where(scaled < 0, "-", "").astype(object)
    a = np.abs(scaled)
    whole = (a // 10 ** decimals).astype(str).astype(object)
    if decimals:
        frac = (a % 10 ** decimals).astype(str)
        frac = np.char.zfill(frac, decimals).astype(object)
        out = sign + whole + "." + frac
    else:
        out = sign + whole
    if blank is not None:
        out = np.where(blank, "", out)
    return out.astype(object)


def fmt_int(values: np.ndarray, blank: np.ndarray | None = None) -> np.ndarray:
    """Integer text; ``blank`` rows empty."""
    out = np.asarray(values).astype(np.int64).astype(str).astype(object)
    if blank is not None:
        out = np.where(blank, "", out)
    return out.astype(object)


def repeat_each(counts: np.ndarray, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows for repeating row ``i`` ``counts[i]`` times: the owning row and the position within it (from ``start``)."""
    counts = np.asarray(counts)
    owner = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(owner)) - np.repeat(np.r_[0, np.cumsum(counts)[:-1]], counts) + start
    return owner, position


def pick(rng: np.random.Generator, n: int, probs: Sequence[float] | np.ndarray) -> np.ndarray:
    """``n`` category indices drawn with probabilities ``probs`` (inverse-CDF on uniforms)."""
    cum = np.cumsum(np.asarray(probs, dtype=float))
    cum /= cum[-1]
    return np.searchsorted(cum, rng.random(n), side="right").clip(0, len(cum) - 1)


def decode(codes: np.ndarray, table: dict) -> np.ndarray:
    """Map codes to text through a small dict (vectorised with pandas)."""
    return pd.Series(codes).map(table).to_numpy(dtype=object)


@dataclass
class Form:
    """One raw export file (one CRF form), written in batches of rows with a fixed column order."""

    name: str
    columns: list[str]
    encoding: str = "utf-8"
    rows_written: int = 0
    path: Path | None = None
    _started: bool = field(default=False, repr=False)

    def open(self, folder: Path) -> None:
        self.path = folder / f"{self.name}.csv"
        self.path.write_bytes(b"")
        self.rows_written = 0
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (all columns text) to the file; the first call writes the header."""
        if self.path is None:
            raise ValueError(f"form {self.name}: open() it in a folder before writing")
        columns = [frame[c].to_numpy(dtype=object).tolist() for c in self.columns]
        with open(self.path, "a", encoding=self.encoding, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            if not self._started:
                writer.writerow(self.columns)
            writer.writerows(zip(*columns))
        self._started = True
        self.rows_written += len(frame)


def text_frame(columns: dict[str, np.ndarray | str], n: int) -> pd.DataFrame:
    """A frame of text columns; scalars are broadcast to ``n`` rows; NaN/None become ''."""
    data = {}
    for key, value in columns.items():
        if isinstance(value, str):
            data[key] = np.full(n, value, dtype=object)
        else:
            arr = np.asarray(value, dtype=object)
            data[key] = arr
    frame = pd.DataFrame(data, dtype=object)
    return frame.fillna("")
