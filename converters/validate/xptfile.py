"""Read an XPT file as a reviewer receives it: any text encoding, v5 or v8, damaged or not, and say what it found.

SAS transport files from other sponsors are not always what FDA asks for (one member per file, version 5,
ASCII text, a whole file).  Rather than fail, or worse read a damaged file as fewer rows without a word,
the validator reads what can be read and keeps the facts the rules report (:class:`XptFacts`):

* **version**: the library header says ``LIBRARY`` (v5) or ``LIBV8`` (v8); FDA requires v5 (rule MD0029).
* **damage**: a size that is not a whole number of 80-byte records, a last record cut short, fewer
  observations than a v8 header states, header records missing or out of place (rule MD0030).  A file
  whose headers cannot be found at all cannot be read; :class:`DataError` says why (rule MD0000).
* **member names**: as stored (a lower-case name is read as upper case but reported), and every member
  when a file holds more than one (rule MD0031).
* **text encoding**: the one declared (``--encoding``), else detected per file from its non-ASCII bytes:
  UTF-8 when they decode as UTF-8, else Windows-1252, else Latin-1 (rule MD0032 reports the choice).

The layout is SAS Technical Paper TS-140 (v5) and the v8 extension: 80-byte records; a library header,
two library records; per member a member header, a descriptor header, two member records, a NAMESTR header
(with the variable count), 140-byte namestrs padded to 80 bytes, an OBS header (v8: with the observation
count), then the rows padded with blanks to 80 bytes.
"""
from __future__ import annotations

import mmap
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from converters.errors import DataError, Location
from converters.metadata.model import Dataset
from converters.validate.fastxpt import Buffer

_PREFIX = b"HEADER RECORD*******"
_LIB = {b"LIBRARY ": 5, b"LIBV8   ": 8}
_MEMBER = re.compile(rb"HEADER RECORD\*{7}(MEMBER  |MEMBV8  )HEADER RECORD!{7}")
_OBS = re.compile(rb"HEADER RECORD\*{7}(OBS     |OBSV8   )HEADER RECORD!{7}")
#: Encodings --encoding accepts (``auto`` detects per file).
ENCODINGS = ("auto", "utf-8", "cp1252", "latin-1", "ascii")


@dataclass
class XptFacts:
    """What the file itself says, beside its data: version, members, damage and text encoding."""

    version: int = 5
    members: list[str] = field(default_factory=list)  # member names as stored
    damage: list[str] = field(default_factory=list)
    encoding: str = "ascii"
    encoding_how: str = ""  # "declared" or "detected"; "" when the text is ASCII


def read_xpt_file(path: Path, encoding: str = "auto", codes: bool = False) -> tuple[pd.DataFrame, Dataset, XptFacts]:
    """Frame, metadata and file facts of the first member of an XPT file; DataError when nothing can be read.

    A declared encoding that cannot decode the file's text does not stop the run: the encoding is then
    detected, and the facts say that the declared one did not fit.  ``codes``: text as pandas Categorical
    on the fast path (:func:`converters.validate.fastxpt.parse_xpt`).
    """
    with _mapped(path) as raw:
        return _read_mapped(path, raw, encoding, codes)


@contextmanager
def _mapped(path: Path) -> Iterator[Buffer]:
    """The file's bytes mapped read-only (an empty file as ``b""``); the readers release the pages they have
    passed, so a gigabyte file is never resident at once."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            yield b""
            return
        raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield raw
        finally:
            try:
                raw.close()
            except BufferError:  # pragma: no cover - a view still open; the mapping goes with it
                pass


def _read_mapped(path: Path, raw: Buffer, encoding: str, codes: bool) -> tuple[pd.DataFrame, Dataset, XptFacts]:
    """The common file (v5, one member) in one pass: the fast reader also searches the data for a second member,
    so the file's pages are read once, block by block; anything else is inspected first, then read."""
    from converters.validate.fastxpt import parse_xpt

    parsed = parse_xpt(raw, encoding, codes)
    if parsed is not None:
        facts = inspect_xpt(raw, path, starts=[240])
        frame, meta, facts.encoding = parsed
        if facts.encoding != "ascii":
            facts.encoding_how = "detected" if encoding == "auto" else "declared"
        facts.damage += _short_rows(raw, meta)
        return frame, meta, facts
    facts = inspect_xpt(raw, path)
    try:
        frame, meta, facts.encoding = _read_text(path, raw, facts, encoding, codes)
        how = "detected" if encoding == "auto" else "declared"
    except DataError:
        if encoding == "auto":
            raise
        frame, meta, facts.encoding = _read_text(path, raw, facts, "auto", codes)
        how = f"detected; the declared {encoding} cannot decode it"
    if facts.encoding != "ascii":
        facts.encoding_how = how
    if facts.version == 5 and len(facts.members) == 1:
        facts.damage += _short_rows(raw, meta)
    return frame, meta, facts


def _read_text(path: Path, raw: Buffer, facts: XptFacts, encoding: str,
               codes: bool = False) -> tuple[pd.DataFrame, Dataset, str]:
    """The fast path for one-member v5 files, else the full reader; the damage found joins a reader's error."""
    from converters.validate.fastxpt import parse_xpt

    parsed = parse_xpt(raw, encoding, codes) if facts.version == 5 and len(facts.members) == 1 else None
    if parsed is not None:
        return parsed
    try:
        return _read_full(path, raw, encoding)
    except DataError as exc:
        if facts.damage:
            exc.message = f"{exc.message}; {'; '.join(facts.damage)}"
        raise


def inspect_xpt(raw: Buffer, path: Path, starts: list[int] | None = None) -> XptFacts:
    """The version, member names and damage of an XPT file's bytes; DataError when it is not one.

    ``starts``: the offsets of the member headers when already known (the fast reader has searched the data),
    else they are searched for.
    """
    where = Location(file=str(path))
    kind = raw[20:28] if raw[:len(_PREFIX)] == _PREFIX else b""
    if kind not in _LIB:
        raise DataError("not a SAS transport file: the first 80-byte record is not a library header",
                        where=where, hint="the file is damaged or is not XPT; export it again as SAS XPORT v5")
    facts = XptFacts(version=_LIB[kind])
    if len(raw) % 80:
        facts.damage.append(f"the file is {len(raw):,} bytes, not a whole number of 80-byte records "
                            "(truncated or damaged)")
    starts = member_starts(raw) if starts is None else starts
    if not starts:
        raise DataError("bad header records: no member header (the file holds no dataset)", where=where,
                        hint="the file is damaged or truncated; export it again")
    for number, start in enumerate(starts, start=1):
        expected = (b"DSCRPTR " if facts.version == 5 else b"DSCPTV8 ")
        if raw[start + 80:start + 100] != _PREFIX or raw[start + 100:start + 108] != expected:
            raise DataError(f"bad header records: member {number} has no descriptor header", where=where,
                            hint="the file is damaged; export it again")
        name_field = raw[start + 168:start + 176] if facts.version == 5 else raw[start + 168:start + 200]
        facts.members.append(name_field.decode("latin-1").strip())
        namestr = raw[start + 320:start + 400]
        if not namestr.startswith(_PREFIX) or namestr[20:28] not in (b"NAMESTR ", b"NAMSTV8 "):
            raise DataError(f"bad header records: member {facts.members[-1] or number} has no NAMESTR header",
                            where=where, hint="the file is damaged; export it again")
        end = starts[number] if number < len(starts) else len(raw)
        obs = _OBS.search(raw, start + 400, end)
        if obs is None:
            facts.damage.append(f"member {facts.members[-1]}: no OBS header record (the data is missing)")
        elif facts.version == 8:
            declared = raw[obs.end():obs.start() + 80].split()
            if declared and declared[0].isdigit():
                facts.damage += _v8_count(raw, start, obs.start() + 80, end, int(declared[0]), facts.members[-1])
    return facts


def member_starts(raw: Buffer) -> list[int]:
    """Offsets of the member header records (at 80-byte record boundaries), found with a plain byte search
    chunk by chunk (a mapped file's pages are released behind the search)."""
    from converters.validate.fastxpt import release

    head = b"HEADER RECORD*******MEMB"
    starts: list[int] = []
    chunk = 1 << 24
    for begin in range(0, len(raw), chunk):
        end = min(len(raw), begin + chunk)
        found = raw.find(head, begin, min(len(raw), end + len(head) - 1))
        while found >= 0:
            if found % 80 == 0 and _MEMBER.match(raw, found):
                starts.append(found)
            found = raw.find(head, found + 1, min(len(raw), end + len(head) - 1))
        release(raw, begin, end)
    return starts


def _v8_count(raw: Buffer, member: int, data: int, end: int, declared: int, name: str) -> list[str]:
    """A v8 OBS header states the observation count: fewer whole rows than that is a truncated file."""
    width = _row_width(raw, member)
    if not width:
        return []
    held = (end - data) // width
    if held < declared:
        return [f"member {name}: the OBS header states {declared:,} observations but the file holds {held:,} "
                "(truncated)"]
    return []


def _row_width(raw: Buffer, member: int) -> int:
    """Sum of the variable lengths from the namestr records of the member starting at ``member``."""
    header = raw[member + 320:member + 400]
    try:
        nvars = int(header[54:58])
        size = int(raw[member + 74:member + 78])
    except ValueError:
        return 0
    first = member + 400
    return sum(int.from_bytes(raw[first + i * size + 4:first + i * size + 6], "big") for i in range(nvars))


def _short_rows(raw: Buffer, meta: Dataset) -> list[str]:
    """A v5 file has no observation count: a last record that is not whole (non-blank leftover bytes) shows
    that the file was cut inside a row."""
    obs = _OBS.search(raw)
    width = _row_width(raw, _MEMBER.search(raw).start())  # type: ignore[union-attr]
    if obs is None or not width:
        return []
    start = obs.start() + 80
    left = raw[start + ((len(raw) - start) // width) * width:]  # the bytes after the last whole row, not a copy of all
    if left.strip(b" "):
        return [f"the last record is cut short: {len(left)} of {width} bytes after record "
                f"{meta.records:,} (truncated; {meta.records:,} whole records read)"]
    return []


def _read_full(path: Path, raw: Buffer, encoding: str) -> tuple[pd.DataFrame, Dataset, str]:
    """The project reader (pyreadstat) with the declared encoding, or each candidate encoding in turn.

    The encoding returned is ``ascii`` when no text value or label read is outside ASCII (numbers in XPT are
    binary, so the file's bytes alone cannot tell).
    """
    from converters.readers.xpt import read_xpt_encoded

    if encoding != "auto":
        frame, meta = read_xpt_encoded(path, encoding)
        return frame, meta, encoding if _has_non_ascii(frame, meta) else "ascii"
    error: DataError | None = None
    for name in ("utf-8", "cp1252", "latin-1"):
        try:
            frame, meta = read_xpt_encoded(path, name)
        except DataError as exc:
            error = exc
            continue
        return frame, meta, name if _has_non_ascii(frame, meta) else "ascii"
    assert error is not None
    raise error


def _has_non_ascii(frame: pd.DataFrame, meta: Dataset) -> bool:
    """Whether any text value (each distinct value once) or label is outside ASCII."""
    labels = [meta.name or "", meta.label or ""] + [v.label or "" for v in meta.variables]
    if not "".join(labels).isascii():
        return True
    for name in frame.columns:
        if frame[name].dtype == object and not "".join(map(str, pd.unique(frame[name].dropna()))).isascii():
            return True
    return False
