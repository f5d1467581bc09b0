"""SAS transport (XPORT) version 5 files, checked against the transport rules before writing.

The FDA/PMDA/NMPA rules for XPT v5 are enforced here, not left to the library that writes the
bytes: pyreadstat 1.3.7 ``write_xport`` defaults to version 8, truncates labels over 40
characters without a word, writes values over 200 bytes, accepts any format string (and
truncates format names over 8), writes datetime64 columns as DATETIME numbers whatever the
format, stamps the header with the wall clock and leaves a partial file behind when it refuses
a name.  So :func:`write_xpt` checks everything first, converts numeric dates itself, writes to a
temporary file beside the target, fixes the header timestamps and renames atomically.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.transport import (
    atomic_file,
    byte_lengths,
    check_columns,
    fail,
    first_true,
    numeric_values,
    parse_sas_format,
    text_values,
    to_sas_numbers,
)

NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
MAX_NAME = 8
MAX_LABEL = 40
MAX_VALUE_BYTES = 200
MAX_FORMAT_NAME = 8
#: Header timestamp when no ``created`` is given, so the bytes never depend on the clock.  The header
#: has two-digit years: SAS (YEARCUTOFF 1926) and python's ``%y`` (pandas, pyreadstat) agree only on
#: 1969-2025, so the default is 1970-01-01 (the SAS epoch 1960 would read back as 2060 in python).
DEFAULT_CREATED = datetime(1970, 1, 1)

# SAS XPORT v5 layout: 80-byte records.  Record 2 (library real header) and record 6 (member
# header data) end with the 16-byte creation stamp; records 3 and 7 start with the modified stamp.
_TIMESTAMP_OFFSETS = (80 + 64, 160, 400 + 64, 480)
_LIBRARY_PREFIX = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_REAL_HEADER_PREFIX = b"SAS     SAS     SASLIB  "
_MEMBER_PREFIX = b"SAS     "
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass
class XptPlan:
    """What :func:`check_xpt` approved: the frame to hand to the byte writer and its attributes."""

    frame: pd.DataFrame
    labels: list[str]
    formats: dict[str, str]
    lengths: dict[str, int]


def xpt_timestamp(moment: datetime) -> bytes:
    """The 16-byte ``ddMMMyy:hh:mm:ss`` stamp of an XPT v5 header."""
    text = f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:" \
           f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    return text.encode("ascii")


def check_name(name: str, what: str, dataset: str, variable: str | None = None) -> None:
    """Names are 1-8 characters: uppercase letters, digits, underscore, starting with a letter."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise fail(f"{what} name {name!r} breaks the XPT v5 rule: 1-{MAX_NAME} characters, uppercase letters, "
                   "digits or underscore, starting with a letter", dataset, variable)


def check_label(label: str | None, what: str, dataset: str, variable: str | None = None) -> str:
    """Labels are ASCII and at most 40 characters; returns the label ('' for none)."""
    text = label or ""
    if not text.isascii():
        raise fail(f"{what} label {text!r} has non-ASCII characters", dataset, variable,
                   hint="XPT v5 takes ASCII only; reword the label (no silent transliteration is done)")
    if len(text) > MAX_LABEL:
        raise fail(f"{what} label is {len(text)} characters, over the XPT v5 limit of {MAX_LABEL}: {text!r}",
                   dataset, variable, hint="shorten the label in the metadata")
    return text


def check_format(var: Variable, dataset: str) -> str | None:
    """A valid SAS format name for the variable's type, upper-cased; None if it has none."""
    if not var.display_format:
        return None
    fmt = var.display_format.strip().upper()
    parsed = parse_sas_format(fmt)
    if parsed is None:
        raise fail(f"display format {var.display_format!r} is not a SAS format (name, width, '.', decimals)",
                   dataset, var.name, hint="use a format such as DATE9., DATETIME20., TIME8., 8.2 or $20.")
    name = parsed[0]
    if len(name) > MAX_FORMAT_NAME:
        raise fail(f"display format {var.display_format!r} has a name longer than {MAX_FORMAT_NAME} characters",
                   dataset, var.name)
    if var.is_numeric == name.startswith("$"):
        kind = "numeric" if var.is_numeric else "character"
        raise fail(f"display format {var.display_format!r} does not suit a {kind} variable", dataset, var.name,
                   hint="character formats start with $, numeric formats do not")
    return fmt


def check_xpt(frame: pd.DataFrame, dataset: Dataset) -> XptPlan:
    """Check ``frame`` and ``dataset`` against the XPT v5 rules; the frame to write, or TransportError.

    Checks: dataset and variable names, labels (ASCII, 40), display formats, frame columns
    against the variables, character values (text, ASCII, at most 200 bytes and at most a fixed
    metadata length), numbers and numeric dates (converted to SAS numbers).  The first violation
    raises, naming dataset, variable, 1-based record number and the value.
    """
    ds = dataset.name
    check_name(ds, "dataset", ds)
    check_label(dataset.label, "dataset", ds)
    labels, formats = [], {}
    for var in dataset.variables:
        check_name(var.name, "variable", ds, var.name)
        labels.append(check_label(var.label, "variable", ds, var.name))
        fmt = check_format(var, ds)
        if fmt:
            formats[var.name] = fmt
    check_columns(frame, dataset)
    out: dict[str, object] = {}
    lengths: dict[str, int] = {}
    for var in dataset.variables:
        series = frame[var.name].reset_index(drop=True)
        if var.is_numeric:
            kind = var.temporal_kind
            values = to_sas_numbers(series, kind, ds, var.name) if kind else numeric_values(series, ds, var.name)
            out[var.name] = pd.Series(values, dtype="float64")
            lengths[var.name] = 8
        else:
            text, length = _character_column(series, var, ds)
            out[var.name] = text
            lengths[var.name] = length
    prepared = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    return XptPlan(prepared, labels, formats, lengths)


def _character_column(series: pd.Series, var: Variable, ds: str) -> tuple[pd.Series, int]:
    text = text_values(series, ds, var.name)
    filled = text.where(text.notna(), "")
    nbytes = byte_lengths(filled)
    nchars = filled.str.len().to_numpy(dtype=np.int64) if len(filled) else np.zeros(0, dtype=np.int64)
    bad = first_true(nbytes != nchars)
    if bad is not None:
        raise fail(f"value {filled.iloc[bad]!r} has non-ASCII characters", ds, var.name, bad + 1,
                   hint="XPT v5 takes ASCII only; correct the value (no silent transliteration is done)")
    bad = first_true(nbytes > MAX_VALUE_BYTES)
    if bad is not None:
        raise fail(f"value is {nbytes[bad]} bytes, over the XPT v5 limit of {MAX_VALUE_BYTES}: "
                   f"{filled.iloc[bad]!r}", ds, var.name, bad + 1,
                   hint="split the text (e.g. into SUPP-- or --TESTx variables) as the IG describes")
    longest = int(nbytes.max()) if len(nbytes) else 0
    if var.length is not None:
        if not 1 <= var.length <= MAX_VALUE_BYTES:
            raise fail(f"length {var.length} is outside 1-{MAX_VALUE_BYTES}", ds, var.name)
        bad = first_true(nbytes > var.length)
        if bad is not None:
            raise fail(f"value is {nbytes[bad]} bytes, longer than the variable's length {var.length}: "
                       f"{filled.iloc[bad]!r}", ds, var.name, bad + 1,
                       hint="raise the length in the metadata or correct the value")
        length = var.length
    else:
        length = max(longest, 1)
    if len(filled) and longest < length:
        # The byte writer sizes a column by its longest value; SAS pads with blanks anyway,
        # so padding one value to the wanted length gives that length and the same bytes.
        filled = filled.copy()
        filled.iloc[0] = filled.iloc[0].ljust(length)
    return pd.Series(filled.to_numpy(dtype=object), dtype=object), length


def write_xpt(frame: pd.DataFrame, dataset: Dataset, path: str | os.PathLike[str], *,
              created: datetime | None = None) -> Path:
    """Write ``frame`` as an XPT v5 file described by ``dataset``; the path written.

    Columns are written in variable order; character missing values become blank, numeric
    missing values SAS missing.  Numeric dates are written as SAS numbers with their format.
    ``created`` sets the header's created/modified stamps (default 1970-01-01T00:00:00), so
    identical input gives identical bytes; the header keeps two-digit years, which SAS and
    python readers read alike only for 1969-2025.  Nothing is written unless every rule holds, and the
    target only ever appears complete (temporary file beside it, then an atomic rename).
    """
    import pyreadstat

    plan = check_xpt(frame, dataset)
    target = Path(path)
    with atomic_file(target, dataset.name) as tmp:
        try:
            pyreadstat.write_xport(plan.frame, str(tmp), file_label=dataset.label or "",
                                   column_labels=plan.labels, table_name=dataset.name,
                                   file_format_version=5, variable_format=plan.formats or None)
        except Exception as exc:  # pyreadstat raises its own error types
            raise fail(f"the XPT writer refused the dataset: {exc}", dataset.name, file=str(target)) from exc
        stamp_xpt_header(tmp, created or DEFAULT_CREATED)
        if plan.frame.empty:
            set_empty_member_lengths(tmp, [plan.lengths[v.name] for v in dataset.variables])
    return target


def stamp_xpt_header(path: Path, moment: datetime) -> None:
    """Set the created/modified stamps of a one-member XPT v5 file (library and member headers)."""
    stamp = xpt_timestamp(moment)
    with open(path, "r+b") as fh:
        head = fh.read(560)
        if not (head.startswith(_LIBRARY_PREFIX) and head[80:104] == _REAL_HEADER_PREFIX
                and head[400:408] == _MEMBER_PREFIX):
            raise TransportError(f"{path.name} does not have the XPT v5 header layout expected")
        for offset in _TIMESTAMP_OFFSETS:
            fh.seek(offset)
            fh.write(stamp)


_NAMESTR_START = 640  # after the 8 header records of a v5 file with one member
_NAMESTR_SIZE = 140


def set_empty_member_lengths(path: Path, lengths: list[int]) -> None:
    """Give the variables of a member without records their lengths (NAMESTR nlng and npos).

    The byte writer sizes character variables by their longest value, so a dataset with no
    records would get length 1 everywhere.  With no observations only the NAMESTR records hold
    lengths and positions, so they are set here.
    """
    with open(path, "r+b") as fh:
        head = fh.read(_NAMESTR_START)
        if head[560:580] != b"HEADER RECORD*******" or head[580:588] != b"NAMESTR ":
            raise TransportError(f"{path.name} does not have the XPT v5 NAMESTR layout expected")
        position = 0
        for index, length in enumerate(lengths):
            record = _NAMESTR_START + index * _NAMESTR_SIZE
            fh.seek(record + 4)
            fh.write(length.to_bytes(2, "big"))
            fh.seek(record + 84)
            fh.write(position.to_bytes(4, "big"))
            position += length
