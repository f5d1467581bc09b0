"""The one shape every raw export is read into, and the dispatcher that picks a reader.

A :class:`RawSource` is one form's data as text: every raw column is a pandas
``string`` column (missing values are ``pd.NA``), column names are the file's
own (surrounding whitespace stripped, case kept), and ``__row__`` gives each
record's 1-based data-row number in its file so that every later message can
point back at the raw record.

Conventions shared by all readers:

* values are kept exactly as exported (no trimming, no case change); only a
  value that is empty or whitespace-only becomes missing;
* numbers from typed formats (Excel, SAS7BDAT, XPT, Dataset-JSON) become text
  by :func:`numbers_to_text`: whole numbers without ``.0`` (``7``), others as the
  shortest text that reads back to the same double (``0.1``, ``12.75``), never
  in exponent notation;
* dates become ISO 8601 text: ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS``, ``HH:MM:SS``;
* records with no value at all (blank lines, empty spreadsheet rows) are dropped;
  the remaining records keep their original row numbers.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from converters.errors import DataError, Location

if TYPE_CHECKING:
    from converters.engine.compact import Form

#: Name of the provenance column added to every raw frame.
ROW = "__row__"
#: The text dtype of every raw column (missing is ``pd.NA``).
TEXT = pd.StringDtype()

CSV_SUFFIXES = (".csv", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SAS_SUFFIXES = (".sas7bdat",)
XPT_SUFFIXES = (".xpt",)
JSON_SUFFIXES = (".json", ".ndjson")
ODM_SUFFIXES = (".xml",)
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + SAS_SUFFIXES + XPT_SUFFIXES + JSON_SUFFIXES + ODM_SUFFIXES


@dataclass
class RawSource:
    """One raw form: its name, the file it came from, and its records as text."""

    name: str  # form name: file stem in lower case (ODM: FormOID in lower case)
    path: Path  # file it came from
    frame: pd.DataFrame  # raw columns as text plus ``__row__`` (1-based data-row number)
    encoding: str | None = None  # encoding used for text formats

    def column_names(self) -> list[str]:
        """The raw columns, in file order, without ``__row__``."""
        return [c for c in self.frame.columns if c != ROW]

    def __len__(self) -> int:
        return len(self.frame)


def read_raw(path: Path, *, encoding: str | None = None, sheet: str | int | None = None,
             name: str | None = None) -> RawSource:
    """Read one raw export, choosing the reader by file extension.

    ``encoding`` applies to CSV (declared instead of detected) and SAS7BDAT;
    ``sheet`` to Excel (name or 0-based index, first sheet by default); ``name``
    overrides the form name, and for an ODM-XML file holding several forms
    picks the form (by FormOID, any case).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(
            f"unsupported raw file type {path.suffix or '(no extension)'!r}",
            Location(file=str(path)),
            hint="raw exports may be " + ", ".join(SUPPORTED_SUFFIXES)
                 + (" (save .xls workbooks as .xlsx)" if suffix == ".xls" else ""),
        )
    if not path.is_file():
        raise DataError("raw file not found", Location(file=str(path)),
                        hint="check the path and the raw folder named in the run options")
    if suffix in ODM_SUFFIXES:
        from converters.readers.odm import read_odm
        forms = read_odm(path)
        return _pick_form(forms, path, name)
    form = (name or form_name(path))
    if suffix in CSV_SUFFIXES:
        from converters.readers.csv import read_csv
        return read_csv(path, encoding=encoding, name=form)
    if suffix in EXCEL_SUFFIXES:
        from converters.readers.excel import read_excel
        return read_excel(path, sheet=sheet, name=form)
    if suffix in SAS_SUFFIXES:
        from converters.readers.sas import read_sas7bdat
        return read_sas7bdat(path, encoding=encoding, name=form)
    return _read_transport(path, form)


def read_raw_folder(folder: Path, *, encodings: dict[str, str] | None = None) -> dict[str, RawSource]:
    """Read every raw export in ``folder`` (not recursive), keyed by form name.

    Files with other extensions, hidden files and Office lock files (``~$*``) are
    ignored.  ``encodings`` maps a form name (or file name) to a declared
    encoding.  Two files giving the same form name is an error.
    """
    from converters.engine.compact import raw_source

    return {name: raw_source(form) for name, form in iter_raw_folder(folder, encodings=encodings)}


def _read_form(path: Path, encoding: str | None) -> Form:
    """One file of a raw folder: a CSV form by ``read_csv_form`` (large ones in blocks, held as codes), others by
    :func:`read_raw`."""
    if path.suffix.lower() in CSV_SUFFIXES:
        from converters.readers.csv import read_csv_form
        return read_csv_form(path, encoding=encoding)
    return read_raw(path, encoding=encoding)


def iter_raw_folder(folder: Path, *, encodings: dict[str, str] | None = None) -> Iterator[tuple[str, Form]]:
    """The forms of :func:`read_raw_folder` one at a time, in the same order (files by name), each read when asked
    for, so a caller can hold each compactly before the next is read; a large CSV form comes already held as codes
    (``readers.csv.read_csv_form``: read in blocks, never whole as text)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("raw folder not found", Location(file=str(folder)),
                        hint="point the run at the folder holding the raw exports")
    encodings = {k.lower(): v for k, v in (encodings or {}).items()}
    files: dict[str, Path] = {}  # form name -> the file that gave it
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if (not path.is_file() or path.name.startswith((".", "~$"))
                or path.suffix.lower() not in SUPPORTED_SUFFIXES):
            continue
        encoding = encodings.get(path.name.lower()) or encodings.get(form_name(path))
        found: dict[str, Form]
        if path.suffix.lower() in ODM_SUFFIXES:
            from converters.readers.odm import read_odm
            found = dict(read_odm(path))
        else:
            found = {form_name(path): _read_form(path, encoding)}
        for key in found:
            if key in files:
                raise DataError(
                    f"two raw files give form {key!r}: {files[key].name} and {path.name}",
                    Location(file=str(path)),
                    hint="keep one export per form in the raw folder",
                )
            files[key] = found[key].path
        while found:
            key = next(iter(found))
            yield key, found.pop(key)


#: Suffixes of compressed files and archives (named as such when found in a raw folder).
COMPRESSED_SUFFIXES = (".zip", ".gz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".tgz", ".zst")
#: Files operating systems and office programs leave in folders.
SYSTEM_FILES = (".ds_store", "thumbs.db", "desktop.ini")


def unread_files(folder: Path) -> list[tuple[str, str]]:
    """Entries of a raw folder that :func:`read_raw_folder` does not read, each with why (nothing vanishes
    unreported): sub-folders, compressed files, other suffixes, hidden, lock and system files."""
    found: list[tuple[str, str]] = []
    for path in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        suffix = path.suffix.lower()
        if path.is_dir():
            found.append((path.name + "/", "a sub-folder: raw folders are not searched; move its exports up"))
        elif path.name.startswith("~$"):
            found.append((path.name, "an Office lock file (the workbook is open); not read"))
        elif path.name.lower() in SYSTEM_FILES:
            found.append((path.name, "a system file; not read"))
        elif path.name.startswith("."):
            found.append((path.name, "a hidden file; not read"))
        elif suffix in COMPRESSED_SUFFIXES or path.name.lower().endswith(".tar.gz"):
            found.append((path.name, "a compressed file: unpack its exports into the raw folder to read them"))
        elif suffix not in SUPPORTED_SUFFIXES:
            found.append((path.name, f"file type {path.suffix or '(none)'} is not a raw export format ("
                                     + ", ".join(SUPPORTED_SUFFIXES) + ")"))
    return found


def form_name(path: Path) -> str:
    """The form name of a raw file: its stem in lower case (``AE.csv`` -> ``ae``)."""
    return Path(path).stem.lower()


def _pick_form(forms: dict[str, RawSource], path: Path, name: str | None) -> RawSource:
    if name is not None and name.lower() in forms:
        return forms[name.lower()]
    if name is None and len(forms) == 1:
        return next(iter(forms.values()))
    listed = ", ".join(sorted(forms)) or "none"
    raise DataError(
        f"ODM file holds forms {listed}; " + (f"no form {name!r}" if name else "say which one to read"),
        Location(file=str(path)),
        hint="pass the form name (FormOID), or read the whole folder with read_raw_folder",
    )


def _read_transport(path: Path, form: str) -> RawSource:
    """XPT and Dataset-JSON: typed datasets turned into the all-text raw shape."""
    try:
        if path.suffix.lower() in XPT_SUFFIXES:
            from converters.readers.xpt import read_xpt as reader
        else:
            from converters.readers.dataset_json import read_dataset_json as reader
    except ImportError as exc:  # pragma: no cover - both modules ship with the package
        raise DataError(f"no reader for {path.suffix} files: {exc}", Location(file=str(path))) from exc
    frame, dataset = reader(path)
    formats = {v.name: v.display_format for v in dataset.variables if v.display_format}
    text = frame_to_text(frame, formats, path)
    return finish_frame(text, path, form, rows=np.arange(1, len(text) + 1))


# --------------------------------------------------------------------------------------
# Shared conversions: typed values to text, and the final raw-frame shape.

#: SAS formats that make a number a date, datetime or time (format name without width),
#: as recognised by ReadStat/pyreadstat.
SAS_DATE_FORMATS = frozenset({
    "WEEKDATE", "MMDDYY", "DDMMYY", "YYMMDD", "DATE", "DDMMYYB", "DDMMYYC", "DDMMYYD", "DDMMYYN",
    "DDMMYYP", "DDMMYYS", "MMDDYYB", "MMDDYYC", "MMDDYYD", "MMDDYYN", "MMDDYYP", "MMDDYYS",
    "WEEKDATX", "DTDATE", "IS8601DA", "E8601DA", "B8601DA", "YYMMDDB", "YYMMDDD", "YYMMDDN",
    "YYMMDDP", "YYMMDDS", "MONYY", "NLDATE",
})
SAS_DATETIME_FORMATS = frozenset({
    "DATETIME", "E8601DT", "DATEAMPM", "MDYAMPM", "IS8601DT", "B8601DT", "B8601DN", "E8601DN",
    "NLDATM",
})
SAS_TIME_FORMATS = frozenset({"TIME", "HHMM", "TOD", "TIMEAMPM", "IS8601TM", "E8601TM", "B8601TM"})
_SAS_EPOCH = np.datetime64("1960-01-01", "s")


def sas_temporal_kind(sas_format: str | None) -> str | None:
    """``date``, ``datetime`` or ``time`` for a SAS display format such as ``DATE9.``; else None."""
    if not sas_format:
        return None
    stem = re.sub(r"\d*\.?\d*$", "", sas_format.strip().upper())
    if stem in SAS_DATE_FORMATS:
        return "date"
    if stem in SAS_DATETIME_FORMATS:
        return "datetime"
    if stem in SAS_TIME_FORMATS:
        return "time"
    return None


def numbers_to_text(values: pd.Series) -> pd.Series:
    """Numbers as text: whole values without ``.0``, others as the shortest round-trip
    decimal (never exponent notation); NaN becomes missing."""
    if pd.api.types.is_integer_dtype(values.dtype):  # exact, even past 2**53
        return values.astype(TEXT)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(numbers), None, dtype=object)
    finite = np.isfinite(numbers)
    whole = finite & (np.floor(numbers) == numbers) & (np.abs(numbers) < 2.0 ** 53)
    out[whole] = numbers[whole].astype(np.int64).astype(str)
    rest = finite & ~whole
    if rest.any():
        text = numbers[rest].astype(str)  # numpy gives the shortest round-trip repr
        sci = np.char.find(text, "e") >= 0
        if sci.any():  # rare: tiny or huge values; write them out positionally
            text = text.astype(object)
            text[sci] = [np.format_float_positional(x, trim="-") for x in numbers[rest][sci]]
        out[rest] = pd.Series(text, dtype=object).str.removesuffix(".0").to_numpy(dtype=object)  # >= 2**53
    return pd.Series(out, index=values.index, dtype=TEXT, name=values.name)


def sas_numbers_to_text(values: pd.Series, kind: str | None) -> pd.Series:
    """SAS numbers as text: dates (days since 1960-01-01) as ``YYYY-MM-DD``, datetimes
    (seconds since 1960-01-01T00:00:00) as ``YYYY-MM-DDTHH:MM:SS``, times (seconds since
    midnight) as ``HH:MM:SS``; fractions of a second are dropped, as SAS displays them.
    Other numbers by :func:`numbers_to_text`."""
    if kind is None:
        return numbers_to_text(values)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(numbers), None, dtype=object)
    ok = np.isfinite(numbers)
    if kind == "time":
        secs = np.floor(numbers[ok]).astype(np.int64)
        hours, rest = np.divmod(secs, 3600)
        minutes, seconds = np.divmod(rest, 60)
        parts = [pd.Series(p).astype(str).str.zfill(2) for p in (hours, minutes, seconds)]
        out[ok] = (parts[0] + ":" + parts[1] + ":" + parts[2]).to_numpy(dtype=object)
    else:
        scale = 86400 if kind == "date" else 1
        secs = (np.floor(numbers[ok]) * scale).astype(np.int64)
        stamps = _SAS_EPOCH + secs.astype("timedelta64[s]")
        out[ok] = np.datetime_as_string(stamps, unit="D" if kind == "date" else "s").astype(object)
    return pd.Series(out, index=values.index, dtype=TEXT, name=values.name)


def objects_to_text(values: pd.Series) -> pd.Series:
    """Mixed Python cell values (as from a spreadsheet) as text, one type at a time:
    strings as is, numbers by :func:`numbers_to_text`, datetimes as ISO 8601 (date only
    when the time is midnight), times as ``HH:MM:SS``, booleans as ``TRUE``/``FALSE``."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty"):
        return values.astype(TEXT)
    kinds = values.map(type, na_action="ignore")
    out = pd.Series(pd.NA, index=values.index, dtype=TEXT, name=values.name)
    present = values.notna().to_numpy()
    is_str = (kinds == str).to_numpy()  # noqa: E721 (elementwise, not a type test)
    is_bool = kinds.isin([bool, np.bool_]).to_numpy()
    is_num = kinds.isin([int, float, np.int64, np.float64, np.int32, np.float32]).to_numpy()
    is_stamp = kinds.isin([dt.datetime, dt.date, pd.Timestamp]).to_numpy()
    if is_str.any():
        out[is_str] = values[is_str].astype(TEXT)
    if is_bool.any():
        out[is_bool] = values[is_bool].map({True: "TRUE", False: "FALSE"}).astype(TEXT)
    if is_num.any():
        out[is_num] = numbers_to_text(values[is_num])
    if is_stamp.any():
        text = values[is_stamp].astype(str).str.replace(" ", "T", n=1, regex=False)
        out[is_stamp] = text.str.replace(r"T00:00:00$", "", regex=True).astype(TEXT)
    other = present & ~(is_str | is_bool | is_num | is_stamp)
    if other.any():  # times (HH:MM:SS[.ffffff]), durations and anything else: their own text
        out[other] = values[other].astype(str).astype(TEXT)
    return out


def frame_to_text(frame: pd.DataFrame, formats: dict[str, str] | None, path: Path) -> pd.DataFrame:
    """Every column of a typed frame as text; numeric columns with a SAS date, datetime
    or time format (``formats`` maps column to display format) as ISO 8601."""
    formats = formats or {}
    columns: dict[str, pd.Series] = {}
    for col in frame.columns:
        values = frame[col]
        try:
            if pd.api.types.is_bool_dtype(values):
                columns[col] = objects_to_text(values.astype(object))
            elif pd.api.types.is_numeric_dtype(values):
                columns[col] = sas_numbers_to_text(values, sas_temporal_kind(formats.get(col)))
            elif pd.api.types.is_datetime64_any_dtype(values):
                columns[col] = objects_to_text(values.astype(object))
            elif isinstance(values.dtype, pd.StringDtype) or values.dtype == object or values.dtype == "str":
                columns[col] = objects_to_text(values)
            else:
                columns[col] = values.astype(str).where(values.notna()).astype(TEXT)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"cannot turn the values into text: {exc}",
                            Location(file=str(path), column=str(col)),
                            hint="check the column's values and display format") from exc
    return pd.DataFrame(columns, index=frame.index)


def finish_frame(frame: pd.DataFrame, path: Path, name: str, *, rows: np.ndarray,
                 encoding: str | None = None, whitespace: bool = True) -> RawSource:
    """Give a text frame the raw shape: stripped unique column names, ``string`` dtype,
    empty or whitespace-only values missing, ``__row__`` from ``rows``, empty records dropped.

    ``whitespace=False`` says the caller knows no value is whitespace-only (only
    empty values are then looked for, which is much faster on large files)."""
    names = ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip()
             for c in frame.columns]
    frame = frame.set_axis(range(len(names)), axis=1).reset_index(drop=True)
    columns: dict[str, pd.Series] = {}
    kept: list[str] = []
    blanks: list[np.ndarray] = []
    for pos, col in enumerate(names):
        fast = _text_with_blanks(frame[pos], whitespace)
        if fast is not None:
            text_values, blank = fast
        else:
            values = frame[pos].astype(TEXT)
            if whitespace:
                codes, uniques = pd.factorize(values)  # each distinct value checked once; missing is blank
                blank = np.array([not value.strip() for value in uniques] + [True], dtype=bool)[codes]
            else:
                blank = (values.isna() | (values == "")).to_numpy(dtype=bool)
            text_values = values.mask(blank)
        if col == "" and blank.all():
            continue  # an unnamed column with no values (trailing delimiter, formatted cells)
        if col == "":
            raise DataError(f"header column {pos + 1} has no name but holds values", Location(file=str(path)),
                            hint="give every column with values a name in the export")
        kept.append(col)
        columns[col] = text_values
        blanks.append(blank)
    check_column_names(kept, path)
    names = kept
    text = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    text[ROW] = pd.Series(np.asarray(rows, dtype=np.int64))
    if names:
        text = text[~np.logical_and.reduce(blanks)].reset_index(drop=True)  # records with no value are dropped
    return RawSource(name=name, path=Path(path), frame=text, encoding=encoding)


def _text_with_blanks(values: pd.Series, whitespace: bool) -> tuple[pd.Series, np.ndarray] | None:
    """``values.astype(TEXT).mask(blank)`` and ``blank`` (missing, empty or, with ``whitespace``, blanks only) on
    the object array of a Python-storage text column whose values are all text (what the CSV parser gives), without
    pandas' conversion and masking passes; None for any other column."""
    dtype = values.dtype
    objects = getattr(values.array, "_ndarray", None)
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "python" or not isinstance(objects, np.ndarray) \
            or TEXT.storage != "python":
        return None
    missing = pd.isna(objects)
    if whitespace:
        codes, uniques = pd.factorize(objects)  # each distinct value checked once; missing is blank
        blank = np.array([not value.strip() for value in uniques] + [True], dtype=bool)[codes]
    elif missing.any():  # (pd.NA does not compare)
        blank = missing.copy()
        blank[~missing] = objects[~missing] == ""
    else:
        blank = objects == ""
    out = objects.copy()
    out[blank] = pd.NA
    return pd.Series(pd.arrays.StringArray(out), index=values.index, name=values.name, copy=False), blank


def check_column_names(names: list[str], path: Path) -> None:
    """Raise a DataError for a duplicate, reserved or empty column name in a header."""
    where = Location(file=str(path))
    if "" in names:
        raise DataError(f"header column {names.index('') + 1} has no name", where,
                        hint="give every column a name in the export")
    if ROW in names:
        raise DataError(f"header column name {ROW!r} is reserved", where, hint="rename the column in the export")
    dupes = sorted(n for n, count in Counter(names).items() if count > 1)
    if dupes:
        raise DataError("duplicate header column names: " + ", ".join(dupes), where,
                        hint="column names must be unique (after stripping surrounding spaces)")
