"""Column helpers: run text work once per distinct value, not once per record.

Raw clinical columns repeat a small set of values (dates, codes, terms), so
string parsing on the distinct values and a ``take`` back to the records is
many times faster than pandas string methods on the whole column.  The helpers
here factorize a column once (``distinct``), work on its distinct values and
take the results back with the codes (null records stay null).
"""
from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: The ``string`` dtype (missing is ``pd.NA``) that ``Series.astype("string")`` gives.
STRING = pd.StringDtype()


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of each record's value (-1 for null) and the distinct non-null values, in order of first appearance.

    A ``string`` column held as Python objects (what the readers give) is factorized on its object array: pandas
    compares every value with the dtype's missing value when it factorizes the column itself, which takes twice the
    time; the object array's missing values (``pd.NA``, NaN) are null to the hash table all the same."""
    found = _distinct_strings(values)
    if found is not None:
        dtype = values.dtype
        assert isinstance(dtype, pd.StringDtype)
        return found[0], pd.Index(pd.array(found[1], dtype=dtype), copy=False)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, uniques


def _distinct_strings(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``distinct`` of a Python-storage ``string`` column with its distinct texts as an object array (None for any
    other column).  A column made from codes (``remember_codes``) is factorized on its integer codes."""
    objects = _string_objects(values)
    if objects is None:
        return None
    known = _known_codes(objects)
    if known is not None:
        return _first_appearance(*known)
    codes, texts = pd.factorize(objects, use_na_sentinel=True)
    return codes, texts


#: object arrays made from codes into distinct values (``remember_codes``), by address: (array, codes, values)
_KNOWN: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def remember_codes(owner: object, columns: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """Remember, while ``owner`` (the frame holding them) lives, how object arrays were made: ``(array, codes,
    values)`` with ``array`` = ``values[codes]`` (None or ``pd.NA`` where the code is -1) and ``values``
    distinct ``str``.  ``distinct`` of a column holding such an array then factorizes its small integer codes
    instead of hashing every text again.

    The array is held here, so no other array can take its address while the entry lives; it must not be
    written to in place (pandas' copy-on-write copies it when a frame sharing it is written to)."""
    addresses = []
    for array, codes, values in columns:
        if len(array) and array.ndim == 1 and len(codes) == len(array):
            address = array.__array_interface__["data"][0]
            _KNOWN[address] = (array, codes, values)
            addresses.append((address, array))
    if addresses:
        weakref.finalize(owner, _forget, addresses)


def _forget(addresses: list[tuple[int, np.ndarray]]) -> None:
    for address, array in addresses:
        found = _KNOWN.get(address)
        if found is not None and found[0] is array:
            del _KNOWN[address]


def _known_codes(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes and distinct values an object array was made from (``remember_codes``), None if unknown."""
    if not _KNOWN or not len(objects) or objects.ndim != 1:
        return None
    found = _KNOWN.get(objects.__array_interface__["data"][0])
    if found is None or len(found[0]) != len(objects) or found[0].strides != objects.strides:
        return None
    return found[1], found[2]


def _first_appearance(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 missing) into distinct ``values`` renumbered in order of first appearance, with the values they
    use in that order: what factorizing the texts themselves gives."""
    renumbered, used = pd.factorize(codes)  # integer codes: -1 is a value here, taken out below
    missing = np.flatnonzero(used < 0)
    if len(missing):
        shift = np.arange(len(used)) - (np.arange(len(used)) > missing[0])
        shift[missing[0]] = -1
        renumbered = shift[renumbered]
        used = np.delete(used, missing[0])
    return renumbered, values[used]


def _string_objects(values: pd.Series) -> np.ndarray | None:
    """The object array behind a Python-storage ``string`` column (None for any other column)."""
    dtype = values.dtype
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "python":
        return None
    objects = getattr(values.array, "_ndarray", None)
    return objects if isinstance(objects, np.ndarray) and objects.dtype == object else None


def duplicated_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``frame.duplicated(subset=columns, keep="first")`` as a bool array, and per record the position of the first
    record with the same values.  Missing values equal each other (None and NaN too, which pandas tells apart in an
    object column; a raw frame's ``string`` columns hold one missing value).

    Each column is factorized once (``distinct``) and the codes are combined column by column, refactorized after
    each step so the combined key never outgrows int64.  No columns: no record is a duplicate."""
    n = len(frame)
    if not columns or not n:
        return np.zeros(n, dtype=bool), np.arange(n)
    combined = np.zeros(n, dtype=np.int64)
    for name in columns:
        codes = distinct(frame[name])[0]
        combined = pd.factorize(combined * (int(codes.max()) + 2) + (codes + 1))[0].astype(np.int64, copy=False)
    first = np.unique(combined, return_index=True)[1]  # codes are 0..k-1 in order of first appearance
    first_of = first[combined]
    return first_of != np.arange(n), first_of


def distinct_text(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """``distinct`` of ``values.astype("string")``: codes, and each distinct text (a list of str)."""
    found = _distinct_strings(values)
    if found is not None:
        return found[0], found[1].tolist()
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        codes, uniques = distinct(values)
        text = np.asarray(uniques, dtype=object).tolist()
        if isinstance(values.dtype, pd.StringDtype) or set(map(type, text)) <= {str}:  # exactly str: the value is its text
            return codes, text
    # numbers (1 and 1.0 are one key to factorize, two texts): the text of every record first
    codes, uniques = distinct(values.astype("string"))
    return codes, np.asarray(uniques, dtype=object).tolist()


def take(results: list[Any] | np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per record the result of its distinct value (an object array; None where the code is -1)."""
    table = np.empty(len(results) + 1, dtype=object)
    table[:len(results)] = results
    table[-1] = None
    return table[codes]


def as_string(values: np.ndarray, index: pd.Index) -> pd.Series:
    """An object array of str/None as a ``string`` Series (None -> ``pd.NA``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return text_series(list(uniques), codes, index)


def text_series(results: list[Any], codes: np.ndarray, index: pd.Index, dtype: Any = STRING,
                name: Any = None) -> pd.Series:
    """A ``string`` Series (or ``dtype``, a text dtype) holding per record the result of its distinct value (None
    or -1 code -> missing)."""
    table = pd.array([*results, None], dtype=dtype)
    taken = table.take(np.where(codes < 0, len(results), codes))
    return pd.Series(taken, index=index, name=name, copy=False)


def map_text(values: pd.Series, fn: Callable[[str], Any]) -> np.ndarray:
    """``fn`` of the text of each distinct non-null value, per record (object array; null records None)."""
    codes, text = distinct_text(values)
    return take([fn(value) for value in text], codes)


_SPACES = re.compile(r"\s+")


def collapse_upper(value: str) -> str:
    r"""Trimmed, runs of white space as one space, upper case (as ``.str.strip().str.replace(r"\s+", " ",
    regex=True).str.upper()``)."""
    return _SPACES.sub(" ", value.strip()).upper()


def normalized(values: pd.Series, blank_missing: bool = True) -> pd.Series:
    """``collapse_upper`` of each value as a ``string`` Series (blank as missing unless ``blank_missing`` is False)."""
    codes, text = distinct_text(values)
    results: list[str | None] = [collapse_upper(value) for value in text]
    if blank_missing:
        results = [value or None for value in results]
    return text_series(results, codes, values.index, name=values.name)


def _trim(value: str) -> str | None:
    return value.strip() or None


def _trim_upper(value: str) -> str | None:
    return value.strip().upper() or None


def trimmed(values: pd.Series, upper: bool = False, blank_missing: bool = True) -> pd.Series:
    """``values.astype("string").str.strip()`` (and ``.str.upper()``) as a ``string`` Series, blank as missing
    unless ``blank_missing`` is False."""
    codes, text = distinct_text(values)
    if blank_missing:
        fn = _trim_upper if upper else _trim
        return text_series([fn(value) for value in text], codes, values.index, name=values.name)
    return text_series([value.strip().upper() if upper else value.strip() for value in text], codes, values.index,
                       name=values.name)


def trimmed_object(values: pd.Series, upper: bool = False) -> pd.Series:
    """``trimmed`` as an object Series (None for missing), the form record frames hold text in."""
    out = map_text(values, _trim_upper if upper else _trim)
    return pd.Series(out, index=values.index, dtype="object", name=values.name, copy=False)


def map_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn`` applied to the distinct non-null values, broadcast back to ``values``' rows (null stays null)."""
    codes, uniques = distinct(values)
    if len(uniques) == 0:
        return pd.Series([None] * len(values), index=values.index, dtype="object")
    result = fn(pd.Series(uniques, dtype=values.dtype if values.dtype != object else "object"))
    results = np.asarray(result.astype("object").where(result.notna(), None), dtype=object)
    return pd.Series(take(results, codes), index=values.index, dtype="object", copy=False)


def distinct_rows(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Given the ``distinct`` codes of several columns, codes of their distinct combinations (in order of first
    appearance) and the first record of each combination."""
    combined = np.zeros(len(parts[0]) if parts else 0, dtype=np.int64)
    for codes in parts:
        width = int(codes.max()) + 2 if len(codes) else 1
        combined = combined * width + (codes + 1)
    codes, _ = pd.factorize(combined)
    first = np.unique(codes, return_index=True)[1]  # codes are 0..k-1 in order of first appearance
    return codes, first


def map_unique_frame(frame: pd.DataFrame, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """``fn`` applied to the distinct rows of ``frame``, broadcast back (columns of the result).

    Null values (None, NaN, ``pd.NA``) count as one value and reach ``fn`` as None.
    """
    parts, columns = [], {}
    for name in frame.columns:
        codes, uniques = distinct(frame[name])
        parts.append(codes)
        columns[name] = take(np.asarray(uniques, dtype=object), codes)
    codes, first = distinct_rows(parts)
    distinct_frame = pd.DataFrame({name: pd.Series(column[first], dtype="object") for name, column in columns.items()})
    result = fn(distinct_frame)
    out = result.iloc[codes].reset_index(drop=True)
    out.index = frame.index
    return out
