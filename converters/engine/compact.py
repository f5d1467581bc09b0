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
from pathlib import Path

import numpy as np
import pandas as pd

from converters.readers.raw import ROW, TEXT as _TEXT, RawSource
from converters.sdtm.columns import remember_codes


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
        if self.dtype == _TEXT and self.missing is pd.NA:  # every value a str or pd.NA: checked, not converted
            return pd.Series(pd.arrays.StringArray(self.column()), index=index, copy=False)
        return pd.Series(pd.array(self.column(), dtype=self.dtype), index=index, copy=False)

    def take(self, positions: np.ndarray) -> TextColumn:
        """The records at ``positions``, their codes into the same ``values`` (shared, not copied)."""
        return TextColumn(self.codes[positions], self.values, self.missing, self.dtype)

    def used(self) -> TextColumn:
        """The column with only the values its records use (a slice travels without the others' values)."""
        present = self.codes >= 0
        kept = np.unique(self.codes[present])
        if len(kept) == len(self.values):
            return self
        recode = np.full(len(self.values), -1, dtype=np.int64)
        recode[kept] = np.arange(len(kept))
        codes = np.where(present, recode[np.where(present, self.codes, 0)], -1)
        return TextColumn(_small_codes(codes, len(kept)), self.values[kept], self.missing, self.dtype)


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
        """The frame as it was given (text columns as object arrays sharing one string per value).

        The text columns are made here and not copied again; each remembers its codes
        (``converters.sdtm.columns.remember_codes``), so the build finds their distinct values without hashing
        the texts again."""
        data = {}
        made = []
        for name in self.order:
            col = self.columns[name]
            if isinstance(col, TextColumn):
                data[name] = col.series(self.index)
                objects = getattr(data[name].array, "_ndarray", None) if col.dtype is not None else None
                if isinstance(objects, np.ndarray) and objects.dtype == object:
                    made.append((objects, col.codes, col.values))
            else:
                data[name] = col
        labels = self.labels if self.labels is not None else pd.Index(self.order)
        # not copied: the text columns are new, the others shared (copy-on-write: a write to either copies first)
        frame = pd.DataFrame(data, index=self.index, columns=labels, copy=False)
        remember_codes(frame, made)
        return frame

    def column(self, name: str) -> pd.Series:
        """One column as the frame gives it (its own dtype, the frame's index), made alone."""
        col = self.columns[name]
        if not isinstance(col, TextColumn):
            return col
        out = col.series(self.index)
        out.name = name
        return out

    def take(self, positions: np.ndarray) -> CompactFrame:
        """The records at ``positions`` (integer positions), index and columns kept, text still as codes: what
        ``frame().iloc[positions]`` gives, without making the text."""
        columns: dict[str, TextColumn | pd.Series] = {
            name: col.take(positions) if isinstance(col, TextColumn) else col.iloc[positions]
            for name, col in self.columns.items()}
        return CompactFrame(columns, self.index[positions], list(self.order), self.labels)

    def used(self) -> CompactFrame:
        """The same records with each text column holding only the values they use (``TextColumn.used``)."""
        columns = {name: col.used() if isinstance(col, TextColumn) else col for name, col in self.columns.items()}
        return CompactFrame(columns, self.index, list(self.order), self.labels)


def _small_codes(codes: np.ndarray, count: int) -> np.ndarray:
    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return codes.astype(kind)
    return codes.astype(np.int64)


def text_column(series: pd.Series) -> TextColumn | None:
    """The column as a :class:`TextColumn`, or None when it is not text with one kind of missing value."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "python":
        codes, uniques = pd.factorize(np.asarray(series.array, dtype=object))  # (faster than on the StringArray)
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


def factorized_column(series: pd.Series, codes: np.ndarray, values: np.ndarray) -> TextColumn | pd.Series:
    """What :func:`compact_frame` holds of ``series`` when its factorization is known: ``codes`` (-1 missing, in
    order of first appearance, as ``pandas.factorize`` gives them) into its distinct ``values``, taken as they are
    (not copied, not factorized again). That is a :class:`TextColumn` when the column is an object column of
    ``str`` values (type ``str`` itself) whose missing records all hold None, else what ``text_column`` makes of
    it (the rule then decides from the records)."""
    if series.dtype == object and len(codes) == len(series) and all(type(v) is str for v in values):
        objects = series.to_numpy(dtype=object, copy=False)
        absent = objects[codes < 0]
        if not len(absent) or (absent == None).all():  # noqa: E711  (elementwise identity test on an object array)
            return TextColumn(codes if codes.dtype == _small_codes(codes[:0], len(values)).dtype else
                              _small_codes(codes, len(values)), values, None)
    coded = text_column(series)
    return coded if coded is not None else series


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


# --------------------------------------------------------------------------------------
# Raw forms held compactly from their reading to the batches (docs/scale.md, "Raw forms held as codes").


@dataclass
class CompactSource:
    """A raw form (``readers.raw.RawSource``) with its text columns as codes; ``source()`` gives it back as read:
    the same values, missing values, dtypes, column order, ``__row__`` and index."""

    name: str
    path: Path
    data: CompactFrame
    encoding: str | None = None

    def column_names(self) -> list[str]:
        """The raw columns, in file order, without ``__row__``."""
        return [c for c in self.data.order if c != ROW]

    def __len__(self) -> int:
        return len(self.data)

    def rows(self) -> pd.Series:
        """The ``__row__`` column (each record's data-row number in its file)."""
        return self.data.column(ROW)

    def subframe(self, columns: list[str]) -> pd.DataFrame:
        """Only ``columns`` (those present, in the order given) as the form's frame gives them, with its index."""
        return pd.DataFrame({c: self.data.column(c) for c in columns if c in self.data.columns}, index=self.data.index)

    def take(self, positions: np.ndarray, used: bool = False) -> CompactSource:
        """The records at ``positions`` (``frame.iloc[positions]``), still as codes; ``used``: each text column
        keeps only the values those records use (a piece sent to another process carries no more)."""
        data = self.data.take(positions)
        return CompactSource(self.name, self.path, data.used() if used else data, self.encoding)

    def source(self) -> RawSource:
        """The form as read (object text columns made here)."""
        return RawSource(self.name, self.path, self.data.frame(), self.encoding)


#: a raw form as the build holds it from its reading to the batches: as read, or as codes
Form = RawSource | CompactSource


def compact_source(src: RawSource) -> CompactSource:
    """``src`` held compactly: its text columns as codes, its other columns (``__row__``) copied, so no part of
    the frame read stays alive through them."""
    data = compact_frame(src.frame)
    data.columns = {name: col if isinstance(col, TextColumn) else col.copy(deep=True)
                    for name, col in data.columns.items()}
    return CompactSource(src.name, src.path, data, src.encoding)


def raw_source(src: Form) -> RawSource:
    """The form as read, whichever way it is held."""
    return src.source() if isinstance(src, CompactSource) else src


def raw_rows(src: Form) -> pd.Series:
    """The ``__row__`` column of a form, whichever way it is held."""
    return src.rows() if isinstance(src, CompactSource) else src.frame[ROW]


def raw_columns(src: Form) -> list[str]:
    """A form's frame columns (``__row__`` included), whichever way it is held."""
    return list(src.data.order) if isinstance(src, CompactSource) else list(src.frame.columns)
