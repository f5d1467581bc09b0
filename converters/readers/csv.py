"""Delimited text exports (``.csv``, ``.tsv``) read as text, exactly as written.

* **Encoding**: a declared encoding is used strictly.  Otherwise a UTF-16 BOM means
  UTF-16, a UTF-8 BOM means ``utf-8-sig``; else strict UTF-8 is tried, then cp1252
  (Windows Western, what Excel writes).  The bytes cp1252 does not define (0x81, 0x8D,
  0x8F, 0x90, 0x9D) are never guessed at: the file is rejected with the row, and the
  user declares the encoding (e.g. ``latin-1``).  ``RawSource.encoding`` says which
  encoding was used.  Bytes no text export holds (NUL and other C0 controls) are refused, naming
  what the file looks like: UTF-16 or UTF-32 without a byte-order mark, a workbook saved as .csv,
  or binary data.
* **Delimiter**: declared, or the one of ``,`` ``;`` tab ``|`` that occurs most often
  (outside quotes) in the header line; a header with none of them is one column.
* **Values**: every value is text (``007`` stays ``007``, ``NA`` stays ``NA``); values
  are not trimmed; only an empty or whitespace-only value becomes missing.
* **Rows**: the header is the first line; ``__row__`` 1 is the first record after it.
  Blank lines count as rows and are then dropped.  A record whose field count differs
  from the header's is rejected, naming the row.
* **Large forms** (:func:`read_csv_form`, what a build reads): a UTF-8 or single-byte file larger than
  :data:`BLOCK_BYTES` is read in blocks of records, each checked, parsed and finished as a whole file is and held
  as codes into its distinct values at once; the blocks put together as codes give the form :func:`read_csv`
  gives, without its whole object frame or decoded text.  Anything unusual in a block sends the whole file to
  :func:`read_csv`, so errors are the same.
"""
from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from converters.engine.compact import CompactFrame, CompactSource, Form, compact_source, concat_compact
from converters.errors import DataError, Location
from converters.readers.raw import RawSource, finish_frame, form_name

DELIMITERS = (",", ";", "\t", "|")
QUOTE = '"'
_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
             name: str | None = None) -> RawSource:
    """Read a delimited text export into a :class:`RawSource` (see the module notes)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", Location(file=str(path)),
                        hint="check the path and the file's permissions") from exc
    text, used = decode_text(data, path, encoding)
    if not text.strip():
        raise DataError("the file is empty", Location(file=str(path)),
                        hint="export the form again with its header line")
    delimiter = delimiter or sniff_delimiter(text, tab_first=path.suffix.lower() == ".tsv")
    width = check_field_counts(text, delimiter, path)
    # the C parser reads bytes: UTF-8 bytes are parsed without the round trip a text buffer costs (0.65 -> 0.32 s
    # for a 73 MB form); the file's own bytes when they are that text's UTF-8 (no byte-order mark), else encoded
    utf8 = data if used == "utf-8" and not data.startswith(codecs.BOM_UTF8) else text.encode("utf-8")
    try:
        frame = pd.read_csv(
            io.BytesIO(utf8), sep=delimiter, quotechar=QUOTE, header=None, names=list(range(width)),
            dtype=str, na_filter=False, skip_blank_lines=False, index_col=False, engine="c", encoding="utf-8",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise _parser_error(exc, path) from exc
    header = frame.iloc[0].tolist()
    body = frame.iloc[1:].set_axis(header, axis=1)
    return finish_frame(body, path, name or form_name(path), rows=np.arange(1, len(body) + 1), encoding=used,
                        whitespace=may_hold_whitespace_values(text, delimiter))


#: A CSV form larger than this is read in blocks of about this many bytes (:func:`read_csv_form`).
BLOCK_BYTES = 8 << 20
#: Codecs (``codecs.lookup(...).name``) whose line breaks, quotes and delimiters are the ASCII bytes: a file in one
#: of them can be cut into blocks of records on its bytes.
_BYTE_CODECS = frozenset({"utf-8", "cp1252", "iso8859-1", "ascii"})


def read_csv_form(path: Path, *, encoding: str | None = None, delimiter: str | None = None, name: str | None = None,
                  block_bytes: int | None = None) -> Form:
    """The form :func:`read_csv` reads; a file larger than ``block_bytes`` (:data:`BLOCK_BYTES`) read in blocks
    and held as codes (:class:`engine.compact.CompactSource`, see the module notes), else as read."""
    path = Path(path)
    block_bytes = block_bytes or BLOCK_BYTES
    try:
        large = path.stat().st_size > block_bytes
    except OSError:
        large = False
    if large:
        held = _read_blocks(path, encoding, delimiter, name or form_name(path), block_bytes)
        if held is not None:
            return held
    return read_csv(path, encoding=encoding, delimiter=delimiter, name=name)


def _read_blocks(path: Path, declared: str | None, delimiter: str | None, name: str,
                 block_bytes: int) -> CompactSource | None:
    """The form read block by block, each block held as codes before the next is parsed; None when anything is
    unusual (a byte-order mark, another codec, a bad field count or value, an error of the parser): the caller
    then reads the whole file, which gives the error."""
    try:
        data = path.read_bytes()
        used = _block_encoding(data, path, declared)
        if used is None or data.startswith((b"\r", b"\n")):
            return None
        head = data[:1 << 18].decode(used, errors="ignore")  # (at least the 65,536 characters sniff_delimiter looks at)
        delimiter = delimiter or sniff_delimiter(head, tab_first=path.suffix.lower() == ".tsv")
        if len(delimiter) != 1 or not delimiter.isascii():
            return None
        pieces: list[CompactFrame] = []
        header: list[str] = []
        width = 0
        done = 0  # records (data rows) before the block
        for start, end in record_blocks(data, block_bytes):
            block = data[start:end]
            text = block.decode(used)
            if start == 0:
                if not text.strip():
                    return None
                width = check_field_counts(text, delimiter, path)
            else:
                counts, blank, _lines = _field_counts(text, delimiter, width)
                if ((counts != width) & ~blank).any():
                    return None
            frame = pd.read_csv(
                io.BytesIO(block if used == "utf-8" else text.encode("utf-8")), sep=delimiter, quotechar=QUOTE,
                header=None, names=list(range(width)), dtype=str, na_filter=False, skip_blank_lines=False,
                index_col=False, engine="c", encoding="utf-8",
            )
            if start == 0:
                header = frame.iloc[0].tolist()
                frame = frame.iloc[1:]
            body = frame.set_axis(header, axis=1)
            src = finish_frame(body, path, name, rows=np.arange(done + 1, done + len(body) + 1), encoding=used,
                               whitespace=may_hold_whitespace_values(text, delimiter))
            done += len(body)
            del frame, body, text, block
            pieces.append(compact_source(src).data)
            del src
    except (DataError, OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError):
        return None
    data = b""
    joined = concat_compact(pieces) if pieces else None
    if not isinstance(joined, CompactFrame):
        return None  # (the blocks kept different columns: an unnamed column blank in some of them)
    return CompactSource(name, path, joined, used)


def _block_encoding(data: bytes, path: Path, declared: str | None) -> str | None:
    """The encoding :func:`decode_text` would use, found without decoding the whole file into one text; None for
    a byte-order mark or a codec whose bytes cannot be cut into records."""
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            return None
        return declared if codec in _BYTE_CODECS and not data.startswith(codecs.BOM_UTF8) else None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return None
    check_not_binary(data, path)
    if data.isascii() or _is_utf8(data):
        return "utf-8"
    check_not_double_byte(data, path)
    return "cp1252"


def _is_utf8(data: bytes, step: int = 1 << 24) -> bool:
    """True when the bytes are valid UTF-8 (checked in steps; the text made is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for at in range(0, len(data), step):
            decoder.decode(view[at:at + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def record_blocks(data: bytes, size: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``size`` bytes that end after a line feed with an even count of quotes before it in
    the range: whole records when every quote opens or closes a quoted field (a cut inside a quoted field leaves
    an open quote, which the parser refuses: the file is then read whole)."""
    cuts: list[tuple[int, int]] = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + max(size, 1) - 1)
        quotes = data.count(b'"', start, end) if end >= 0 else 0
        while end >= 0 and quotes % 2:
            after = data.find(b"\n", end + 1)
            quotes += data.count(b'"', end, after) if after >= 0 else 0
            end = after
        if end < 0 or end + 1 >= len(data):
            cuts.append((start, len(data)))
            break
        cuts.append((start, end + 1))
        start = end + 1
    return cuts


def may_hold_whitespace_values(text: str, delimiter: str) -> bool:
    """False when no field can be whitespace-only (so the per-value check can be skipped)."""
    d = re.escape(delimiter)
    space = rf"[^\S\r\n{d}]+"
    end = rf"(?:{d}|\r?$)"
    patterns = (rf"\A{space}{end}", rf"{d}{space}{end}", rf"\n{space}{end}", rf'"{space}"')  # literal first: fast
    return any(re.search(p, text, flags=re.M) for p in patterns)


def decode_text(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding used (declared, or detected as in the module notes)."""
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError as exc:
            raise DataError(f"unknown encoding {declared!r}", Location(file=str(path)),
                            hint="use a Python codec name such as utf-8, cp1252 or latin-1") from exc
        return _decode(data, declared, path).removeprefix("\ufeff"), declared
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", path), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, "utf-8-sig", path), "utf-8-sig"
    check_not_binary(data, path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        check_not_double_byte(data, path)
        return _decode(data, "cp1252", path), "cp1252"


#: Encodings named when a file that is not UTF-8 looks like double-byte text (tried in this order).
DOUBLE_BYTE = ("shift_jis", "euc_jp", "gbk", "big5", "euc_kr")


def check_not_double_byte(data: bytes, path: Path) -> None:
    """Refuse non-UTF-8 bytes that are not Western (cp1252) text but an East Asian double-byte encoding.

    In cp1252 text the non-ASCII characters stand mostly alone between ASCII letters (``José``); in
    Shift-JIS, GBK, Big5 or EUC they come in runs of two or more bytes.  Such a file would otherwise be
    read as cp1252 gibberish without a word.
    """
    high = np.frombuffer(data, dtype=np.uint8) >= 0x80
    total = int(high.sum())
    if total < 4:
        return
    before = np.concatenate(([False], high[:-1]))
    after = np.concatenate((high[1:], [False]))
    alone = int((high & ~before & ~after).sum())
    if alone > total // 5:
        return
    fits = []
    for name in DOUBLE_BYTE:
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        fits.append(name)
    named = f"decodes as {', '.join(fits)}" if fits else "no common double-byte encoding fits either"
    first = int(np.flatnonzero(high)[0])
    line = data.count(b"\n", 0, first) + 1
    raise DataError(f"the file is not UTF-8 or Windows cp1252 text but looks like a double-byte encoding "
                    f"({named}); first such byte on line {line}", Location(file=str(path), row=line - 1 or None),
                    hint="declare the form's encoding in study.yaml (raw: encodings), or save the export as UTF-8")


#: Bytes no UTF-8 or cp1252 text export holds (C0 controls other than tab, line feed, carriage return).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_not_binary(data: bytes, path: Path) -> None:
    """Refuse bytes that are not UTF-8/cp1252 text, naming what they look like: UTF-16/UTF-32 without a BOM
    (every other byte NUL), a workbook or archive saved with a .csv name, or other binary data."""
    found = _CONTROL.search(data, 0, 1 << 20)
    if found is None:
        return
    head = data[:4096]
    even, odd = head[0::2], head[1::2]
    if head.startswith(b"PK\x03\x04"):
        what, hint = "a zip archive (an .xlsx workbook?) named .csv", "give the file its real extension"
    elif head[:3] == b"\x00\x00\x00" or head[1:4] == b"\x00\x00\x00":
        what, hint = "UTF-32 text without a byte-order mark", "declare encoding utf-32 for this form, or save as UTF-8"
    elif odd.count(0) > len(odd) // 2 and even.count(0) < len(even) // 4:
        what, hint = "UTF-16 little-endian text without a byte-order mark", \
            "declare encoding utf-16-le for this form, or save it as UTF-8"
    elif even.count(0) > len(even) // 2 and odd.count(0) < len(odd) // 4:
        what, hint = "UTF-16 big-endian text without a byte-order mark", \
            "declare encoding utf-16-be for this form, or save it as UTF-8"
    else:
        what, hint = "binary data, not a text export", "export the form again as CSV text"
    line = data.count(b"\n", 0, found.start()) + 1
    raise DataError(f"the file is {what} (byte 0x{data[found.start()]:02X} on line {line})",
                    Location(file=str(path), row=line - 1 if line > 1 else None), hint=hint)


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start:exc.start + 1].hex().upper()
        raise DataError(
            f"byte 0x{byte} on line {line} is not valid {encoding}",
            Location(file=str(path), row=line - 1 if line > 1 else None),
            hint="declare the file's encoding for this form (e.g. latin-1, utf-8, cp1252); "
                 "it is not guessed",
        ) from exc


def sniff_delimiter(text: str, *, tab_first: bool = False) -> str:
    """The delimiter that occurs most often outside quotes in the header line (ties: ``,`` ``;`` tab ``|``)."""
    header = _LINE_BREAK.split(_QUOTED.sub("", text.lstrip("\r\n")[:65536]), maxsplit=1)[0]
    order = ("\t",) + tuple(d for d in DELIMITERS if d != "\t") if tab_first else DELIMITERS
    counts = {d: header.count(d) for d in order}
    best = max(order, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else order[0]


def check_field_counts(text: str, delimiter: str, path: Path) -> int:
    """The header's field count; a DataError naming the rows whose count differs.

    Quoted fields (which may hold delimiters and line breaks) are removed first, so
    each remaining line is one record; blank lines are not counted as malformed.
    """
    counts, blank, lines = _field_counts(text, delimiter)
    if blank[0]:
        raise DataError("the first line is empty; it must hold the column names", Location(file=str(path)),
                        hint="remove the lines above the header")
    width = int(counts[0])
    bad = np.flatnonzero((counts != width) & ~blank)
    bad = bad[bad > 0]
    if len(bad):
        first = int(bad[0])
        more = f" (also rows {', '.join(str(int(r)) for r in bad[1:6])}{', ...' if len(bad) > 6 else ''})" \
            if len(bad) > 1 else ""
        raise DataError(
            f"row has {counts[first]} fields but the header has {width}{more}",
            Location(file=str(path), row=first),
            hint=f"check quoting and stray {'tab' if delimiter == chr(9) else repr(delimiter)} "
                 "delimiters in that record, or re-export the form",
        )
    return width


def _field_counts(text: str, delimiter: str, width: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each record's field count, whether it is blank (known for the first and every record whose count differs
    from ``width``, the first record's count when None) and the text of those records."""
    found = _unquoted_field_counts(text, delimiter, width)
    if found is not None:
        return found
    d = re.escape(delimiter)
    quoted = re.compile(rf'"(?<![^{d}\r\n]")[^"]*(?:""[^"]*)*"')  # a quote opening a field, to its close
    lines = _LINE_BREAK.split(quoted.sub("", text))
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # the final line break
    counts = np.fromiter((line.count(delimiter) for line in lines), dtype=np.int64, count=len(lines)) + 1
    blank = np.fromiter((not line.strip() for line in lines), dtype=bool, count=len(lines))
    return counts, blank, lines


def _unquoted_field_counts(text: str, delimiter: str,
                           width: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """``check_field_counts``' per-line field counts and blank flags by whole-array work on the UTF-8 bytes, for
    text without quotes and without a carriage return alone (None otherwise: the caller splits the lines itself).

    Every line break is then a ``\n`` (a ``\r`` before it is white space at the end of the line) and every
    delimiter separates fields; UTF-8 never uses an ASCII byte inside a longer character, so counting bytes counts
    characters.  Only the lines whose count differs from the header's are looked at as text (blank or not), and
    they come back as ``lines`` (the others as empty strings are never read)."""
    if QUOTE in text or len(delimiter) != 1 or not delimiter.isascii() or not text:
        return None
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    returns = np.flatnonzero(data == 13)
    if len(returns) and (returns[-1] == len(data) - 1 or (data[returns + 1] != 10).any()):
        return None  # a carriage return alone breaks a line too
    breaks = np.flatnonzero(data == 10)
    ends = breaks if len(breaks) and breaks[-1] == len(data) - 1 else np.append(breaks, len(data))  # final break
    starts = np.concatenate(([0], ends[:-1] + 1))
    marks = np.flatnonzero(data == ord(delimiter))
    counts = (np.searchsorted(marks, ends) - np.searchsorted(marks, starts)).astype(np.int64) + 1
    odd = np.flatnonzero(counts != (counts[0] if width is None else width))
    lines = [""] * len(counts)
    blank = np.zeros(len(counts), dtype=bool)
    for row in [0, *odd.tolist()]:  # the header and the lines whose count differs, as text
        lines[row] = bytes(data[starts[row]:ends[row]]).decode("utf-8")
        blank[row] = not lines[row].strip()
    return counts, blank, lines


def _parser_error(exc: Exception, path: Path) -> DataError:
    message = str(exc).replace("Error tokenizing data. C error: ", "").strip()
    line = re.search(r"line (\d+)", message)  # 1-based, the header is line 1
    record = re.search(r"row (\d+)", message)  # 0-based, the header is row 0
    row = int(line.group(1)) - 1 if line else int(record.group(1)) if record else None
    return DataError(f"cannot parse the file: {message}", Location(file=str(path), row=row or None),
                     hint="check quoting in that record (an opening quote needs a closing quote)")
