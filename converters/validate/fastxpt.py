"""A fast reader for the common case of SAS XPORT v5: one member, ASCII text.

The validator reads every dataset of a folder on each run, and on large studies the time
goes into reading.  This reader parses the fixed-width v5 layout with numpy in one pass and
returns exactly what :func:`converters.readers.xpt.read_xpt` returns (the tests compare the two
on every file they have).  Anything unusual — a v8 file, several members, bytes it does not
expect — returns None, and the caller uses ``read_xpt``.  Non-ASCII text is read only when an
encoding is given (``parse_xpt``): a named one, or ``auto`` to detect UTF-8, cp1252 or Latin-1 from
the distinct values (:func:`detect_encoding`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from converters.metadata.model import Dataset, Variable

_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_MEMBER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_NAMESTR = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
_MISSING_FIRST = frozenset(b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def read_xpt_fast(path: str | Path) -> tuple[pd.DataFrame, Dataset] | None:
    """Frame and metadata of a one-member ASCII XPT v5 file, or None when the file needs the full reader."""
    try:
        parsed = parse_xpt(Path(path).read_bytes())
    except OSError:
        return None
    return None if parsed is None else parsed[:2]


def parse_xpt(raw: bytes, encoding: str | None = None) -> tuple[pd.DataFrame, Dataset, str] | None:
    """Frame, metadata and text encoding of a one-member XPT v5 file's bytes, or None (use the full reader).

    ``encoding``: None reads ASCII only; ``auto`` detects (see :func:`detect_encoding`); else a codec name.
    The encoding returned is ``ascii`` when every text byte is ASCII.
    """
    try:
        return _parse(raw, encoding)
    except (ValueError, IndexError, UnicodeDecodeError, LookupError):
        return None


def detect_encoding(samples: list[bytes]) -> str:
    """The text encoding of non-ASCII byte strings: ``utf-8`` when all decode as UTF-8, else ``cp1252`` when all
    decode as Windows-1252, else ``latin-1`` (which decodes any byte)."""
    for name in ("utf-8", "cp1252"):
        try:
            for sample in samples:
                sample.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return "latin-1"


def _parse(raw: bytes, encoding: str | None) -> tuple[pd.DataFrame, Dataset, str] | None:
    if not raw.startswith(_LIBRARY) or raw[240:240 + len(_MEMBER)] != _MEMBER:
        return None
    namestr_size = int(raw[240 + 74:240 + 78])
    if namestr_size != 140:
        return None
    member = raw[400:560]
    name_bytes, label_bytes = member[8:16], member[80 + 32:80 + 72]
    if raw[560:560 + len(_NAMESTR)] != _NAMESTR:
        return None
    nvars = int(raw[560 + 54:560 + 58])
    start = 640
    names, labels, lengths, positions, numeric, formats = [], [], [], [], [], []
    for i in range(nvars):
        rec = raw[start + i * 140:start + (i + 1) * 140]
        ntype = int.from_bytes(rec[0:2], "big")
        lengths.append(int.from_bytes(rec[4:6], "big"))
        names.append(rec[8:16].decode("ascii").strip())
        labels.append(rec[16:56])
        fname = rec[56:64].decode("ascii").strip()
        nfl, nfd = int.from_bytes(rec[64:66], "big"), int.from_bytes(rec[66:68], "big")
        formats.append(_format(fname, nfl, nfd))
        positions.append(int.from_bytes(rec[84:88], "big"))
        numeric.append(ntype == 1)
    namestr_end = start + ((nvars * 140 + 79) // 80) * 80
    if raw[namestr_end:namestr_end + len(_OBS)] != _OBS:
        return None
    data = raw[namestr_end + 80:]
    if _MEMBER in data:  # a second member: leave it to the full reader
        return None
    width = sum(lengths)
    if width == 0 or positions != list(np.cumsum([0, *lengths[:-1]])):
        return None
    rows = len(data) // width
    if rows:
        block = np.frombuffer(data[:rows * width], dtype=np.uint8).reshape(rows, width)
        low = max(0, -(-(len(data) - 79) // width))  # padding is under 80 bytes
        while rows > low and not (block[rows - 1] != 0x20).any():
            rows -= 1
        block = block[:rows]
    else:
        block = np.zeros((0, width), dtype=np.uint8)
    texts: dict[str, tuple[np.ndarray, list[bytes]]] = {}
    wide: list[bytes] = [b for b in (name_bytes, label_bytes, *labels) if not b.isascii()]
    for var, length, pos, is_num in zip(names, lengths, positions, numeric):
        if not is_num:
            cells = block[:, pos:pos + length]
            if (cells == 0).any():
                return None
            texts[var] = _distinct(cells, length)
            if (cells >= 0x80).any():
                wide += [u for u in texts[var][1] if not u.isascii()]
    if wide and encoding is None:
        return None
    chosen: str = "ascii" if not wide else detect_encoding(wide) if encoding == "auto" else str(encoding)
    codec = chosen
    columns: dict[str, pd.Series] = {}
    variables = []
    for var, raw_label, length, pos, is_num, fmt in zip(names, labels, lengths, positions, numeric, formats):
        var_label = raw_label.decode(codec).rstrip()
        if is_num:
            values = _ibm_to_float(block[:, pos:pos + length])
            columns[var] = pd.Series(values, dtype="float64")
            variables.append(Variable(name=var, label=var_label, data_type=_numeric_type(values),
                                      display_format=fmt))
        else:
            codes, uniques = texts[var]
            table = np.array([u.rstrip(b" ").decode(codec) for u in uniques] + [""], dtype=object)
            columns[var] = pd.Series(table[codes], dtype=object)
            variables.append(Variable(name=var, label=var_label, data_type="text", length=length or 1,
                                      display_format=fmt))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))
    name, label = name_bytes.decode(codec).strip(), label_bytes.decode(codec).rstrip()
    return frame, Dataset(name=name, label=label, variables=variables, records=rows), chosen


def _distinct(cells: np.ndarray, length: int) -> tuple[np.ndarray, list[bytes]]:
    """Codes and distinct raw values of fixed-width text cells, so each distinct value is decoded once."""
    if len(cells) == 0:
        return np.zeros(0, dtype=np.int64), []
    fixed = np.ascontiguousarray(cells).view(f"S{length}").ravel().astype(object)
    codes, uniques = pd.factorize(fixed)
    return np.asarray(codes), list(uniques)


def _format(name: str, width: int, decimals: int) -> str | None:
    text = name + (str(width) if width else "") + (f".{decimals}" if decimals else "")
    if not text:
        return None
    return text if "." in text else f"{text}."


def _ibm_to_float(cells: np.ndarray) -> np.ndarray:
    """IBM System/370 doubles (big-endian, possibly truncated) to IEEE float64; SAS missing values to NaN."""
    rows, length = cells.shape
    full = np.zeros((rows, 8), dtype=np.uint8)
    full[:, :length] = cells
    bits = full.view(">u8").ravel().astype(np.uint64)
    first = full[:, 0]
    rest_zero = ~(full[:, 1:] != 0).any(axis=1)
    missing = np.isin(first, list(_MISSING_FIRST)) & rest_zero
    sign = np.where(bits >> np.uint64(63), -1.0, 1.0)
    exponent = ((bits >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int64)
    mantissa = bits & np.uint64(0x00FFFFFFFFFFFFFF)
    high = (mantissa >> np.uint64(24)).astype(np.float64)
    low = (mantissa & np.uint64(0xFFFFFF)).astype(np.float64)
    scale = 4 * (exponent - 64)
    values = sign * (np.ldexp(high, scale - 32) + np.ldexp(low, scale - 56))
    values[missing] = np.nan
    return values


def _numeric_type(values: np.ndarray) -> str:
    present = values[~np.isnan(values)]
    return "integer" if len(present) and bool(np.all(present == np.floor(present))) else "float"
