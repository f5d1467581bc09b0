"""The rejection log: every row-level problem, with what was done about it.

Actions: ``record dropped`` (the record is not written) and ``value set to
null`` (the record is written without the bad value); ``lookup row ignored``
for duplicate rows of a merged source.  Nothing is dropped or blanked
without an entry here.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DROPPED = "record dropped"
NULLED = "value set to null"
IGNORED = "lookup row ignored"
COLUMNS = ["domain", "source", "row", "column", "value", "reason", "action"]


@dataclass
class RejectionLog:
    """Accumulates rejection entries as frames (one per call), for whole-column logging."""

    parts: list[pd.DataFrame] = field(default_factory=list)

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
            "row": pd.to_numeric(rows, errors="coerce").astype("Int64").to_numpy(),
            "column": column,
            "value": _text(values, index),
            "reason": _text(reason, index),
            "action": action,
        }, index=range(len(rows)))
        self.parts.append(part)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["domain", "source", "row", "column", "reason"], kind="mergesort",
                               na_position="last").reset_index(drop=True)

    def dropped_count(self, domain: str) -> int:
        f = self.frame()
        return int(((f["domain"] == domain) & (f["action"] == DROPPED)).sum())

    def write_csv(self, path: str | Path) -> None:
        """Write the log as UTF-8 CSV with a header, sorted for byte-identical output."""
        f = self.frame()
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for rec in f.itertuples(index=False):
                writer.writerow(["" if pd.isna(v) else v for v in rec])


def _text(values, index) -> list:
    if values is None:
        return [""] * len(index)
    if isinstance(values, pd.Series):
        if len(values) != len(index) or not values.index.equals(index):
            values = values.reindex(index)
        return ["" if pd.isna(v) else str(v) for v in values.to_numpy()]
    return [str(values)] * len(index)
