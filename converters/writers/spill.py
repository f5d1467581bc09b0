"""Finished datasets held on disk between the build and the writers, so a build does not hold every domain.

A finished domain is spilled as what the writers read of it: each numeric column as its float64 array, each
text column as its text facts (:class:`~converters.writers.text_facts.TextFacts`: one code per record into its
distinct values).  :meth:`SpilledFrame.load` gives back a frame with the same columns and numbers and the same
facts, text columns held as :class:`pandas.Categorical` over the facts' distinct values (no object array of
every record), which is all :func:`~converters.writers.xpt.write_xpt` and
:func:`~converters.writers.dataset_json.write_dataset_json` read when given the facts: the files are the same
bytes as when they are written from the frame the build made.

The files go into a private folder of the run (:func:`converters.writers.output_folder.spill_folder`), written
and read by this process only, which removes the folder when the run ends or fails.  They are Python pickles
(numpy arrays and the distinct text values), never read from anywhere else.
"""
from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import DataError, Location
from converters.writers.text_facts import TextFacts, merge_facts


@dataclass(frozen=True)
class SpilledFrame:
    """A frame written to ``path``: its column names, record count and which columns are text facts.

    A frame spilled in pieces (a domain finished per batch of subjects, :func:`join_spilled`) has one file per
    piece, ``pieces`` (file, records) in record order; each piece may hold more columns than ``columns``."""

    path: Path
    columns: tuple[str, ...]
    records: int
    pieces: tuple[tuple[Path, int], ...] = ()

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file of the frame."""
        return tuple(path for path, _n in self.pieces) or (self.path,)

    def remove(self) -> None:
        """Delete the frame's files."""
        for path in self.paths:
            path.unlink(missing_ok=True)

    def load(self) -> tuple[pd.DataFrame, dict[str, TextFacts]]:
        """The frame (text as Categorical over its distinct values) and the text facts of its text columns."""
        if not self.pieces:
            return _frame(_read(self.path), self.columns, self.records)
        parts = [self.piece(path, records) for path, records in self.pieces]
        facts = {name: merge_facts([f[name] for _p, f in parts]) for name in self.columns
                 if all(name in f for _p, f in parts)}
        data = {name: _text_column(facts[name]) if name in facts else
                np.concatenate([f[name].record_values() if name in f else np.asarray(p[name].to_numpy())
                                for p, f in parts]) for name in self.columns}
        return pd.DataFrame(data, index=pd.RangeIndex(self.records), columns=list(self.columns)), facts

    def load_pieces(self) -> Iterator[tuple[pd.DataFrame, dict[str, TextFacts]]]:
        """The frame piece by piece (each as :meth:`load` gives a whole frame, with its own facts)."""
        for path, records in self.pieces or ((self.path, self.records),):
            yield self.piece(path, records)

    def piece(self, path: Path, records: int) -> tuple[pd.DataFrame, dict[str, TextFacts]]:
        return _frame(_read(path), self.columns, records)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # our own file, in the run's private folder (see the module docstring)
    except OSError as exc:
        raise _spill_error(exc, "read", path) from None


def _text_column(facts: TextFacts) -> pd.Categorical:
    return pd.Categorical.from_codes(facts.codes, categories=pd.Index(facts.values, dtype=object), validate=False)


def _frame(stored: dict, columns: tuple[str, ...], records: int) -> tuple[pd.DataFrame, dict[str, TextFacts]]:
    data: dict[str, object] = {}
    facts: dict[str, TextFacts] = {}
    for name in columns:
        kind, payload = stored[name]
        if kind == "text":
            codes, values, nbytes, nchars = payload
            facts[name] = TextFacts(codes=codes, values=values, nbytes=nbytes, nchars=nchars)
            data[name] = _text_column(facts[name])
        else:
            data[name] = payload
    frame = pd.DataFrame(data, index=pd.RangeIndex(records), columns=list(columns))
    return frame, facts


def join_spilled(pieces: list[SpilledFrame], columns: list[str]) -> SpilledFrame:
    """One frame of the pieces, one after the other, with the columns ``columns`` (each piece holds them)."""
    return SpilledFrame(pieces[0].path, tuple(columns), sum(p.records for p in pieces),
                        tuple((p.path, p.records) for p in pieces))


def spill_frame(frame: pd.DataFrame, facts: Mapping[str, TextFacts], path: Path) -> SpilledFrame:
    """Write ``frame`` to ``path``: text columns with facts as their facts, every other column as it is."""
    stored: dict[str, tuple[str, object]] = {}
    for name in frame.columns:
        known = facts.get(str(name))
        if known is not None and known.records == len(frame):
            stored[str(name)] = ("text", (known.codes, known.values, known.nbytes, known.nchars))
        else:
            stored[str(name)] = ("column", np.asarray(frame[name].to_numpy()))
    try:
        with open(path, "wb") as handle:
            pickle.dump(stored, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a full disk says so with no file name: name the file here
        raise _spill_error(exc, "write", path) from None
    return SpilledFrame(path, tuple(str(c) for c in frame.columns), len(frame))


def _spill_error(exc: OSError, doing: str, path: Path) -> DataError:
    return DataError(f"cannot {doing} {path}, a finished dataset held on disk until it is written: "
                     f"{exc.strerror or type(exc).__name__}", Location(str(path)),
                     hint="the build keeps finished datasets in a temporary folder beside the output folder: "
                          "free disk space there or make it writable")
