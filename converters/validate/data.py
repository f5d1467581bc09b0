"""A study folder's datasets, read once and shared by every rule.

Each dataset is read from XPT or Dataset-JSON into the common transport shape
(text as ``object`` with blank for missing, numbers as ``float64``) and the
metadata that the file itself carries (labels, types, lengths, order).  The
derived views the rules ask for (populated masks, parsed dates, subject
lookups) are computed on first use and cached on the dataset, so two rules that
look at the same column pay for it once.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import CdiscConvertError, DataError, Location
from converters.metadata.model import Dataset, Variable

#: File suffixes the validator reads, in the order it prefers them when a dataset has two.
SUFFIXES = (".xpt", ".json", ".ndjson")


#: Bytes of cached column views (texts, codes, masks, dates, numbers per record) one dataset keeps: past it the
#: least recently used views are dropped (and computed again if asked for), so a dataset of millions of records
#: holds its frame and a bounded set of views, not every view every rule has asked for.
VIEW_BUDGET = 128 * 2**20


class ViewCache(OrderedDict):
    """A dataset's cached views, least recently used first; the oldest are dropped past :data:`VIEW_BUDGET` bytes
    (views of the frame's own arrays count nothing: dropping them frees nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        self._sizes: dict[object, int] = {}

    def __getitem__(self, key: object) -> object:
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key: object, value: object) -> None:
        self._forget(key)
        super().__setitem__(key, value)
        self._sizes[key] = size = _nbytes(value)
        self.bytes += size
        while self.bytes > VIEW_BUDGET and len(self) > 1:
            oldest = next(iter(self))
            if oldest == key:
                break
            del self[oldest]

    def __delitem__(self, key: object) -> None:
        self._forget(key)
        super().__delitem__(key)

    def pop(self, key: object, *default: object) -> object:
        self._forget(key)
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self._sizes.clear()
        self.bytes = 0

    def _forget(self, key: object) -> None:
        self.bytes -= self._sizes.pop(key, 0)


def _nbytes(value: object) -> int:
    """Bytes a cached view holds of its own (a view into another array holds none)."""
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, pd.Series):
        return _nbytes(value.array._ndarray if hasattr(value.array, "_ndarray") else value.to_numpy())
    if isinstance(value, np.ndarray):
        return int(value.nbytes) if value.base is None else 0
    return 0


@dataclass(frozen=True)
class TextFacts:
    """A text column's facts, per distinct raw value (in :meth:`DatasetData.unique_texts` order) or for the column."""

    #: every value is ASCII
    ascii: bool
    #: per distinct value: longer than 200 bytes in UTF-8 (the XPT v5 limit)
    over_200: np.ndarray
    #: per distinct value: starts with white space followed by more text (``re.match(r"\s+\S", value)``)
    leading_space: np.ndarray
    #: the longest value without trailing white space, in UTF-8 bytes (0 for none)
    longest: int


def measure_texts(values: np.ndarray, stripped: np.ndarray | None = None) -> TextFacts:
    """:class:`TextFacts` of distinct texts (``stripped``: the same texts with white space stripped at both ends, as
    :meth:`DatasetData._factor` holds them).  Only a value that differs from its stripped self can start or end
    with white space, so the regular expression and ``rstrip`` run on those few values and the rest is one pass of
    ``len`` (of the UTF-8 bytes when some value is not ASCII)."""
    import re

    values = np.asarray(values, dtype=object)
    if stripped is None:
        stripped = np.array([v.strip() for v in values], dtype=object)
    if not len(values):
        return TextFacts(ascii=True, over_200=np.zeros(0, dtype=bool), leading_space=np.zeros(0, dtype=bool), longest=0)
    ascii_ = "".join(values).isascii()
    size: Callable[[str], int] = len if ascii_ else _utf8_length
    lengths = np.fromiter(map(size, values), dtype=np.int64, count=len(values))
    spaced = np.flatnonzero(values != stripped)  # values with white space at an end
    leading = np.zeros(len(values), dtype=bool)
    space = re.compile(r"\s+\S")
    leading[spaced] = [space.match(v) is not None for v in values[spaced]]
    trimmed = lengths.copy()
    trimmed[spaced] = [size(v.rstrip()) for v in values[spaced]]
    return TextFacts(ascii=ascii_, over_200=lengths > 200, leading_space=leading, longest=int(trimmed.max()))


def _utf8_length(value: str) -> int:
    return len(value.encode("utf-8"))


@dataclass
class DatasetData:
    """One dataset: its frame, the metadata read from its file, and cached column views."""

    name: str
    frame: pd.DataFrame  # a property (below): read again from the file after :meth:`release`
    meta: Dataset
    path: Path | None = None
    file_format: str = "memory"  # xpt, json, ndjson or memory
    #: what the file says beside its data: XptFacts (version, members, damage, encoding) or JsonFacts
    #: (damage, values of the wrong type); None for in-memory data
    facts: object | None = None
    _cache: dict = field(default_factory=lambda: ViewCache(), repr=False)
    #: reads the frame from the file again (set by :func:`load_folder`); None: the frame is held for good
    reload: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)
    #: how often the frame was read again after a release (``--profile`` reports it)
    reloads: int = field(default=0, repr=False, compare=False)

    def release(self) -> None:
        """Forget the frame and every view of it, to be read again from the file when a rule next asks: the
        validator holds one large dataset at a time.  A dataset without ``reload`` keeps its frame."""
        self._cache.clear()
        if self.reload is not None:
            self.__dict__.pop("_frame", None)

    @property
    def held(self) -> bool:
        """Whether the frame is in memory now."""
        return "_frame" in self.__dict__

    @property
    def columns(self) -> list[str]:
        return list(self.__dict__["_names"])

    @cached_property
    def domain(self) -> str:
        """The domain code: ``DOMAIN`` value, else the dataset name (SUPPxx -> SUPPxx)."""
        if self.name.startswith(("SUPP", "SQ")) or self.name.startswith("AD"):
            return self.name
        if "DOMAIN" in self.frame.columns and len(self.frame):
            first = str(self.frame["DOMAIN"].iloc[0]).strip()
            if first:
                return first.upper()
        return self.name[:2] if len(self.name) > 2 and not self.is_standard_name else self.name

    @property
    def is_standard_name(self) -> bool:
        from converters.standards import sdtmig

        return self.name in sdtmig.dataset_names()

    @cached_property
    def prefix(self) -> str:
        """The two-letter prefix that replaces ``--`` in variable names."""
        return self.domain[:2]

    def var(self, generic: str) -> str:
        """``--STDTC`` -> ``AESTDTC`` for this dataset; names without ``--`` unchanged."""
        return self.prefix + generic[2:] if generic.startswith("--") else generic

    def has(self, *names: str) -> bool:
        return all(self.var(n) in self.__dict__["_names"] for n in names)

    def __len__(self) -> int:
        return int(self.__dict__["_rows"])

    def _factor(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(codes, raw unique values as text, stripped unique values) of a column; code -1 is missing.

        Every text view of the column is built from its distinct values, so a rule that looks at
        50,000 records of a column with 300 distinct values does 300 string operations, not 50,000.
        """
        key = ("factor", name)
        if key not in self._cache:
            col = self.frame[name]
            if isinstance(col.dtype, pd.CategoricalDtype):  # read as codes (load_folder codes=True)
                codes, uniques = col.cat.codes.to_numpy(), col.cat.categories
            else:
                codes, uniques = pd.factorize(col, use_na_sentinel=True)
                codes = codes.astype(np.int32)  # held per record while cached: half of pandas' int64
            if col.dtype.kind in "fiu":
                raw = _number_text(pd.Series(np.asarray(uniques, dtype="float64"))).to_numpy(dtype=object)
            elif pd.api.types.infer_dtype(uniques, skipna=False) == "string":  # texts already: no str() each
                raw = np.asarray(uniques, dtype=object)
            else:
                raw = np.array([str(u) for u in uniques], dtype=object)
            stripped = np.array(list(map(str.strip, raw)), dtype=object)
            self._cache[key] = (np.asarray(codes), raw, stripped)
        return self._cache[key]

    def text(self, name: str) -> pd.Series:
        """Column ``name`` as stripped text ('' for missing), cached."""
        name = self.var(name)
        key = ("text", name)
        if key not in self._cache:
            codes, _, stripped = self._factor(name)
            table = np.append(stripped, "")  # code -1 (missing) picks the trailing ''
            self._cache[key] = pd.Series(table[codes], index=self.frame.index, dtype=object)
        return self._cache[key]

    def unique_mask(self, name: str, test, raw: bool = False) -> np.ndarray:
        """Rows whose value passes ``test``, evaluated once per distinct value.

        ``test`` takes a Series of the distinct (stripped, or ``raw``) texts and returns booleans;
        missing values never pass.
        """
        codes, raw_values, stripped = self._factor(self.var(name))
        values = raw_values if raw else stripped
        if len(values) == 0:
            return np.zeros(len(codes), dtype=bool)
        return self.rows_mask(name, np.asarray(test(pd.Series(values, dtype=object)), dtype=bool))

    def rows_mask(self, name: str, passed: np.ndarray) -> np.ndarray:
        """Rows whose value is one of the distinct values marked in ``passed`` (booleans in :meth:`unique_texts`'
        order); missing values never pass."""
        codes, _, _ = self._factor(self.var(name))
        if not passed.any():  # the usual answer on clean data: no pass over the records
            return np.zeros(len(codes), dtype=bool)
        return np.append(passed, False)[codes]

    def text_facts(self, name: str) -> TextFacts:
        """What the transport and value rules measure of a text column (:class:`TextFacts`), measured once on its
        distinct raw values and shared by those rules (lengths, leading spaces, ASCII)."""
        key = ("facts", self.var(name))
        if key not in self._cache:
            _, raw, stripped = self._factor(self.var(name))
            self._cache[key] = measure_texts(raw, stripped)
        return self._cache[key]

    def unique_texts(self, name: str, raw: bool = False) -> np.ndarray:
        """Distinct values of a column as text (stripped unless ``raw``), missing left out."""
        _, raw_values, stripped = self._factor(self.var(name))
        return raw_values if raw else stripped

    def text_codes(self, name: str) -> np.ndarray:
        """Integer codes equal exactly when the stripped texts are equal (missing and '' share a code)."""
        key = ("tcodes", self.var(name))
        if key not in self._cache:
            codes, _, _ = self._factor(self.var(name))
            self._cache[key] = self.text_code_table(name)[codes]  # int32: half the bytes of a view held per record
        return self._cache[key]

    def text_code_table(self, name: str) -> np.ndarray:
        """:meth:`text_codes` per distinct value (in :meth:`_factor`'s order, then missing last: index it with the
        column's codes), cached: a part of the records gets its codes without the codes of every record."""
        key = ("tctable", self.var(name))
        if key not in self._cache:
            _, _, stripped = self._factor(self.var(name))
            self._cache[key] = pd.factorize(np.append(stripped, ""))[0].astype(np.int32)
        return self._cache[key]

    def plain_dates(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~converters.validate.iso8601.plain_texts` of the column's distinct stripped values followed by ''
        (the values :meth:`text` maps code -1 to), cached: the date comparison rules share it."""
        key = ("plain", self.var(name))
        if key not in self._cache:
            from converters.validate.iso8601 import plain_texts

            _, _, stripped = self._factor(self.var(name))
            self._cache[key] = plain_texts(np.append(stripped, ""))
        return self._cache[key]

    def date_ranks(self, name: str, width: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~converters.validate.iso8601.prefix_ranks` of the column's :meth:`plain_dates` texts at ``width``,
        cached: the rules that compare the column's dates with other dates (DT0003, DT0007, DT0021) rank them once."""
        key = ("ranks", self.var(name), width)
        if key not in self._cache:
            from converters.validate.iso8601 import prefix_ranks

            self._cache[key] = prefix_ranks(self.plain_dates(name)[1], width)
        return self._cache[key]

    def codes_of(self, name: str, texts: np.ndarray) -> np.ndarray:
        """The :meth:`text_codes` that stripped ``texts`` have in column ``name`` (-1 for a text it does not hold),
        to match another dataset's values against this one's by codes."""
        return self.text_index(name).get_indexer(pd.Index(texts, dtype=object))

    def text_index(self, name: str) -> pd.Index:
        """The distinct stripped texts of a column ('' among them) in :meth:`text_codes`' numbering: ``text_index(n)
        [text_codes(n)]`` is ``text(n)``."""
        key = ("tindex", self.var(name))
        if key not in self._cache:
            _, _, stripped = self._factor(self.var(name))
            self._cache[key] = pd.Index(pd.unique(np.append(stripped, "")))  # in text_codes' numbering
        return self._cache[key]

    def text_codes_at(self, name: str, rows: np.ndarray) -> np.ndarray:
        """``text_codes(name)[rows]``, without the codes of every record when they are not cached and ``rows`` is a
        small part of the dataset."""
        key = ("tcodes", self.var(name))
        if key in self._cache or len(rows) * 4 > len(self):
            return self.text_codes(name)[rows]
        codes, _, _ = self._factor(self.var(name))
        return self.text_code_table(name)[codes[rows]]

    def per_value(self, name: str, func) -> pd.Series:
        """``func(ds.text(name))`` for an element-wise ``func`` (Series of texts -> Series), evaluated once per
        distinct value and spread to the records."""
        codes, _, stripped = self._factor(self.var(name))
        out = func(pd.Series(np.append(stripped, ""), dtype=object))  # code -1 (missing) is ''
        return pd.Series(out.to_numpy()[codes], index=self.frame.index, dtype=out.dtype)

    def map_text(self, name: str, lookup: pd.Series) -> pd.Series:
        """Column ``name`` as stripped text mapped through ``lookup`` (a Series indexed by text; NaN where it has
        no entry), looked up once per distinct value: ``ds.text(name).map(lookup)`` without a lookup per record."""
        codes, _, stripped = self._factor(self.var(name))
        mapped = pd.Series(np.append(stripped, ""), dtype=object).map(lookup)  # code -1 (missing) maps ''
        return pd.Series(mapped.to_numpy()[codes], index=self.frame.index, dtype=mapped.dtype)

    def filled(self, name: str) -> pd.Series:
        """Boolean mask: ``name`` has a value (non-blank text or non-missing number)."""
        name = self.var(name)
        key = ("filled", name)
        if key not in self._cache and self.frame[name].dtype.kind in "fiu":
            # a number is filled when present (its text is never blank): no text of every distinct number needed
            self._cache[key] = pd.Series(self.frame[name].notna().to_numpy(), index=self.frame.index)
        if key not in self._cache:
            codes, _, stripped = self._factor(name)
            table = np.append(stripped != "", False)
            self._cache[key] = pd.Series(table[codes], index=self.frame.index)
        return self._cache[key]

    def number(self, name: str) -> pd.Series:
        """Column ``name`` as float64 (text converted; unparseable -> NaN)."""
        name = self.var(name)
        key = ("number", name)
        if key not in self._cache:
            col = self.frame[name]
            if col.dtype.kind in "fiu":
                self._cache[key] = col.astype("float64")
            else:  # each distinct text converted once (as pd.to_numeric over every record would, dtype included)
                codes, _, stripped = self._factor(name)
                distinct = pd.Series(stripped, dtype=object)
                parsed = pd.to_numeric(distinct.mask(distinct.eq("")), errors="coerce").to_numpy()
                if (codes < 0).any():  # missing values: NaN, so float64 as a column with NaN is
                    parsed = np.append(parsed.astype("float64"), np.nan)
                self._cache[key] = pd.Series(parsed[codes], index=self.frame.index)
        return self._cache[key]

    def date(self, name: str) -> pd.Series:
        """The complete calendar date of an ISO 8601 text column (NaT when partial or invalid)."""
        name = self.var(name)
        key = ("date", name)
        if key not in self._cache:
            from converters.validate.iso8601 import complete_date

            codes, _, stripped = self._factor(name)
            parsed = complete_date(pd.Series(np.append(stripped, ""), dtype=object)).to_numpy()
            self._cache[key] = pd.Series(parsed[codes], index=self.frame.index)
        return self._cache[key]

    def lookup(self, key: str, value: str) -> pd.Series:
        """Text of ``value`` indexed by the text of ``key`` (first record per key), for mapping onto other datasets."""
        return _first_per_key(self.text(value), self.text(key))

    def is_numeric(self, name: str) -> bool:
        return bool(self.__dict__["_names"][self.var(name)])

    def variable_meta(self, name: str) -> Variable | None:
        for var in self.meta.variables:
            if var.name == name:
                return var
        return None


def _get_frame(self: DatasetData) -> pd.DataFrame:
    frame = self.__dict__.get("_frame")
    if frame is None:
        pending = self.__dict__.pop("_pending", None)
        if pending is not None:  # first read of a dataset left unread by load_folder: its metadata and facts too
            frame, self.__dict__["meta"], self.__dict__["facts"] = pending()
            _set_frame(self, frame)
        elif self.reload is None:  # pragma: no cover - release() keeps frames that cannot be read again
            raise RuntimeError(f"dataset {self.name}: frame released and no way to read it again")
        else:
            frame = self.__dict__["_frame"] = self.reload()
        self.reloads += 1
    return frame


def _set_frame(self: DatasetData, frame: pd.DataFrame) -> None:
    """Hold ``frame``, and its size and column names, which stay known when the frame is released."""
    self.__dict__["_frame"] = frame
    self.__dict__["_rows"] = len(frame)
    self.__dict__["_names"] = {name: kind in "fiu" for name, kind in zip(frame.columns, frame.dtypes.map(_kind))}


def _kind(dtype: object) -> str:
    return str(getattr(dtype, "kind", "O"))


setattr(DatasetData, "frame", property(_get_frame, _set_frame))  # noqa: B010 - the field as a property (mypy: no method-assign)


def _file_part(name: str) -> property:
    """``meta`` and ``facts`` as properties: a dataset left unread by :func:`load_folder` reads its file when
    first asked for either (the whole read's metadata and file facts, not those of the part read)."""

    def get(self: DatasetData) -> object:
        if "_pending" in self.__dict__:
            _ = self.frame
        return self.__dict__[name]

    def put(self: DatasetData, value: object) -> None:
        self.__dict__[name] = value

    return property(get, put)


setattr(DatasetData, "meta", _file_part("meta"))  # noqa: B010 - as frame above
setattr(DatasetData, "facts", _file_part("facts"))  # noqa: B010 - as frame above


def _version_number(text: str) -> str:
    """``SDTMIG v3.2`` / ``3.2`` / ``V3.1.2`` -> ``3.2`` / ``3.1.2``; "" when the text holds no version in ASCII
    digits ("3.²" is not one: comparing it would crash)."""
    import re

    found = re.search(r"[0-9]+(?:\.[0-9]+)+", text)
    if found:
        return found.group(0)
    return text.strip() if re.fullmatch(r"[0-9]+", text.strip()) else ""


def _first_per_key(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` indexed by ``keys``, keeping the first record of each key."""
    series = pd.Series(values.to_numpy(), index=keys.to_numpy())
    return series[~series.index.duplicated()]


def _number_text(col: pd.Series) -> pd.Series:
    """Numbers as text: whole numbers without '.0', missing as ''."""
    arr = col.to_numpy(dtype="float64")
    out = pd.Series(col.astype(object).where(col.notna(), ""), index=col.index, dtype=object)
    whole = ~np.isnan(arr) & (np.mod(np.nan_to_num(arr), 1) == 0) & (np.abs(np.nan_to_num(arr)) < 1e15)
    if whole.any():
        out[whole] = pd.Series(arr[whole].astype("int64"), index=col.index[whole]).astype(str)
    rest = ~np.isnan(arr) & ~whole
    if rest.any():
        out[rest] = col[rest].map(repr)
    return out.astype(str)


@dataclass
class StudyData:
    """Every dataset of one folder (by upper-case name) plus the folder it came from."""

    datasets: dict[str, DatasetData]
    folder: Path | None = None
    standard: str = "sdtmig-3.4"
    define: object | None = None  # converters.validate.define_reader.DefineMeta when --define is given
    define_keys: object | None = None  # converters.validate.define_keys.DefineKeys when --define is given
    load_seconds: dict[str, float] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, message) of unreadable files
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) of files not read as datasets
    _cache: dict = field(default_factory=dict, repr=False)

    def get(self, name: str) -> DatasetData | None:
        return self.datasets.get(name.upper())

    def __contains__(self, name: str) -> bool:
        return name.upper() in self.datasets

    @cached_property
    def studyid(self) -> str:
        """The study's STUDYID: the value most records of TS and DM hold (TS wins a tie); else of any dataset.

        Taken from the study-level datasets rather than from whichever dataset is read first, so one
        record with a foreign STUDYID is the record reported, not every other record of the folder.
        """
        for names in (("TS", "DM"), tuple(self.datasets)):
            counts: dict[str, int] = {}
            for name in names:
                ds = self.get(name)
                if ds is None or "STUDYID" not in ds.frame.columns:
                    continue
                for value, count in ds.text("STUDYID").value_counts(sort=False).items():
                    if value:
                        counts[str(value)] = counts.get(str(value), 0) + int(count)
            if counts:
                return max(counts, key=lambda v: counts[v])  # first seen (TS before DM) wins a tie
        return ""

    @cached_property
    def ig_version(self) -> tuple[str, str]:
        """The folder's SDTMIG version and where it was read: TS SDTIGVER, else the define's standard."""
        ts = self.get("TS")
        if ts is not None and ts.has("TSPARMCD", "TSVAL"):
            values = ts.text("TSVAL")[ts.text("TSPARMCD").eq("SDTIGVER")]
            values = values[values.ne("")]
            if len(values):
                return _version_number(values.iloc[0]), "TS SDTIGVER"
        version = getattr(self.define_keys, "ig_version", "") or ""
        if version:
            return _version_number(version), "define"
        return "", ""

    def dm_lookup(self, name: str) -> pd.Series:
        """DM ``name`` indexed by USUBJID (first record per subject), for mapping onto other datasets."""
        key = ("dm", name)
        if key not in self._cache:
            dm = self.get("DM")
            if dm is None or name not in dm.frame.columns or "USUBJID" not in dm.frame.columns:
                self._cache[key] = None
            else:
                values = dm.date(name) if name.endswith("DTC") else dm.text(name)
                self._cache[key] = _first_per_key(values, dm.text("USUBJID"))
        return self._cache[key]

    def natural_key(self, ds: DatasetData) -> tuple[tuple[str, ...], str]:
        """The natural key of ``ds`` (variables it has, STUDYID left out) and where it comes from: the define's
        KeySequence when ``--define`` gave one for the dataset, else the bundled table (SDTMIG 3.4)."""
        from converters.standards.keys import natural_key

        stated = getattr(self.define_keys, "keys", {}).get(ds.name)
        key, source = (stated, "define KeySequence") if stated else (natural_key(ds.name), "SDTMIG 3.4 keys table")
        if not key:
            return (), ""
        return tuple(n for n in key if n != "STUDYID" and n in ds.frame.columns), source

    def subjects(self) -> frozenset[str]:
        """USUBJID values of DM."""
        dm = self.get("DM")
        if dm is None or "USUBJID" not in dm.frame.columns:
            return frozenset()
        return frozenset(dm.text("USUBJID").unique())


# ---------------------------------------------------------------------------
# Reading a folder
# ---------------------------------------------------------------------------

def read_dataset(path: Path, encoding: str = "auto", codes: bool = False) -> tuple[pd.DataFrame, Dataset, object]:
    """Read one XPT or Dataset-JSON file: frame, file metadata, and the file's facts (damage, encoding ...).

    Plain one-member XPT v5 files go through the numpy fast path, which gives the same result as
    ``read_xpt``; other XPT files through ``read_xpt`` (see :mod:`converters.validate.xptfile`).
    Dataset-JSON values of the wrong type are kept aside per value (:mod:`converters.validate.jsonfile`).
    ``encoding`` is the XPT text encoding: ``auto`` (detected per file) or a codec name.  ``codes``: the fast
    XPT path gives text columns as pandas Categorical (codes into the distinct values; same texts).
    """
    if path.suffix.lower() == ".xpt":
        from converters.validate.xptfile import read_xpt_file

        return read_xpt_file(path, encoding, codes)
    from converters.validate.jsonfile import read_json_file

    return read_json_file(path)


def load_folder(folder: str | os.PathLike[str], standard: str | None = None, encoding: str = "auto",
                codes: bool = False, release_over: int | None = None) -> StudyData:
    """Read every XPT/Dataset-JSON dataset of ``folder`` once.

    ``codes``: text columns of plain XPT v5 files as pandas Categorical, so memory follows the distinct values
    (the validator reads this way; the rules see texts through :class:`DatasetData`'s views).  Callers that use
    the frames themselves keep the default, ``object`` text.  ``release_over``: every dataset can then be released
    (its metadata, file facts, size and column names stay) and is read again when a rule asks for it
    (:meth:`DatasetData.release`); one whose frame takes more bytes than this is released as soon as it is read,
    so a study is never held whole; a plain XPT v5 file of more bytes than this is not read whole at load (its
    header and DOMAIN column give its shape and domain; frame, metadata and file facts are read when first asked
    for, as a reload), so a large file is read once, not once at load and again for its rules.

    When a dataset exists in two formats the XPT wins and the other is not read.
    Unreadable files are listed in ``StudyData.problems`` (and reported by rule
    MD0000) instead of stopping the run; damaged files that can be read in part are
    read, and their damage is reported (MD0030).
    """
    import time

    root = Path(folder)
    if not root.is_dir():
        raise DataError("folder to validate not found", where=Location(file=str(root)),
                        hint="give a folder that holds .xpt or Dataset-JSON (.json/.ndjson) files")
    files, skipped = dataset_files(root)
    if not files:
        raise DataError(_nothing_read(skipped), where=Location(file=str(root)),
                        hint="give a folder that holds .xpt or Dataset-JSON 1.1 (.json/.ndjson) files; a "
                        "Dataset-JSON file names its 'datasetJSONVersion' and 'columns'")
    study = StudyData(datasets={}, folder=root, skipped=skipped)
    for stem, path in sorted(files.items()):
        start = time.perf_counter()
        shape = _read_shape(path, encoding, codes) if release_over is not None and _deferred(path, release_over) else None
        try:
            frame, meta, facts = shape[:3] if shape is not None else read_dataset(path, encoding, codes)
        except Exception as exc:  # noqa: BLE001 - reported as a finding, not a crash
            study.problems.append((path.name, why_unreadable(exc)))
            continue
        name = (meta.name or stem).upper()
        if name in study.datasets:
            study.problems.append((path.name, f"dataset {name} already read from another file"))
            continue
        ds = study.datasets[name] = DatasetData(name=name, frame=frame, meta=meta, path=path,
                                                file_format=path.suffix.lower().lstrip("."), facts=facts)
        if release_over is not None:
            ds.reload = partial(_read_frame, path, encoding, codes)
            _ = ds.domain, ds.prefix  # read from the frame: kept
            if shape is not None:  # only DOMAIN read: the rest (frame, metadata, file facts) when first asked for
                ds.__dict__["_names"] = shape[3]
                ds.__dict__["_pending"] = partial(read_dataset, path, encoding, codes)
                ds.release()
            elif frame.memory_usage(index=False, deep=False).sum() > release_over:
                ds.release()  # read again for its rules: never two large datasets held at once

        del frame
        study.load_seconds[name] = time.perf_counter() - start
    study.standard = standard or guess_standard(study.datasets)
    return study


def _deferred(path: Path, release_over: int) -> bool:
    """Whether a file is large enough to leave unread until its rules ask for it: an XPT file of more bytes than
    ``release_over`` (its frame, read as codes, would be released as soon as read)."""
    try:
        return path.suffix.lower() == ".xpt" and path.stat().st_size > release_over
    except OSError:
        return False


def _read_shape(path: Path, encoding: str,
                codes: bool) -> tuple[pd.DataFrame, Dataset, None, dict[str, bool]] | None:
    """What :func:`load_folder` keeps of a dataset that is released as soon as read, without reading it: the
    frame of DOMAIN alone (or of the first variable; the domain is read from it), its metadata, and per variable
    whether it is numeric, from a plain one-member v5 file (the whole file would be read by the same fast reader
    and give the same rows).  None for any other file (read whole, as before)."""
    from converters.validate.fastxpt import parse_xpt, read_header
    from converters.validate.xptfile import _mapped

    try:
        with _mapped(path) as raw:
            head = read_header(raw)
            if head is None or not head.names:
                return None
            first = "DOMAIN" if "DOMAIN" in head.names else head.names[0]
            parsed = parse_xpt(raw, encoding, codes, columns=[first])
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None
    if parsed is None:
        return None
    frame, meta, _ = parsed
    return frame, meta, None, dict(zip(head.names, head.numeric))


def _read_frame(path: Path, encoding: str, codes: bool) -> pd.DataFrame:
    """The frame of a dataset file, read again after a release (the same bytes give the same frame)."""
    return read_dataset(path, encoding, codes)[0]


def why_unreadable(exc: Exception) -> str:
    """Why a file cannot be read, for the finding that names the file: the reader's message with where in the
    file (line, variable, row, column; the file itself is named by the finding) and its hint."""
    if not isinstance(exc, CdiscConvertError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    where = exc.where
    inside = str(Location(variable=where.variable, row=where.row, column=where.column))
    parts = [f"line {where.line}"] if where.line else []
    parts += [inside] if inside else []
    text = f"{', '.join(parts)}: {exc.message}" if parts else exc.message
    return f"{text} (hint: {exc.hint})" if exc.hint else text


def dataset_files(root: Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """The dataset files of a folder by upper-case stem, and every other entry with why it is not read.

    Other JSON files (metadata.json, settings) are not datasets; when a dataset has two formats the
    first of ``SUFFIXES`` is read.
    """
    files: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []
    entries = sorted(root.iterdir())
    for suffix in SUFFIXES:
        for path in entries:
            if path.is_file() and path.suffix.lower() == suffix and not path.name.startswith("."):
                if suffix != ".xpt" and not is_dataset_json(path):
                    skipped.append((path.name, "JSON but not Dataset-JSON (no 'datasetJSONVersion' or 'columns')"))
                elif path.stem.upper() in files:
                    skipped.append((path.name, f"dataset {path.stem.upper()} is read from "
                                               f"{files[path.stem.upper()].name}"))
                else:
                    files[path.stem.upper()] = path
    for path in entries:
        if path.name.startswith("."):
            continue
        if path.is_dir():
            skipped.append((path.name + "/", "a folder (folders are not searched)"))
        elif path.suffix.lower() not in SUFFIXES:
            skipped.append((path.name, "not a .xpt, .json or .ndjson file"))
    return files, sorted(skipped)


def _nothing_read(skipped: list[tuple[str, str]], shown: int = 10) -> str:
    """The 'no datasets' message, naming the files that were skipped and why."""
    if not skipped:
        return "no datasets found: the folder is empty"
    lines = [f"{name}: {why}" for name, why in skipped[:shown]]
    if len(skipped) > shown:
        lines.append(f"... and {len(skipped) - shown} more")
    return "no datasets found; files skipped:\n  " + "\n  ".join(lines)


def is_dataset_json(path: Path) -> bool:
    """Whether a .json/.ndjson file looks like Dataset-JSON (its head names the version or the columns)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return True  # let the reader report it
    return b'"datasetJSONVersion"' in head or b'"columns"' in head


def guess_standard(datasets: dict[str, DatasetData]) -> str:
    """``adamig-1.3`` when every dataset name starts with AD, else ``sdtmig-3.4``."""
    names = list(datasets)
    return "adamig-1.3" if names and all(n.startswith("AD") for n in names) else "sdtmig-3.4"


def frames_to_study(frames: dict[str, pd.DataFrame], metas: dict[str, Dataset] | None = None,
                    standard: str = "sdtmig-3.4") -> StudyData:
    """A StudyData from in-memory frames (tests, and callers that already hold the data).

    Without metadata, each variable takes its SDTMIG label and the frame's type, with
    character lengths from the data.
    """
    metas = metas or {}
    datasets = {}
    for name, frame in frames.items():
        meta = metas.get(name) or infer_metadata(name, frame)
        datasets[name.upper()] = DatasetData(name=name.upper(), frame=frame, meta=meta)
    return StudyData(datasets=datasets, standard=standard)


def infer_metadata(name: str, frame: pd.DataFrame) -> Dataset:
    """Metadata for a frame from the standard (labels) and the data (types, lengths)."""
    labels, ds_label = _standard_labels(name.upper())
    variables = []
    for col in frame.columns:
        series = frame[col]
        if series.dtype.kind in "fiu":
            variables.append(Variable(name=col, label=labels.get(col, col.title()), data_type="float", length=8))
        else:
            values = pd.unique(series.dropna())
            length = max((len(str(v).encode("utf-8")) for v in values), default=1)
            variables.append(Variable(name=col, label=labels.get(col, col.title()), data_type="text",
                                      length=max(length, 1)))
    return Dataset(name=name.upper(), label=ds_label, variables=variables, records=len(frame))


@lru_cache(maxsize=None)
def _standard_labels(name: str) -> tuple[dict[str, str], str]:
    from converters.standards import adamig, sdtmig

    guide = adamig if name.startswith("AD") else sdtmig
    if not guide.has_dataset(name):
        return {}, ""
    return {v.name: v.label for v in guide.variables(name)}, guide.dataset(name).label
