"""SAS transport (XPORT) version 5 files, checked against the transport rules and written with numpy.

The FDA/PMDA/NMPA rules for XPT v5 are enforced here.  The bytes are our own too (SAS technical
note TS-140 layout; :mod:`converters.writers.ibm` for the numbers), because the library we used
before, pyreadstat 1.3.7 ``write_xport``, gets the rules wrong and is slow: it defaults to version
8, truncates labels over 40 characters without a word, writes values over 200 bytes, accepts any
format string (and truncates format names over 8), writes datetime64 columns as DATETIME numbers
whatever the format, stamps the header with the wall clock, leaves a partial file behind when it
refuses a name, sizes a text column by its longest value (so a fixed length or an empty dataset
needed the file patched afterwards), stores numbers from 2**249 on as the largest IBM number
without a word, cuts text at a NUL character, and walks the frame record by record in Python.

So :func:`check_xpt` checks everything first and prepares each column once (numbers and numeric
dates as SAS numbers, text as codes into its distinct values, see
:mod:`converters.writers.text_facts`), and :func:`write_xpt` packs fixed-width records column by
column in blocks of records, to a temporary file beside the target that is renamed into place.
The bytes are the same as pyreadstat's (after the fixes above) for every dataset it writes
correctly; the tests compare the two, and read our files back with pyreadstat and pandas.
"""
from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.ibm import IBM_LIMIT, ibm_doubles
from converters.writers.text_facts import TextFacts, facts_for
from converters.writers.transport import (
    atomic_file,
    check_columns,
    fail,
    first_true,
    numeric_values,
    parse_sas_format,
    sas_missing_letters,
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

# SAS XPORT v5 layout (TS-140): 80-byte records.  Record 2 (library real header) and record 6
# (member header data) end with the 16-byte creation stamp; records 3 and 7 start with the
# modified stamp.  The SAS version and operating system fields say what pyreadstat wrote before,
# so files stay byte-identical across the change of writer.
_RECORD = 80
_TIMESTAMP_OFFSETS = (80 + 64, 160, 400 + 64, 480)
_SAS_VERSION = b"6.06    "
_SAS_OS = b"bsd4.2  "
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: NAMESTR record (140 bytes, big-endian): ntype, nhfun, nlng, nvar0, nname, nlabel, nform, nfl, nfd,
#: nfj, nfill, niform, nifl, nifd, npos, rest.
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhl52s")
_NUMERIC, _CHARACTER = 1, 2
#: Bytes of records packed per block when writing (bounds the memory of the record buffer).
_BLOCK_BYTES = 4 << 20
#: A text column's distinct values are laid out once as fixed-width cells when they take at most this
#: many bytes; above it (many long distinct values) the cells are made per block instead.
_TABLE_BYTES = 64 << 20


@dataclass
class XptColumn:
    """One variable ready to pack: SAS numbers (numeric) or its text facts (character), and its length."""

    variable: Variable
    length: int
    numbers: np.ndarray | None = None
    missing: np.ndarray | None = None
    text: TextFacts | None = None


@dataclass
class XptPlan:
    """What :func:`check_xpt` approved: each column prepared for the byte writer, and its attributes."""

    columns: list[XptColumn]
    labels: list[str]
    formats: dict[str, str]
    lengths: dict[str, int]
    records: int

    @property
    def frame(self) -> pd.DataFrame:
        """The approved data as a frame: numbers as float64 SAS numbers, text with missing as ``""``."""
        out: dict[str, object] = {}
        for col in self.columns:
            if col.text is None:
                out[col.variable.name] = pd.Series(col.numbers, dtype="float64")
            else:
                values = col.text.record_values()
                values[col.text.missing] = ""
                out[col.variable.name] = pd.Series(values, dtype=object)
        return pd.DataFrame(out, index=pd.RangeIndex(self.records))


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
    name, _, decimals = parsed
    if len(name) > MAX_FORMAT_NAME:
        raise fail(f"display format {var.display_format!r} has a name longer than {MAX_FORMAT_NAME} characters",
                   dataset, var.name)
    if var.is_numeric == name.startswith("$"):
        kind = "numeric" if var.is_numeric else "character"
        raise fail(f"display format {var.display_format!r} does not suit a {kind} variable", dataset, var.name,
                   hint="character formats start with $, numeric formats do not")
    if name.startswith("$") and decimals:
        raise fail(f"display format {var.display_format!r} gives decimals to a character format", dataset,
                   var.name, hint="character formats have a width only, such as $20.")
    return fmt


def check_xpt(frame: pd.DataFrame, dataset: Dataset, *, facts: Mapping[str, TextFacts] | None = None) -> XptPlan:
    """Check ``frame`` and ``dataset`` against the XPT v5 rules; the columns to write, or TransportError.

    Checks: dataset and variable names, labels (ASCII, 40), display formats, frame columns
    against the variables, character values (text, ASCII, no NUL, at most 200 bytes and at most a
    fixed metadata length), numbers (finite, within what an IBM double carries) and numeric dates
    (converted to SAS numbers).  The first violation raises, naming dataset, variable, 1-based
    record number and the value.  ``facts`` are text facts already measured on this frame (see
    :func:`converters.writers.text_facts.dataset_text_facts`), to share them with another writer.
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
    columns: list[XptColumn] = []
    for var in dataset.variables:
        series = frame[var.name].reset_index(drop=True)
        if var.is_numeric:
            columns.append(_numeric_column(series, var, ds))
        else:
            columns.append(_character_column(facts_for(facts, series, ds, var.name), var, ds))
    lengths = {col.variable.name: col.length for col in columns}
    return XptPlan(columns, labels, formats, lengths, len(frame))


def _numeric_column(series: pd.Series, var: Variable, ds: str) -> XptColumn:
    kind = var.temporal_kind
    values = to_sas_numbers(series, kind, ds, var.name) if kind else numeric_values(series, ds, var.name)
    bad = first_true(np.abs(values) >= IBM_LIMIT)
    if bad is not None:
        raise fail(f"value {values[bad]!r} is too large for a SAS transport number (an IBM double carries "
                   "magnitudes below 16**63, about 7.2E+75)", ds, var.name, bad + 1,
                   hint="check the derivation; such a number cannot be submitted in XPT v5")
    return XptColumn(var, 8, numbers=np.asarray(values, dtype=np.float64), missing=sas_missing_letters(series))


def _character_column(facts: TextFacts, var: Variable, ds: str) -> XptColumn:
    bad = facts.first_row(~facts.ascii)
    if bad is not None:
        raise fail(f"value {facts.values[facts.codes[bad]]!r} has non-ASCII characters", ds, var.name, bad + 1,
                   hint="XPT v5 takes ASCII only; correct the value (no silent transliteration is done)")
    with_nul = np.fromiter(("\x00" in v for v in facts.values), dtype=bool, count=len(facts.values))
    bad = facts.first_row(with_nul)
    if bad is not None:
        raise fail(f"value {facts.values[facts.codes[bad]]!r} holds a NUL character", ds, var.name, bad + 1,
                   hint="remove the control character from the value")
    bad = facts.first_row(facts.nbytes > MAX_VALUE_BYTES)
    if bad is not None:
        code = facts.codes[bad]
        raise fail(f"value is {facts.nbytes[code]} bytes, over the XPT v5 limit of {MAX_VALUE_BYTES}: "
                   f"{facts.values[code]!r}", ds, var.name, bad + 1,
                   hint="split the text (e.g. into SUPP-- or --TESTx variables) as the IG describes")
    if var.length is not None:
        if not 1 <= var.length <= MAX_VALUE_BYTES:
            raise fail(f"length {var.length} is outside 1-{MAX_VALUE_BYTES}", ds, var.name)
        bad = facts.first_row(facts.nbytes > var.length)
        if bad is not None:
            code = facts.codes[bad]
            raise fail(f"value is {facts.nbytes[code]} bytes, longer than the variable's length {var.length}: "
                       f"{facts.values[code]!r}", ds, var.name, bad + 1,
                       hint="raise the length in the metadata or correct the value")
        length = int(var.length)
    else:
        length = max(facts.max_bytes, 1)
    return XptColumn(var, length, text=facts)


def write_xpt(frame: pd.DataFrame, dataset: Dataset, path: str | os.PathLike[str], *,
              created: datetime | None = None, facts: Mapping[str, TextFacts] | None = None) -> Path:
    """Write ``frame`` as an XPT v5 file described by ``dataset``; the path written.

    Columns are written in variable order; character missing values become blank, numeric
    missing values SAS missing (text ``.A``-``.Z`` and ``._`` in a numeric variable become those
    special missing values).  Numeric dates are written as SAS numbers with their format.
    ``created`` sets the header's created/modified stamps (default 1970-01-01T00:00:00), so
    identical input gives identical bytes; the header keeps two-digit years, which SAS and
    python readers read alike only for 1969-2025.  Nothing is written unless every rule holds, and the
    target only ever appears complete (temporary file beside it, then an atomic rename).
    ``facts``: text facts already measured on this frame, shared with another writer.
    """
    plan = check_xpt(frame, dataset, facts=facts)
    target = Path(path)
    with atomic_file(target, dataset.name) as tmp, open(tmp, "wb") as handle:
        handle.write(xpt_header(dataset, plan, created or DEFAULT_CREATED))
        for block in xpt_records(plan):
            handle.write(block)
    return target


class XptPieces:
    """An XPT v5 file written from a dataset's pieces in record order (a domain finished per batch of subjects):
    each piece is checked as :func:`check_xpt` checks a frame (a violation names its record in the whole
    dataset) and its records are packed and written at once, so one piece is held at a time. The header comes
    from the metadata (every character variable needs its ``length``), so the bytes are those of
    :func:`write_xpt` on the pieces put together."""

    def __init__(self, dataset: Dataset, handle: BinaryIO, created: datetime | None = None) -> None:
        missing = [v.name for v in dataset.variables if not v.is_numeric and v.length is None]
        if missing:
            raise ValueError(f"{dataset.name}: written in pieces, every character variable needs a length "
                             f"({', '.join(missing)} have none)")
        self.dataset, self.handle, self.created = dataset, handle, created or DEFAULT_CREATED
        self.records = 0
        self.width = 0
        self._header = False

    def write(self, frame: pd.DataFrame, facts: Mapping[str, TextFacts] | None = None) -> None:
        """Check and write the next piece's records."""
        try:
            plan = check_xpt(frame, self.dataset, facts=facts)
        except TransportError as exc:
            if exc.where.row is not None:
                exc.where.row += self.records
            raise
        self._start(plan)
        for block in xpt_records(plan, pad=False):
            self.handle.write(block)
        self.records += plan.records

    def close(self) -> None:
        """End the file: the header when no piece came, blanks to a full 80-byte record."""
        if not self._header:
            self._start(check_xpt(pd.DataFrame({v.name: pd.Series(dtype="float64" if v.is_numeric else object)
                                                for v in self.dataset.variables}), self.dataset))
        self.handle.write(b" " * (-(self.records * self.width) % _RECORD))

    def _start(self, plan: XptPlan) -> None:
        if not self._header:
            self.handle.write(xpt_header(self.dataset, plan, self.created))
            self.width = sum(col.length for col in plan.columns)
            self._header = True


def xpt_header(dataset: Dataset, plan: XptPlan, created: datetime) -> bytes:
    """Library, member, descriptor and NAMESTR records and the OBS header of a one-member v5 file."""
    stamp = xpt_timestamp(created)
    records = [
        _header_record(b"LIBRARY"),
        b"SAS     SAS     SASLIB  " + _SAS_VERSION + _SAS_OS + b" " * 24 + stamp,
        stamp.ljust(_RECORD),
        _header_record(b"MEMBER", (0, 0, 0, 160, 0, 140)),
        _header_record(b"DSCRPTR"),
        b"SAS     " + _ascii(dataset.name, 8) + b"SASDATA " + _SAS_VERSION + _SAS_OS + b" " * 24 + stamp,
        stamp + b" " * 16 + _ascii(dataset.label or "", 40) + b" " * 8,
        _header_record(b"NAMESTR", (0, len(plan.columns), 0, 0, 0, 0)),
        _pad(b"".join(_namestr(index, col, position, plan.formats.get(col.variable.name), label)
                      for index, (col, position, label) in enumerate(zip(plan.columns, _positions(plan),
                                                                         plan.labels)))),
        _header_record(b"OBS"),
    ]
    return b"".join(records)


def _header_record(name: bytes, numbers: tuple[int, ...] = (0, 0, 0, 0, 0, 0)) -> bytes:
    digits = "".join(f"{n:05d}" for n in numbers).encode("ascii")
    return b"HEADER RECORD*******" + name.ljust(8) + b"HEADER RECORD!!!!!!!" + digits + b"  "


def _ascii(text: str, width: int) -> bytes:
    return text.encode("ascii").ljust(width)[:width]


def _pad(data: bytes) -> bytes:
    return data + b" " * (-len(data) % _RECORD)


def _positions(plan: XptPlan) -> list[int]:
    return np.concatenate([[0], np.cumsum([c.length for c in plan.columns])[:-1]]).astype(int).tolist() \
        if plan.columns else []


def _namestr(index: int, col: XptColumn, position: int, fmt: str | None, label: str) -> bytes:
    parsed = parse_sas_format(fmt) if fmt else ("", 0, 0)
    if parsed is None:  # formats are checked when the plan is made
        raise ValueError(f"{col.variable.name}: {fmt!r} is not a SAS format")
    name, width, decimals = parsed
    numeric = col.text is None
    return _NAMESTR.pack(_NUMERIC if numeric else _CHARACTER, 0, col.length, index + 1,
                         _ascii(col.variable.name, 8), _ascii(label, 40), _ascii(name, 8),
                         width, decimals, 1 if numeric else 0, b"\x00\x00", b" " * 8, 0, 0, position,
                         b"\x00" * 52)


def xpt_records(plan: XptPlan, pad: bool = True) -> Iterator[bytes]:
    """The observation records, packed column by column in blocks, ending with blanks to a full 80-byte record
    (unless ``pad`` is False: more records follow)."""
    width = sum(col.length for col in plan.columns)
    if not plan.records or not width:
        return
    cells = [_column_cells(col) for col in plan.columns]
    step = max(1, _BLOCK_BYTES // width)
    for start in range(0, plan.records, step):
        stop = min(plan.records, start + step)
        block = np.empty((stop - start, width), dtype=np.uint8)
        position = 0
        for col, make in zip(plan.columns, cells):
            block[:, position:position + col.length] = make(start, stop)
            position += col.length
        yield block.tobytes()
    if pad:
        yield b" " * (-(plan.records * width) % _RECORD)


def _column_cells(col: XptColumn) -> Callable[[int, int], np.ndarray]:
    """A function giving the (records, length) bytes of records ``start:stop`` of one column."""
    if col.text is None:
        assert col.numbers is not None
        words = ibm_doubles(col.numbers, col.missing).view(np.uint8).reshape(-1, 8)
        return lambda start, stop: words[start:stop]
    facts, length = col.text, col.length
    if (len(facts.values) + 1) * length <= _TABLE_BYTES:
        table = _fixed_width(np.append(facts.values, ""), length)
        return lambda start, stop: table[facts.codes[start:stop]]
    values = np.append(facts.values, "")
    return lambda start, stop: _fixed_width(values[facts.codes[start:stop]], length)


def _fixed_width(values: np.ndarray, length: int) -> np.ndarray:
    """ASCII text values as (n, length) bytes, blank-padded (values are checked: ASCII, no NUL, fit)."""
    cells = np.asarray(values, dtype=f"S{length}").view(np.uint8).reshape(-1, length).copy()
    cells[cells == 0] = ord(" ")
    return cells
