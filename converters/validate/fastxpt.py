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

import mmap
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from converters.metadata.model import Dataset, Variable

_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_MEMBER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_NAMESTR = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
#: The start of a member header of either version (v5 MEMBER, v8 MEMBV8): a file with a second one is left to the
#: full reader; searched from the end of the first member header, block by block with the data.
_MEMBER_HEAD = b"HEADER RECORD*******MEMB"
_AFTER_MEMBER = 240 + len(_MEMBER)
_MISSING_FIRST = frozenset(b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: A file's bytes: read whole, or mapped (the validator maps files and reads them block by block).
Buffer = bytes | mmap.mmap


def read_xpt_fast(path: str | Path, codes: bool = False,
                  columns: Collection[str] | None = None) -> tuple[pd.DataFrame, Dataset] | None:
    """Frame and metadata of a one-member ASCII XPT v5 file, or None when the file needs the full reader.

    ``codes``: text columns as pandas Categorical (codes into the distinct values) instead of ``object``.
    ``columns``: read only these variables (see :func:`parse_xpt`).
    """
    try:
        parsed = parse_xpt(Path(path).read_bytes(), codes=codes, columns=columns)
    except OSError:
        return None
    return None if parsed is None else parsed[:2]


def parse_xpt(raw: Buffer, encoding: str | None = None, codes: bool = False,
              columns: Collection[str] | None = None) -> tuple[pd.DataFrame, Dataset, str] | None:
    """Frame, metadata and text encoding of a one-member XPT v5 file's bytes, or None (use the full reader).

    ``encoding``: None reads ASCII only; ``auto`` detects (see :func:`detect_encoding`); else a codec name.
    The encoding returned is ``ascii`` when every text byte is ASCII.  ``codes``: text columns as pandas
    Categorical over their distinct values (same texts; no Python object per cell) instead of ``object``.
    ``columns``: only the variables named (in file order; other names ignored) are converted and returned, frame
    and metadata alike, the same as the whole read's; the other columns' bytes are skipped.  As the encoding
    ``auto`` detects would then rest on part of the text, non-ASCII text in the variables read (or their labels)
    gives None in that case; the encoding returned is that of the text read.
    """
    try:
        return _parse(raw, encoding, codes, columns)
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


#: Bytes of records cut into columns at a time: one block of rows stays near the core while every column is taken
#: from it, where a pass over the whole file per column would stride through a gigabyte once per column.  4 MiB
#: (about 14,000 records of 300 bytes): numpy's and pandas' cost per call is then small beside the cost per cell
#: (1 MiB blocks spent about a tenth more of the reading time on calls).
BLOCK_BYTES = 4 << 20
_PAGE = mmap.PAGESIZE


@dataclass(frozen=True)
class XptHeader:
    """The first member's header of a v5 file whose variables lie one after another: the member's name and label
    bytes, per variable its name, label bytes, length, position, numeric or not and display format, and where the
    records start."""

    name: bytes
    label: bytes
    names: list[str]
    labels: list[bytes]
    lengths: list[int]
    positions: list[int]
    numeric: list[bool]
    formats: list[str | None]
    offset: int

    @property
    def width(self) -> int:
        return sum(self.lengths)


def read_header(raw: Buffer) -> XptHeader | None:
    """The header of a v5 file this reader handles, or None (another version or layout: the full reader).
    May raise ValueError, IndexError or UnicodeDecodeError on a damaged header."""
    if raw[:len(_LIBRARY)] != _LIBRARY or raw[240:240 + len(_MEMBER)] != _MEMBER:
        return None
    namestr_size = int(raw[240 + 74:240 + 78])
    if namestr_size != 140:
        return None
    member = raw[400:560]
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
    if sum(lengths) == 0 or positions != list(np.cumsum([0, *lengths[:-1]])):
        return None
    if any(length == 0 for length, is_num in zip(lengths, numeric) if not is_num):
        return None
    return XptHeader(member[8:16], member[80 + 32:80 + 72], names, labels, lengths, positions, numeric, formats,
                     namestr_end + 80)


def _parse(raw: Buffer, encoding: str | None, as_codes: bool = False,
           only: Collection[str] | None = None) -> tuple[pd.DataFrame, Dataset, str] | None:
    head = read_header(raw)
    if head is None:
        return None
    name_bytes, label_bytes, offset, width = head.name, head.label, head.offset, head.width
    names, labels, lengths, positions = head.names, head.labels, head.lengths, head.positions
    numeric, formats = head.numeric, head.formats
    rows = whole_rows(raw, offset, width)
    wanted = [only is None or var in only for var in names]
    texts = {var: _TextColumn(rows, pos, length) for var, length, pos, is_num, want
             in zip(names, lengths, positions, numeric, wanted) if want and not is_num}
    numbers = {var: np.empty(rows, dtype=np.uint64) for var, is_num, want in zip(names, numeric, wanted)
               if want and is_num}  # the IBM bits, block by block; converted once per column (_ibm_to_float)
    if not _read_blocks(raw, head, rows, texts, numbers):
        return None  # a second member: the full reader
    distinct: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    wide: list[bytes] = [b for b in (name_bytes, label_bytes, *labels) if not b.isascii()]
    for var, column in texts.items():
        found = column.finish()
        if found is None:  # a NUL byte in the text: the full reader decides
            return None
        cells = found[1]
        beyond = np.asarray((cells >= 0x80).any(axis=1), dtype=bool)  # per distinct value, on the array
        distinct[var] = (found[0], cells, beyond)
        wide += [bytes(r) for r in cells[beyond]]
    if wide and (encoding is None or (encoding == "auto" and only is not None)):
        return None
    chosen: str = "ascii" if not wide else detect_encoding(wide) if encoding == "auto" else str(encoding)
    codec = chosen
    columns: dict[str, pd.Series] = {}
    variables = []
    for var, raw_label, length, is_num, fmt, want in zip(names, labels, lengths, numeric, formats, wanted):
        if not want:
            continue
        var_label = raw_label.decode(codec).rstrip()
        if is_num:
            values = _ibm_to_float(numbers.pop(var))
            columns[var] = pd.Series(values, dtype="float64")
            variables.append(Variable(name=var, label=var_label, data_type=_numeric_type(values),
                                      display_format=fmt))
        else:
            codes, cells, beyond = distinct.pop(var)
            columns[var] = _text_column(codes, _decode_cells(cells, beyond, codec), as_codes)
            variables.append(Variable(name=var, label=var_label, data_type="text", length=length or 1,
                                      display_format=fmt))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows), copy=False)  # the columns as they are, no 2-D copy
    name, label = name_bytes.decode(codec).strip(), label_bytes.decode(codec).rstrip()
    return frame, Dataset(name=name, label=label, variables=variables, records=rows), chosen


def _read_blocks(raw: Buffer, head: XptHeader, rows: int, texts: dict[str, _TextColumn],
                 numbers: dict[str, np.ndarray]) -> bool:
    """Pass over the records block by block: each text column's cells into its :class:`_TextColumn`, each numeric
    column's IBM bits into its array, the pages passed released.  False when a second member header lies in or
    after the records (the file is then left to the full reader)."""
    offset, width = head.offset, head.width
    step = max(1, BLOCK_BYTES // width)
    spans = [(var, pos, length) for var, pos, length in zip(head.names, head.positions, head.lengths) if var in numbers]
    for first in range(0, rows, step):
        last = min(rows, first + step)
        begin, end = offset + first * width, offset + last * width
        if _member_head_in(raw, max(_AFTER_MEMBER, begin - len(_MEMBER_HEAD) + 1), end, aligned=offset % 80 == 0):
            return False
        block = np.frombuffer(raw, dtype=np.uint8, count=end - begin, offset=begin).reshape(last - first, width)
        for column in texts.values():
            column.add(block)
        for var, pos, length in spans:
            numbers[var][first:last] = _ibm_bits(block[:, pos:pos + length])
        del block
        release(raw, begin, end)
    return raw.find(_MEMBER_HEAD, max(_AFTER_MEMBER, offset + rows * width - len(_MEMBER_HEAD) + 1)) < 0


def read_text_cells(raw: Buffer, head: XptHeader, names: Collection[str]) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Per text variable named (in file order): the codes of its records (first-appearance order) and its distinct
    cells as rows of bytes, read block by block as :func:`parse_xpt` reads them, without decoding text.  None when
    the file has a second member or a named variable's text holds a NUL byte (the full reader decides then).
    Numeric variables and names the file lacks are left out."""
    rows = whole_rows(raw, head.offset, head.width)
    texts = {var: _TextColumn(rows, pos, length) for var, length, pos, is_num
             in zip(head.names, head.lengths, head.positions, head.numeric) if var in names and not is_num}
    if not _read_blocks(raw, head, rows, texts, {}):
        return None
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for var, column in texts.items():
        finished = column.finish()
        if finished is None:
            return None
        found[var] = finished
    return found


_HEAD_WORD = np.frombuffer(_MEMBER_HEAD[:8], dtype="<u8")[0]


def _member_head_in(raw: Buffer, start: int, end: int, aligned: bool) -> bool:
    """Whether a member header lies whole within ``raw[start:end]``.  A member header starts a record, on a
    multiple of 80 bytes from the file's start, so in a file whose records start on such a boundary (``aligned``)
    only those places are looked at: the first 8 bytes of each 80 as one strided array, compared at once, and
    the rest of the header at the places that match."""
    if not aligned:
        return raw.find(_MEMBER_HEAD, start, end) >= 0
    first = -(-start // 80) * 80
    last = end - len(_MEMBER_HEAD)  # the last place a whole header can start
    if last < first:
        return False
    words = np.ndarray(shape=((last - first) // 80 + 1,), dtype="<u8", buffer=raw, offset=first, strides=(80,))
    places = first + 80 * np.flatnonzero(words == _HEAD_WORD)
    del words  # no view of a mapped file left behind
    return any(raw[p:p + len(_MEMBER_HEAD)] == _MEMBER_HEAD for p in places.tolist())


def whole_rows(raw: Buffer, offset: int, width: int) -> int:
    """Records in the data part: the whole rows, less trailing all-blank rows within the last 80 bytes (padding)."""
    size = len(raw) - offset
    rows = size // width
    low = max(0, -(-(size - 79) // width))  # padding is under 80 bytes
    if rows > low:
        tail = np.frombuffer(raw, dtype=np.uint8, count=(rows - low) * width, offset=offset + low * width)
        blank = ~(tail.reshape(rows - low, width) != 0x20).any(axis=1)
        while rows > low and blank[rows - low - 1]:
            rows -= 1
        del tail
    return rows


def release(raw: Buffer, begin: int, end: int) -> None:
    """Drop the pages of ``raw[begin:end]`` from this process's memory when ``raw`` maps a file (they stay in the
    system's page cache): a file read block by block then never holds more than a block resident."""
    if isinstance(raw, mmap.mmap) and hasattr(raw, "madvise"):
        first = begin - begin % _PAGE
        last = end - end % _PAGE
        if last > first:
            raw.madvise(mmap.MADV_DONTNEED, first, last - first)


def _decode_cells(cells: np.ndarray, beyond: np.ndarray, codec: str) -> list[str]:
    """Distinct fixed-width text cells (rows of bytes without NUL) as text, trailing spaces cut
    (``bytes(row).rstrip(b" ").decode(codec)`` per row).  A column all in ASCII is decoded as one array: its
    trailing spaces become NUL bytes, which numpy's ``S`` type drops, and the ``S`` array is cast to unicode; a
    column with a byte beyond ASCII (``beyond``: per row) is decoded row by row with ``codec``."""
    rows, length = cells.shape
    if beyond.any() or length == 0:
        return [bytes(r).rstrip(b" ").decode(codec) for r in cells]
    text = cells != 0x20
    end = np.where(text.any(axis=1), length - text[:, ::-1].argmax(axis=1), 0)  # after the last non-space byte
    cut = np.where(np.arange(length) < end[:, None], cells, np.uint8(0)).astype(np.uint8)
    return np.ascontiguousarray(cut).view(f"S{length}").ravel().astype(f"U{length}").tolist()


def _text_column(codes: np.ndarray, texts: list[str], as_codes: bool) -> pd.Series:
    """A text column from codes into its distinct texts: Categorical (``as_codes``) or ``object`` per cell."""
    if as_codes:
        if len(set(texts)) == len(texts):
            return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object)))
        merged, distinct = pd.factorize(pd.Series(texts, dtype=object))  # pragma: no cover - distinct bytes
        return pd.Series(pd.Categorical.from_codes(merged[codes], categories=pd.Index(distinct, dtype=object)))
    table = np.array(texts + [""], dtype=object)
    return pd.Series(table[codes], dtype=object)


class _TextColumn:
    """One fixed-width text column read block by block into codes (first-appearance order) and distinct bytes.

    No Python object per cell: each cell's bytes become one uint64 key (the bytes themselves for cells of up to 8
    bytes, else a hash of the cell's 8-byte words).  While the column has few distinct values (at most
    :data:`SHARED_CODES`), one hash table lasts the whole column: each block's keys are looked up in it (runs of equal
    keys, as in a column sorted by subject, once per run), so the codes are the column's from the start, and a hashed
    cell is compared with the first cell of its code.  A column with more distinct values, or a hash collision, goes
    on block by block: each block factorized on its own and verified, the blocks' distinct cells merged (and
    verified) at the end, so every record is checked against the one value its code stands for.
    """

    def __init__(self, rows: int, pos: int, length: int) -> None:
        self.rows, self.pos, self.length = rows, pos, length
        self.blocks: list[tuple[np.ndarray, int]] = []  # each block's codes into its own distinct cells (int16
        # mostly), and how many those are
        self.reps: list[np.ndarray] = []  # each block's distinct cells (local codes x length bytes)
        self.table = _shared_table()  # the column's hash table while the codes are shared, else None
        self.shared: list[np.ndarray] = []  # the blocks' codes into ``distinct`` while shared
        self.distinct = np.zeros((0, length), dtype=np.uint8)  # first cell of each shared code

    def add(self, block: np.ndarray) -> None:
        cells = block[:, self.pos:self.pos + self.length]
        if self.table is not None and self._add_shared(cells):
            return
        codes, reps = _cell_codes(cells)
        self.blocks.append((codes.astype(np.int16 if len(reps) <= np.iinfo(np.int16).max else np.int32), len(reps)))
        self.reps.append(reps)

    def _add_shared(self, cells: np.ndarray) -> bool:
        """The block's codes looked up in the column's table; False (and the table dropped, what it coded kept as one
        block) when a hashed cell differs from its code's first cell or the column has too many distinct values."""
        table = self.table
        assert table is not None
        key, words = _cell_key(cells)
        before = table.get_count()
        codes = _factorize_runs(key, table.factorize)
        count = table.get_count()
        distinct = self.distinct
        if count > before:
            fresh = np.flatnonzero(codes >= before)
            new = fresh[np.concatenate(([True], codes[fresh][1:] > np.maximum.accumulate(codes[fresh])[:-1]))]
            distinct = np.concatenate([distinct, np.ascontiguousarray(cells[new])])
        if count > SHARED_CODES or (words and not all(
                np.array_equal(w, r[codes]) for w, r in zip(words, _cell_words(distinct)))):
            self._unshare()
            return False
        self.distinct = distinct
        self.shared.append(codes.astype(np.int16 if count <= np.iinfo(np.int16).max else np.int32))
        return True

    def _unshare(self) -> None:
        """Go on block by block: what the table coded so far becomes one block over its distinct cells."""
        self.table = None
        if self.shared:
            self.blocks.append((np.concatenate(self.shared), len(self.distinct)))
            self.reps.append(self.distinct)
        self.shared = []

    def finish(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(codes, distinct raw values as rows of bytes) of the whole column; None when a value holds a NUL byte.  The codes come in
        the integer type pandas keeps for that many categories (int8 below 127 ...), so no copy is made later."""
        if self.table is not None:
            self.table = None
            distinct, shared = self.distinct, self.shared
            self.shared = []
            if (distinct == 0).any():
                return None
            codes = np.empty(self.rows, dtype=_code_type(len(distinct)))
            first = 0
            for part in shared:
                codes[first:first + len(part)] = part
                first += len(part)
            return codes, distinct
        if not self.blocks:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.length), dtype=np.uint8)
        reps = np.concatenate(self.reps) if len(self.reps) > 1 else self.reps[0]
        self.reps = []
        merged, distinct = _cell_codes(reps)
        del reps
        if (distinct == 0).any():
            return None
        codes = np.empty(self.rows, dtype=_code_type(len(distinct)))
        base = first = 0
        for local, count in self.blocks:
            codes[first:first + len(local)] = merged[base:base + count][local]
            base, first = base + count, first + len(local)
        self.blocks = []
        return codes, distinct


#: Distinct values a text column may have and keep one hash table for all its blocks (subjects, test codes, units,
#: flags); a column with more (free text, dates, results) is factorized block by block and merged at the end.
SHARED_CODES = 4096


def _shared_table():
    """A hash table of uint64 keys that numbers them in order of first appearance across calls (pandas' own, the one
    its joins use), or None where this pandas lacks it (every column then goes block by block)."""
    try:
        from pandas._libs.hashtable import UInt64Factorizer
    except ImportError:  # pragma: no cover - a pandas without it
        return None
    return UInt64Factorizer(SHARED_CODES)


def _code_type(categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps Categorical codes in for this many categories."""
    for kind in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(kind).max:
            return kind
    return np.int64


def _cell_codes(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (first-appearance order) of fixed-width byte cells (rows x length, may be a strided view) and each
    code's first cell (a contiguous copy), exact: hashed keys are verified cell by cell."""
    rows, length = cells.shape
    if rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, length), dtype=np.uint8)
    key, words = _cell_key(cells)
    codes = _factorize_runs(key)
    first = _first_positions(codes)
    if words and not all(np.array_equal(w, w[first][codes]) for w in words):
        codes, _ = pd.factorize(np.ascontiguousarray(cells).view(f"S{length}").ravel().astype(object))
        first = _first_positions(codes)
    return codes, np.ascontiguousarray(cells[first])


def _cell_key(cells: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(one uint64 key per cell, the cell's 8-byte words when the key is a hash of them, else []): cells of up to 8
    bytes are their own key, exactly."""
    rows, length = cells.shape
    if length <= 8:
        packed = np.zeros((rows, 8), dtype=np.uint8)
        packed[:, :length] = cells
        return packed.view("<u8").ravel(), []
    words = _cell_words(cells)
    return _hash_words(words), words


def _factorize_runs(key: np.ndarray, factorize: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """``factorize(key)`` (default ``pd.factorize(key)[0]``; a column's shared table looks keys up in it), factorizing
    each run of equal neighbours once when the column has long runs."""
    factorize = factorize or (lambda keys: pd.factorize(keys)[0])
    n = len(key)
    heads = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    if len(heads) * 4 > n:
        return factorize(key)
    return np.repeat(factorize(key[heads]), np.diff(np.append(heads, n)))


def _cell_words(cells: np.ndarray) -> list[np.ndarray]:
    """The 8-byte words of each cell (over 8 bytes long), read in place; a partial last word is read as the
    cell's last 8 bytes."""
    length = cells.shape[1]
    starts = list(range(0, length - 7, 8))
    if length % 8:
        starts.append(length - 8)
    return [cells[:, s:s + 8].view("<u8")[:, 0] for s in starts]


_MULTIPLY = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)


def _hash_words(words: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash per row of a list of uint64 word columns (multiply and xor-shift per word)."""
    key = np.full(len(words[0]), np.uint64(len(words)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for word in words:
            key ^= word
            key *= _MULTIPLY
            key ^= key >> _SHIFT
    return key


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Row of each code's first appearance (codes numbered in order of first appearance, as pd.factorize gives)."""
    top = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(top[1:], top[:-1], out=new[1:])
    return np.flatnonzero(new)


def _format(name: str, width: int, decimals: int) -> str | None:
    text = name + (str(width) if width else "") + (f".{decimals}" if decimals else "")
    if not text:
        return None
    return text if "." in text else f"{text}."


def _ibm_bits(cells: np.ndarray) -> np.ndarray:
    """The bits of IBM System/370 doubles (big-endian, 8 bytes or truncated to fewer) as native uint64, one per
    row of ``cells`` (may be a strided view); a truncated value is padded with zero bytes, as SAS reads it."""
    rows, length = cells.shape
    if length == 8:
        return cells.view(">u8")[:, 0].astype(np.uint64)
    full = np.zeros((rows, 8), dtype=np.uint8)
    full[:, :length] = cells
    return full.view(">u8")[:, 0].astype(np.uint64)


#: Per first byte of an IBM double (sign bit, then the exponent of 16 in excess 64): the signed power of two that
#: scales its 56-bit fraction, read as an integer, to the value (16 ** (exponent - 64) / 2 ** 56).  Every such power
#: (2 ** -312 to 2 ** 196) is a normal float64, so the product is exact but for the one rounding of the fraction.
_IBM_SCALE = np.array([(-1.0 if top & 0x80 else 1.0) * 2.0 ** (4 * ((top & 0x7F) - 64) - 56) for top in range(256)])
#: First bytes of the SAS missing values (``.``, ``._``, ``.A``-``.Z``: that byte, then seven zero bytes).
_IBM_MISSING = np.isin(np.arange(256), list(_MISSING_FIRST))
_FRACTION = np.uint64(0x00FFFFFFFFFFFFFF)
_TOP = np.uint64(56)
#: Values converted at a time (the temporaries of a whole column of millions would double its memory).
_IBM_CHUNK = 1 << 20


def _ibm_to_float(bits: np.ndarray) -> np.ndarray:
    """IEEE float64 values of IBM doubles given as their bits (:func:`_ibm_bits`), converted in place in chunks (the
    array returned shares ``bits``' memory); SAS missing values become NaN.

    The 56-bit fraction is read as an integer and rounded once to float64 (to nearest, ties to even), then scaled by
    an exact power of two, so each value is the float64 nearest the IBM value."""
    values = bits.view(np.float64)
    for start in range(0, len(bits), _IBM_CHUNK):
        part = bits[start:start + _IBM_CHUNK]
        top = (part >> _TOP).astype(np.uint8)
        fraction = part & _FRACTION
        converted = fraction.astype(np.float64) * _IBM_SCALE[top]
        converted[_IBM_MISSING[top] & (fraction == 0)] = np.nan
        values[start:start + _IBM_CHUNK] = converted
    return values


def _numeric_type(values: np.ndarray) -> str:
    present = values[~np.isnan(values)]
    return "integer" if len(present) and bool(np.all(present == np.floor(present))) else "float"
