"""A batch's records held compactly until their domain is finished: text columns as codes into distinct values.

Between the batches and the study-wide steps every domain's records wait, the whole study of them.  As object
columns each record costs an 8-byte pointer per text column, and dates or identifiers made per record a string
object each; yet a column repeats few values.  :func:`compact_frame` keeps each text column (every value a
``str`` or missing, missing all ``None`` or all NaN; or a pandas string column of python storage) as the
smallest integer codes into its distinct values, and :meth:`CompactFrame.frame` gives the frame back with the
same values, the same missing values, the same column labels, order and dtypes, every record of a value sharing
one string.  :func:`concat_compact` puts the batches' pieces together as ``pandas.concat(...,
ignore_index=True)`` does, without making the text columns first.  Any column that does not fit the rule is
kept as it is, so the frame given back is always the frame given.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class TextColumn:
    """A text column as codes (-1 missing) into ``values``; ``missing`` is what a missing record holds."""

    codes: np.ndarray
    values: np.ndarray
    missing: object
    #: the pandas string dtype the column had (python storage), None for an object column
    dtype: pd.StringDtype | None = None

    def column(self) -> np.ndarray:
        table = np.empty(len(self.values) + 1, dtype=object)
        table[:-1] = self.values
        table[-1] = self.missing
        return table[self.codes]

    def series(self, index: pd.Index | None = None) -> pd.Series:
        """The column as a Series of its own dtype."""
        if self.dtype is None:
            return pd.Series(self.column(), index=index, dtype=object, copy=False)
        return pd.Series(pd.array(self.column(), dtype=self.dtype), index=index, copy=False)


@dataclass
class CompactFrame:
    """A frame with its text columns as :class:`TextColumn` (others as they are) and its index."""

    columns: dict[str, TextColumn | pd.Series]
    index: pd.Index
    order: list = field(default_factory=list)
    #: the frame's column labels as they were (their Index and its dtype)
    labels: pd.Index | None = None

    def __len__(self) -> int:
        return len(self.index)

    def frame(self) -> pd.DataFrame:
        """The frame as it was given (text columns as object arrays sharing one string per value)."""
        data = {}
        for name in self.order:
            col = self.columns[name]
            if isinstance(col, TextColumn):
                data[name] = col.series(self.index)
            else:
                data[name] = col
        labels = self.labels if self.labels is not None else pd.Index(self.order)
        return pd.DataFrame(data, index=self.index, columns=labels)


def _small_codes(codes: np.ndarray, count: int) -> np.ndarray:
    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return codes.astype(kind)
    return codes.astype(np.int64)


def text_column(series: pd.Series) -> TextColumn | None:
    """The column as a :class:`TextColumn`, or None when it is not text with one kind of missing value."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "python":
        codes, uniques = pd.factorize(series.array)
        values = np.asarray(uniques, dtype=object)
        return TextColumn(_small_codes(codes, len(values)), values, dtype.na_value, dtype)
    if not pd.api.types.is_object_dtype(dtype):
        return None
    objects = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(objects)
    values = np.asarray(uniques, dtype=object)
    if not all(type(v) is str for v in values):  # 1, 1.0 and True would be one value: only text is coded
        return None
    absent = objects[codes < 0]
    missing: object = None
    if len(absent):
        nones = int((absent == None).sum())  # noqa: E711  (elementwise identity test on an object array)
        if nones != len(absent):
            if nones or set(map(type, absent)) != {float}:
                return None
            missing = np.nan
    return TextColumn(_small_codes(codes, len(values)), values, missing)


def compact_frame(frame: pd.DataFrame) -> CompactFrame:
    """``frame`` with its text columns coded (see the module docstring)."""
    columns: dict[str, TextColumn | pd.Series] = {}
    if frame.columns.has_duplicates:
        raise ValueError("a frame with duplicate column names cannot be compacted")
    for name in frame.columns:
        series = frame[name]
        coded = text_column(series)
        columns[name] = coded if coded is not None else series
    return CompactFrame(columns, frame.index, list(frame.columns), frame.columns)


def concat_compact(pieces: list[CompactFrame]) -> CompactFrame | pd.DataFrame:
    """The pieces one after the other with a fresh RangeIndex, as ``pandas.concat(frames, ignore_index=True)``
    gives them (one piece: that piece, index kept); a DataFrame made that way when the pieces do not have the
    same columns in the same order."""
    if len(pieces) == 1:
        return pieces[0]
    order = pieces[0].order
    if any(p.order != order for p in pieces[1:]):
        return pd.concat([p.frame() for p in pieces], ignore_index=True)
    index = pd.RangeIndex(sum(len(p) for p in pieces))
    columns: dict[str, TextColumn | pd.Series] = {}
    for name in order:
        parts = [p.columns[name] for p in pieces]
        texts = [c for c in parts if isinstance(c, TextColumn)]
        kinds = {type(c.missing) for c in texts if (c.codes < 0).any()}
        dtypes = {c.dtype for c in texts}
        if len(texts) == len(parts) and len(dtypes) == 1 and texts[0].dtype is not None:
            columns[name] = _concat_text(texts, texts[0].missing, texts[0].dtype)
        elif len(texts) == len(parts) and dtypes == {None} and len(kinds) <= 1:
            columns[name] = _concat_text(texts, np.nan if kinds == {float} else None, None)
        else:
            series = [c if not isinstance(c, TextColumn) else c.series() for c in parts]
            columns[name] = pd.concat(series, ignore_index=True)
    return CompactFrame(columns, index, order, pieces[0].labels)


def _concat_text(parts: list[TextColumn], missing: object, dtype: pd.StringDtype | None) -> TextColumn:
    """Text columns one after the other, recoded into their values taken together (in order of first use)."""
    values = np.concatenate([p.values for p in parts])
    recode, distinct = pd.factorize(values)
    table = np.append(recode, -1)  # the last entry: missing stays missing
    out = []
    offset = 0
    for p in parts:
        at = p.codes.astype(np.int64) + offset
        at[p.codes < 0] = len(values)
        out.append(table[at])
        offset += len(p.values)
    codes = np.concatenate(out)
    return TextColumn(_small_codes(codes, len(distinct)), np.asarray(distinct, dtype=object), missing, dtype)
