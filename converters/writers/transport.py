"""Values shared by the transport formats: SAS dates, column checks, and the common frame shape.

In memory a transport frame holds, per variable:

* character variables: text (missing as blank ``""``, as XPT cannot tell blank from missing);
* numeric variables: float64, missing as NaN (as input, text ``.``, ``.A``-``.Z`` and ``._`` are SAS
  missing values too; :func:`sas_missing_letters` keeps the special ones for XPT);
* numeric dates (a numeric variable with a SAS date, datetime or time format, see
  :attr:`Variable.temporal_kind`): SAS numbers, i.e. days since 1960-01-01, seconds since
  1960-01-01T00:00:00, or seconds since midnight.

Both readers (XPT and Dataset-JSON) give frames of this shape.  Frames from the two formats
compare equal after :func:`normalize_transport_frame`, which also fixes dtypes, drops trailing
blanks of text (XPT pads text with blanks) and turns python/pandas dates or ISO 8601 text in
numeric-date columns into SAS numbers.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from converters.errors import Location, TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.text_facts import text_facts

SAS_EPOCH = pd.Timestamp("1960-01-01")
#: Default creation timestamp of written files, so output never depends on the clock (see xpt.DEFAULT_CREATED).
DEFAULT_CREATED_ISO = "1970-01-01T00:00:00"

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?$"
_TIME_RE = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?$"
_ISO_RULE = {
    "date": (_DATE_RE, "a complete ISO 8601 date YYYY-MM-DD"),
    "datetime": (_DATETIME_RE, "a complete ISO 8601 datetime YYYY-MM-DDThh:mm[:ss[.f]] without offset"),
    "time": (_TIME_RE, "an ISO 8601 time hh:mm[:ss[.f]]"),
}


def fail(message: str, dataset: str | None, variable: str | None = None, row: int | None = None,
         hint: str | None = None, file: str | None = None) -> TransportError:
    """A TransportError that names dataset, variable and 1-based record number."""
    return TransportError(message, where=Location(file=file, dataset=dataset, variable=variable, row=row),
                          hint=hint)


def first_true(mask: np.ndarray | pd.Series) -> int | None:
    """Position of the first True in ``mask`` (None if there is none)."""
    arr = np.asarray(mask, dtype=bool)
    return int(arr.argmax()) if arr.any() else None


def check_columns(frame: pd.DataFrame, dataset: Dataset) -> None:
    """Frame columns must be exactly the dataset's variables (order may differ), each once."""
    names = dataset.variable_names
    dup_vars = sorted({n for n in names if names.count(n) > 1})
    if dup_vars:
        raise fail(f"variables defined more than once: {', '.join(dup_vars)}", dataset.name)
    cols = [str(c) for c in frame.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise fail(f"frame has duplicate columns: {', '.join(dup_cols)}", dataset.name)
    missing = [n for n in names if n not in cols]
    extra = [c for c in cols if c not in names]
    if missing:
        raise fail(f"frame lacks columns for variables {', '.join(missing)}", dataset.name,
                   hint="every variable in the dataset metadata needs a column in the data")
    if extra:
        raise fail(f"frame has columns not in the dataset metadata: {', '.join(extra)}", dataset.name,
                   hint="add the variables to the metadata or drop the columns")


def text_values(series: pd.Series, dataset: str, variable: str) -> pd.Series:
    """A character column as object-dtype text, missing kept as None; non-text values are an error."""
    facts = text_facts(series, dataset, variable)
    return pd.Series(facts.record_values(), index=series.index, dtype=object)


def byte_lengths(text: pd.Series) -> np.ndarray:
    """UTF-8 byte length of each text value (0 for missing).

    Measured on the column's distinct values (:func:`converters.writers.text_facts.text_facts`):
    each distinct value is measured once, and encoded only when the column is not all ASCII.
    """
    if not len(text):
        return np.zeros(0, dtype=np.int64)
    return text_facts(text).record_bytes()


#: SAS missing-value notation a numeric variable may hold as text: ``.`` (missing) and the special
#: missing values ``.A``-``.Z`` and ``._``.  XPT stores the letter; Dataset-JSON and CSV write them as missing.
SAS_MISSING_RE = re.compile(r"^\.[A-Z_]?$")


def _sas_missing_mask(series: pd.Series) -> np.ndarray | None:
    """Per record: True where a text value is SAS missing notation; None when the column holds none."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) \
            or pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return None
    objects = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(objects)
    notation = np.fromiter((isinstance(v, str) and SAS_MISSING_RE.match(v.strip()) is not None for v in uniques),
                           dtype=bool, count=len(uniques))
    if not notation.any():
        return None
    return np.append(notation, False)[codes]


def sas_missing_letters(series: pd.Series) -> np.ndarray | None:
    """First byte of each record's SAS missing value: the letter of ``.A``-``.Z``/``._``, ``.`` otherwise.

    Only records holding SAS missing notation as text get a letter; every other record gets
    ``.`` (0x2E, the ordinary missing value, used only where the number is missing).  None when
    the column holds no special missing value, which is the common case.
    """
    mask = _sas_missing_mask(series)
    if mask is None:
        return None
    letters = np.full(len(series), ord("."), dtype=np.uint8)
    text = series.to_numpy(dtype=object)[mask]
    letters[mask] = np.fromiter((ord(v.strip()[1:] or ".") for v in text), dtype=np.uint8, count=len(text))
    if not (letters != ord(".")).any():
        return None
    return letters


def _without_sas_missing(series: pd.Series) -> pd.Series:
    """The column with SAS missing notation (``.``, ``.A``-``.Z``, ``._``) replaced by None."""
    mask = _sas_missing_mask(series)
    if mask is None:
        return series
    return series.astype(object).where(~pd.Series(mask, index=series.index), None)


def numeric_values(series: pd.Series, dataset: str, variable: str) -> np.ndarray:
    """A numeric column as float64 (NaN for missing); text that is not a number is an error."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64").to_numpy()
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    else:
        series = _without_sas_missing(series)
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind in ("empty",):
            return np.full(len(series), np.nan)
        blank = series.map(lambda v: isinstance(v, str) and not v.strip(), na_action="ignore").eq(True)
        cleaned = series.where(~blank.astype(bool), None)
        values = pd.to_numeric(cleaned, errors="coerce").astype("float64").to_numpy()
        bad = first_true(np.isnan(values) & cleaned.notna().to_numpy())
        if bad is not None:
            raise fail(f"numeric variable holds a value that is not a number: {series.iloc[bad]!r}",
                       dataset, variable, bad + 1, hint="fix the value or declare the variable as text")
    bad = first_true(np.isinf(values))
    if bad is not None:
        raise fail(f"numeric variable holds an infinite value {values[bad]!r}", dataset, variable, bad + 1,
                   hint="SAS transport numbers cannot be infinite; use a missing value")
    return values


# --- SAS dates ---------------------------------------------------------------------------------

def to_sas_numbers(series: pd.Series, kind: str, dataset: str, variable: str) -> np.ndarray:
    """Numeric-date column to SAS numbers (float64, NaN for missing).

    Accepts SAS numbers (passed through), python ``date``/``datetime``/``time`` objects, pandas
    datetime64/timedelta64, or ISO 8601 text.  ``kind`` is ``date`` (days since 1960-01-01),
    ``datetime`` (seconds since 1960-01-01T00:00:00) or ``time`` (seconds since midnight).
    Partial dates, time zones and dates with a time of day in a date column are errors: turning
    them into numbers would need an imputation the data does not state.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_bool_dtype(series):
        raise fail("numeric date holds true/false values", dataset, variable)
    if pd.api.types.is_numeric_dtype(series):
        return numeric_values(series, dataset, variable)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise fail("numeric date holds time-zone aware values", dataset, variable,
                   hint="convert to local (naive) date/times first")
    if pd.api.types.is_datetime64_dtype(series):
        return _datetimes_to_sas(pd.Series(series.to_numpy()), kind, series, dataset, variable)
    if pd.api.types.is_timedelta64_dtype(series):
        if kind != "time":
            raise fail(f"{kind} variable holds time spans (timedelta)", dataset, variable)
        return _timedeltas_to_sas(pd.Series(series.to_numpy()), series, dataset, variable)
    series = _without_sas_missing(series)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return np.full(len(series), np.nan)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return numeric_values(pd.Series(series.to_numpy(), dtype=object).astype("float64"), dataset, variable)
    if inferred in ("date", "datetime", "datetime64") and kind in ("date", "datetime"):
        if any(getattr(v, "tzinfo", None) is not None for v in series.dropna()):
            raise fail("numeric date holds time-zone aware values", dataset, variable)
        return _datetimes_to_sas(pd.Series(pd.to_datetime(series.to_numpy())), kind, series, dataset, variable)
    if inferred == "time" and kind == "time":
        text = series.map(lambda t: t.isoformat(), na_action="ignore")
        return _iso_to_sas(text, kind, series, dataset, variable)
    if inferred in ("string", "date", "datetime", "time", "mixed"):
        # Mixed python objects and text: judge every value by its ISO 8601 form.
        text = series.map(lambda v: v if isinstance(v, str) else
                          v.isoformat() if hasattr(v, "isoformat") else repr(v), na_action="ignore")
        return _iso_to_sas(text, kind, series, dataset, variable)
    bad = first_true(series.notna().to_numpy())
    value = series.iloc[bad] if bad is not None else None
    raise fail(f"{kind} variable holds a value that is not a {kind}: {value!r}", dataset, variable,
               None if bad is None else bad + 1,
               hint=f"give SAS numbers, python {kind} objects or ISO 8601 text")


def _datetimes_to_sas(dt: pd.Series, kind: str, original: pd.Series, dataset: str, variable: str) -> np.ndarray:
    if kind == "time":
        bad = first_true(dt.notna().to_numpy())
        shown = original.iloc[bad] if bad is not None else None
        raise fail(f"time variable holds a date/time value {shown!r}", dataset, variable,
                   None if bad is None else bad + 1, hint="give times of day (python time or hh:mm:ss text)")
    delta = dt - SAS_EPOCH
    if kind == "date":
        days = (delta / pd.Timedelta(days=1)).to_numpy(dtype="float64")
        bad = first_true(~np.isnan(days) & (days != np.floor(days)))
        if bad is not None:
            raise fail(f"date variable holds a value with a time of day: {original.iloc[bad]!r}", dataset, variable,
                       bad + 1, hint="give dates only, or make the variable a datetime (DATETIME20.)")
        return days
    return (delta / pd.Timedelta(seconds=1)).to_numpy(dtype="float64")


def _timedeltas_to_sas(td: pd.Series, original: pd.Series, dataset: str, variable: str) -> np.ndarray:
    # pandas-stubs: Series[Any] / Timedelta is valid
    secs = (td / pd.Timedelta(seconds=1)).to_numpy(dtype="float64")  # type: ignore[operator]
    bad = first_true(~np.isnan(secs) & ((secs < 0) | (secs >= 86400)))
    if bad is not None:
        raise fail(f"time variable holds a value outside one day: {original.iloc[bad]!r}", dataset, variable, bad + 1)
    return secs


def _iso_to_sas(text: pd.Series, kind: str, original: pd.Series, dataset: str, variable: str) -> np.ndarray:
    stripped = text.astype(object).where(text.notna(), "").map(str).str.strip()
    present = (stripped != "").to_numpy()
    pattern, wanted = _ISO_RULE[kind]
    valid = stripped.str.match(pattern).to_numpy(dtype=bool)
    bad = first_true(present & ~valid)
    if bad is not None and kind == "date" and re.match(_DATETIME_RE, stripped.iloc[bad]):
        raise fail(f"date variable holds a value with a time of day: {original.iloc[bad]!r}", dataset, variable,
                   bad + 1, hint="give dates only, or make the variable a datetime (DATETIME20.)")
    if bad is not None:
        raise fail(f"{kind} variable holds {original.iloc[bad]!r}, which is not {wanted}", dataset, variable,
                   bad + 1, hint="partial or malformed dates cannot become SAS numbers; impute explicitly or "
                                 "keep the variable as ISO 8601 text")
    iso = stripped.where(pd.Series(present, index=stripped.index), None)
    if kind == "time":
        full = iso.where(iso.isna() | (iso.str.len() != 5), iso + ":00")
        return _timedeltas_to_sas(pd.Series(pd.to_timedelta(full.to_numpy(), errors="coerce")), original,
                                  dataset, variable)
    fmt = "%Y-%m-%d" if kind == "date" else "ISO8601"
    # pandas-stubs: object arrays parse
    parsed = pd.Series(pd.to_datetime(iso.to_numpy(), format=fmt, errors="coerce"))  # type: ignore[call-overload]
    bad = first_true(present & parsed.isna().to_numpy())
    if bad is not None:
        raise fail(f"{kind} variable holds an impossible {kind} {original.iloc[bad]!r}", dataset, variable, bad + 1)
    return _datetimes_to_sas(parsed, kind, original, dataset, variable)


def sas_to_iso(values: np.ndarray | Sequence[float], kind: str, dataset: str, variable: str) -> list[str | None]:
    """SAS numbers to ISO 8601 text (None for missing): the Dataset-JSON form of numeric dates."""
    arr = np.asarray(values, dtype="float64")
    present = ~np.isnan(arr)
    if not present.any():
        return [None] * len(arr)
    if kind == "date":
        bad = first_true(present & (arr != np.floor(arr)))
        if bad is not None:
            raise fail(f"date variable holds a fractional day count {arr[bad]!r}", dataset, variable, bad + 1)
        stamps = SAS_EPOCH + pd.to_timedelta(arr[present], unit="D")
        text = pd.Series(stamps).dt.strftime("%Y-%m-%d")
    else:
        if kind == "time":
            bad = first_true(present & ((arr < 0) | (arr >= 86400)))
            if bad is not None:
                raise fail(f"time variable holds {arr[bad]!r} seconds, outside one day", dataset, variable, bad + 1)
        micros = np.round(arr[present] * 1e6).astype("int64")
        stamps = (SAS_EPOCH if kind == "datetime" else pd.Timestamp("2000-01-01")) + \
            pd.to_timedelta(micros, unit="us")
        fmt = "%Y-%m-%dT%H:%M:%S.%f" if kind == "datetime" else "%H:%M:%S.%f"
        text = pd.Series(stamps).dt.strftime(fmt).str.replace(r"0+$", "", regex=True) \
            .str.replace(r"\.$", "", regex=True)
    return present_or_none(present, text.to_numpy(dtype=object))


def present_or_none(present: np.ndarray, values: np.ndarray) -> list[Any]:
    """A list with ``values`` (python objects) at the ``present`` positions and None elsewhere."""
    out = np.full(len(present), None, dtype=object)
    out[present] = values
    return out.tolist()


# --- common frame shape --------------------------------------------------------------------------

def normalize_transport_frame(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The canonical form of a transport frame, for comparing data across formats.

    Columns in variable order, a fresh RangeIndex; text as object dtype with missing as ``""``
    and trailing blanks removed; numbers as float64 with NaN; numeric dates as SAS numbers.
    """
    check_columns(frame, dataset)
    columns: dict[str, object] = {}
    for var in dataset.variables:
        series = frame[var.name].reset_index(drop=True)
        columns[var.name] = normalize_column(series, var, dataset.name)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def normalize_column(series: pd.Series, var: Variable, dataset: str) -> pd.Series:
    """One column in the canonical transport form (see :func:`normalize_transport_frame`)."""
    if var.is_numeric:
        kind = var.temporal_kind
        values = to_sas_numbers(series, kind, dataset, var.name) if kind else \
            numeric_values(series, dataset, var.name)
        return pd.Series(values, dtype="float64", name=var.name)
    text = text_values(series, dataset, var.name)
    text = text.where(text.notna(), "").astype(object).str.rstrip(" ")
    return pd.Series(text.to_numpy(dtype=object), dtype=object, name=var.name)


def item_oid(dataset: Dataset | str, variable: Variable | str) -> str:
    """Dataset-qualified item OID ``IT.<DATASET>.<VARIABLE>`` (as in the CDISC Dataset-JSON examples)."""
    ds = Dataset(name=dataset, label="") if isinstance(dataset, str) else dataset
    return ds.item_oid(variable if isinstance(variable, str) else variable.name)


_FORMAT_RE = re.compile(r"^(?P<name>\$?(?:[A-Z_](?:[A-Z0-9_]*[A-Z_])?)?)(?P<width>\d*)\.(?P<decimals>\d*)$")


def parse_sas_format(text: str) -> tuple[str, int, int] | None:
    """``(name, width, decimals)`` of a SAS format such as ``DATE9.``, ``8.2``, ``$CHAR20.``; None if invalid."""
    match = _FORMAT_RE.match(text.strip().upper())
    if not match:
        return None
    name = match["name"]
    if name == "" and match["width"] == "":
        return None
    return name, int(match["width"] or 0), int(match["decimals"] or 0)


@contextmanager
def atomic_file(path: str | os.PathLike[str], dataset: str | None = None) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed into place when the block ends, removed if it fails.

    So the target only ever appears complete.  TransportError if the folder does not exist.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise fail(f"folder {str(target.parent)!r} does not exist", dataset, file=str(target))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes, dataset: str | None = None) -> Path:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    with atomic_file(path, dataset) as tmp:
        tmp.write_bytes(data)
    return Path(path)
