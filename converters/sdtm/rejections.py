"""The rejection log: every row-level problem, with what was done about it.

Actions: ``record dropped`` (the record is not written) and ``value set to
null`` (the record is written without the bad value); ``lookup row ignored``
for duplicate rows of a merged source; ``excluded by spec filter`` for raw
rows a spec's ``filter`` leaves out and ``excluded by design`` for raw rows a
built-in builder leaves out by rule (IE rows for criteria that were met).
Nothing is dropped, blanked or left out without an entry here, so every raw
row ends in an output record or in this log.  Problems come first in the
written log, rows excluded on purpose after them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from converters.engine.compact import CompactFrame

DROPPED = "record dropped"
NULLED = "value set to null"
IGNORED = "lookup row ignored"
EXCLUDED = "excluded by spec filter"
EXCLUDED_BY_DESIGN = "excluded by design"
NOT_MAPPED = "not mapped"
#: a cross-domain disagreement for the site (records written as collected), see converters.sdtm.data_questions
DATA_QUESTION = "data question"
#: order of actions in the written log: problems first, rows no spec reads next, rows excluded on purpose last.
ACTION_ORDER = {DROPPED: 0, NULLED: 1, IGNORED: 2, NOT_MAPPED: 3, EXCLUDED: 4, EXCLUDED_BY_DESIGN: 5, DATA_QUESTION: 6}
COLUMNS = ["domain", "source", "row", "column", "value", "reason", "action"]


@dataclass
class RejectionLog:
    """Accumulates rejection entries as frames (one per call), for whole-column logging; the entries of a batch of
    subjects are held as one part with its text as codes (``compact``) until the log is written."""

    parts: list[pd.DataFrame | CompactFrame] = field(default_factory=list)
    #: entries per (domain, action), with the parts (by identity) they were counted over
    _tally: tuple[tuple[int, ...], dict[tuple[str, str], int]] | None = field(default=None, repr=False, compare=False)

    def add(self, domain: str, source: str, rows: pd.Series, column: str, values: pd.Series | str | None,
            reason: pd.Series | str, action: str) -> None:
        """Log one entry per element of ``rows`` (the raw data-row numbers).

        ``values`` and ``reason`` may be Series over a larger frame: they are aligned on ``rows``' index.
        """
        if len(rows) == 0:
            return
        index = rows.index
        part = pd.DataFrame({
            "domain": domain, "source": source,
            "row": pd.to_numeric(rows, errors="coerce").astype("Int64").array,
            "column": column,
            "value": _text(values, index),
            "reason": _text(reason, index),
            "action": action,
        }, index=range(len(rows)))
        self.parts.append(part)

    def last(self) -> pd.DataFrame:
        """The part the last ``add`` made, to complete it (each record's own source file, column)."""
        part = self.parts[-1]
        assert isinstance(part, pd.DataFrame), "a part held as codes is complete"
        return part

    def compact(self, start: int = 0) -> None:
        """The parts from ``start`` on held as one part, its text columns as codes: the same entries in the same
        order, in a small share of the memory (a batch's entries, mostly the same few domains, sources, columns,
        reasons and actions, wait for the log to be written)."""
        from converters.engine.compact import compact_frame

        if len(self.parts) - start < 1:
            return
        whole = pd.concat([_frame(p) for p in self.parts[start:]], ignore_index=True)
        self.parts[start:] = [compact_frame(whole)]

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        out = pd.concat([_frame(p) for p in self.parts], ignore_index=True)
        out["__rank__"] = out["action"].map(ACTION_ORDER).fillna(len(ACTION_ORDER)).astype(int)
        out = out.sort_values(["__rank__", "domain", "source", "row", "column", "reason"], kind="mergesort",
                              na_position="last")
        return out.drop(columns="__rank__").reset_index(drop=True)

    def count(self, domain: str, action: str = DROPPED) -> int:
        """Entries of ``domain`` with ``action``."""
        return self._counts().get((domain, action), 0)

    def _counts(self) -> dict[tuple[str, str], int]:
        """Entries per (domain, action), counted in one pass over all parts and kept until a part is added or
        removed (``count`` is asked once per domain and action: one pass each would be quadratic in batches)."""
        ids = tuple(id(p) for p in self.parts)
        if self._tally is not None and self._tally[0] == ids:
            return self._tally[1]
        counts: dict[tuple[str, str], int] = {}
        if self.parts:
            keys = pd.DataFrame({name: np.concatenate([_column(p, name) for p in self.parts])
                                 for name in ("domain", "action")})
            tally = keys.value_counts(sort=False, dropna=False)
            for (domain, action), n in zip(tally.index.tolist(), tally.tolist()):
                counts[(domain, action)] = counts.get((domain, action), 0) + int(n)
        self._tally = (ids, counts)
        return counts

    def dropped_count(self, domain: str) -> int:
        return self.count(domain, DROPPED)

    def problem_count(self) -> int:
        """Entries that are problems (record dropped, value set to null, lookup row ignored)."""
        return sum(n for (_d, a), n in self._counts().items() if a in (DROPPED, NULLED, IGNORED))

    def unmapped_count(self) -> int:
        """Entries for raw rows of forms that nothing reads."""
        return sum(n for (_d, a), n in self._counts().items() if a == NOT_MAPPED)

    def excluded_count(self) -> int:
        """Entries for raw rows left out on purpose (spec filter, builder rule)."""
        return sum(n for (_d, a), n in self._counts().items() if a in (EXCLUDED, EXCLUDED_BY_DESIGN))

    def write_csv(self, path: str | Path) -> None:
        """Write the log as UTF-8 CSV with a header, sorted for byte-identical output."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            self.frame()[COLUMNS].to_csv(handle, index=False, na_rep="", lineterminator="\n")


def _frame(part: pd.DataFrame | CompactFrame) -> pd.DataFrame:
    """A part as a frame (one held as codes made so)."""
    return part if isinstance(part, pd.DataFrame) else part.frame()


def _column(part: pd.DataFrame | CompactFrame, name: str) -> np.ndarray:
    """One column of a part as objects (of one held as codes, that column alone)."""
    column = part[name] if isinstance(part, pd.DataFrame) else part.column(name)
    return column.to_numpy(dtype=object)


def _text(values, index) -> list | np.ndarray:
    if values is None:
        return [""] * len(index)
    if isinstance(values, pd.Series):
        if len(values) != len(index) or not values.index.equals(index):
            values = values.reindex(index)
        values = values.astype(object)
        return values.where(values.notna(), "").astype(str).to_numpy(dtype=object)
    return [str(values)] * len(index)
