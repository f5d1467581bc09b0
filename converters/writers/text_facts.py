"""What the writers know about a text column, measured once on its distinct values.

A text column of a large study holds millions of records but usually few distinct values
(test codes, units, visit names, subject identifiers repeat).  :func:`text_facts` factorizes
the column once; the missing mask, the UTF-8 byte and character lengths, the ASCII check, the
longest value and the JSON text are then computed per distinct value, and mapped back to the
records through the integer codes only where a per-record answer is needed.  The transport
checks (:func:`converters.writers.xpt.check_xpt`, :func:`converters.writers.transport.byte_lengths`),
the XPT writer and the Dataset-JSON writer all read the same facts, so a text column is measured
once per write and all of them agree on what its length is.

Distinct values keep the order in which they first appear (``pandas.factorize``), so the first
record holding a bad value is the first record of the first bad distinct value
(:meth:`TextFacts.first_row`): an error names the same record a row-by-row scan would.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from converters.errors import Location, TransportError
from converters.metadata.model import Dataset


@dataclass(frozen=True)
class TextFacts:
    """One text column: records as codes into its distinct values, and the facts of each distinct value.

    ``codes[i]`` is the position of record ``i``'s value in ``values``, -1 when it is missing
    (None, NaN, NA).  The empty text ``""`` is a value, not missing (Dataset-JSON tells the two
    apart; XPT writes both as blanks).
    """

    codes: np.ndarray
    values: np.ndarray
    nbytes: np.ndarray
    nchars: np.ndarray
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def records(self) -> int:
        """Number of records in the column."""
        return len(self.codes)

    @property
    def missing(self) -> np.ndarray:
        """Per record: True where the value is missing."""
        return self.codes < 0

    @property
    def ascii(self) -> np.ndarray:
        """Per distinct value: True when it is all ASCII (as many bytes as characters)."""
        return self.nbytes == self.nchars

    @property
    def all_ascii(self) -> bool:
        """True when every value of the column is ASCII."""
        return bool(self.ascii.all())

    @property
    def max_bytes(self) -> int:
        """UTF-8 byte length of the longest value (0 when there is none)."""
        return int(self.nbytes.max()) if len(self.nbytes) else 0

    def record_bytes(self) -> np.ndarray:
        """Per record: UTF-8 byte length of its value (0 for missing)."""
        return np.append(self.nbytes, 0)[self.codes]

    def record_values(self) -> np.ndarray:
        """Per record: its value as an object array, None for missing."""
        table = np.empty(len(self.values) + 1, dtype=object)
        table[:-1] = self.values
        table[-1] = None
        return table[self.codes]

    def first_row(self, bad: np.ndarray) -> int | None:
        """0-based record of the first value flagged in ``bad`` (a mask over distinct values), None if none."""
        flagged = np.flatnonzero(bad)
        if not len(flagged):
            return None
        return int(np.argmax(self.codes == flagged[0]))

    def json_tokens(self, encode: Callable[[str], str]) -> np.ndarray:
        """JSON text of each distinct value and ``null`` last (index -1), encoded with ``encode`` once per value."""
        cached = self._cache.get("json")
        if not isinstance(cached, np.ndarray):
            cached = np.array([encode(v) for v in self.values] + ["null"], dtype=object)
            self._cache["json"] = cached
        return cached


def text_facts(series: pd.Series | np.ndarray, dataset: str | None = None, variable: str | None = None) -> TextFacts:
    """Factorize a text column once and measure its distinct values.

    Missing values (None, NaN, NA, NaT) are missing; every other value must be text, else a
    TransportError names the dataset, variable, first record holding a non-text value and the value.
    """
    if isinstance(series, pd.Series):
        objects = series.to_numpy(dtype=object)
    else:
        objects = np.asarray(series, dtype=object)
    codes, uniques = pd.factorize(objects)
    values = np.asarray(uniques, dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    if not is_text.all():
        at = int(np.argmax(codes == int(np.argmin(is_text))))
        value = objects[at]
        raise TransportError(f"character variable holds a non-text value {value!r} ({type(value).__name__})",
                             where=Location(dataset=dataset, variable=variable, row=at + 1),
                             hint="convert the column to text before writing, or declare the variable numeric")
    return _measured(codes, values)


def factorized_facts(codes: np.ndarray, values: np.ndarray, dataset: str | None = None,
                     variable: str | None = None) -> TextFacts:
    """The facts of a column already factorized: ``codes`` (-1 missing) into its distinct ``values`` (each a
    ``str``, in order of first appearance), as :func:`text_facts` gives them (``dataset`` and ``variable`` name
    the column, as for :func:`text_facts`)."""
    return _measured(codes, values)


def _measured(codes: np.ndarray, values: np.ndarray) -> TextFacts:
    """Lengths in characters and UTF-8 bytes of each distinct value; codes in the smallest safe integer type."""
    codes = np.asarray(codes, dtype=np.int32 if len(values) < 2**31 - 1 else np.intp)  # half the memory
    nchars = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if "".join(values.tolist()).isascii():
        nbytes = nchars
    else:
        nbytes = np.fromiter((len(v.encode("utf-8")) for v in values), dtype=np.int64, count=len(values))
    return TextFacts(codes=codes, values=values, nbytes=nbytes, nchars=nchars)


def dataset_text_facts(frame: pd.DataFrame, dataset: Dataset) -> dict[str, TextFacts]:
    """:func:`text_facts` of every character variable of ``dataset``, to share between writers of ``frame``.

    Pass the result as ``facts=`` to :func:`~converters.writers.xpt.write_xpt` and
    :func:`~converters.writers.dataset_json.write_dataset_json` when both write the same,
    unchanged frame: each text column is then factorized and measured once for both files.
    """
    return {var.name: text_facts(frame[var.name], dataset.name, var.name)
            for var in dataset.variables if not var.is_numeric and var.name in frame}


def text_columns_facts(frame: pd.DataFrame, dataset: str, names: Iterable[str] | None = None) -> dict[str, TextFacts]:
    """:func:`text_facts` of every text column of ``frame`` (object or string dtype), or of ``names`` among them.

    For a build to measure each text column once, before the metadata exists: the lengths, the codelist
    terms in use, the build's 200-byte check and both writers then read these facts.  A column holding a
    value that is not text is left out (the writers measure it themselves and report that value).
    """
    out: dict[str, TextFacts] = {}
    known = _take_known(frame)
    for name in (frame.columns if names is None else names):
        if name not in frame:
            continue
        column = frame[name]
        found = known.get(str(name))
        if found is not None and len(found[1]) == len(column) and _data_address(column) == found[0]:
            out[str(name)] = factorized_facts(found[1], found[2], dataset, str(name))
            continue
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue
        try:
            out[str(name)] = text_facts(column, dataset, str(name))
        except TransportError:
            continue
    return out


#: factorizations made while a frame was made (``remember_codes``), by the frame's id: its weak reference and, per
#: column, the address of the column's object array, its codes and its distinct values
_KNOWN: dict[int, tuple[weakref.ref, dict[str, tuple[int, np.ndarray, np.ndarray]]]] = {}


def remember_codes(frame: pd.DataFrame, factorized: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Keep the factorization (codes, distinct ``str`` values) of text columns of ``frame`` made while it was made
    (``converters.sdtm.finalize.shape_domain`` factorizes each text column to set its missing values to None), for
    the next :func:`text_columns_facts` of the same frame to measure instead of factorizing the columns again.

    Each is taken only for a column still holding the very object array it was made for (same address, same
    length); the frame's entry is used once and dropped with the frame."""
    if not factorized:
        return
    key = id(frame)
    columns = {name: (_data_address(frame[name]), codes, values) for name, (codes, values) in factorized.items()}
    _KNOWN[key] = (weakref.ref(frame, lambda _ref: _KNOWN.pop(key, None)), columns)


def _take_known(frame: pd.DataFrame) -> dict[str, tuple[int, np.ndarray, np.ndarray]]:
    entry = _KNOWN.pop(id(frame), None)
    if entry is None or entry[0]() is not frame:
        return {}
    return entry[1]


def _data_address(column: pd.Series) -> int:
    """Address of an object column's array (-1 for a column of any other dtype)."""
    if column.dtype != object:
        return -1
    array = column.to_numpy(dtype=object, copy=False)
    return int(array.ctypes.data) if array.flags.c_contiguous or array.ndim == 1 else -1


def facts_for(facts: Mapping[str, TextFacts] | None, series: pd.Series, dataset: str, variable: str) -> TextFacts:
    """The shared facts of a column when given (and of the right size), else measured now."""
    found = facts.get(variable) if facts else None
    if found is not None and found.records == len(series):
        return found
    return text_facts(series, dataset, variable)


def merge_facts(parts: list[TextFacts]) -> TextFacts:
    """The facts of the column the pieces make one after the other, as :func:`text_facts` of the whole column
    gives them: distinct values in order of first appearance, records recoded into them (facts of a domain
    finished in pieces, ``converters.sdtm.study``)."""
    if len(parts) == 1:
        return parts[0]
    values = np.concatenate([p.values for p in parts]) if parts else np.empty(0, dtype=object)
    recode, distinct = pd.factorize(values)
    first = np.zeros(len(distinct), dtype=np.int64)  # each distinct value's first place among ``values``
    first[recode[::-1]] = np.arange(len(values))[::-1]
    table = np.append(recode, -1)  # the last entry: missing stays missing
    codes, offset = [], 0
    for p in parts:
        at = p.codes.astype(np.int64) + offset
        at[p.codes < 0] = len(values)
        codes.append(table[at])
        offset += len(p.values)
    joined = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    kind = np.int32 if len(distinct) < 2**31 - 1 else np.intp
    nbytes = np.concatenate([p.nbytes for p in parts])[first] if parts else np.empty(0, dtype=np.int64)
    nchars = np.concatenate([p.nchars for p in parts])[first] if parts else np.empty(0, dtype=np.int64)
    return TextFacts(codes=joined.astype(kind), values=np.asarray(distinct, dtype=object), nbytes=nbytes,
                     nchars=nchars)
