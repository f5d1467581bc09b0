"""Non-ASCII raw text: every such value reported at once, or written as ASCII where the spec says so.

XPT v5 holds ASCII only.  After a record block's variables are filled (``converters.sdtm.builder``), every text
value holding a non-ASCII character is logged with its raw file, row, column and value:

* by default with action ``non-ASCII value``; ``cdisc-convert sdtm`` then stops before writing and lists *all*
  of them (one run finds them all, instead of the writer stopping at the first);
* for a variable whose spec says ``transliterate: true``, the value is written as ASCII (accents dropped,
  ``ß`` -> ``ss``, ``æ`` -> ``ae``, typographic quotes and dashes plain, anything else ``?``) and each change is
  logged with action ``value transliterated`` and the text written.

Distinct values are converted once, whole-column otherwise.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from converters.sdtm.columns import distinct_text
from converters.sdtm.rejections import RejectionLog

if TYPE_CHECKING:
    from converters.spec.model import BlockSpec, DomainSpec

NON_ASCII = "non-ASCII value"
TRANSLITERATED = "value transliterated"

#: Letters and signs NFKD does not take apart, with the ASCII a reader expects.
SPECIAL = str.maketrans({
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i", "‘": "'", "’": "'", "‚": "'",
    "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-", "−": "-", "…": "...", "\u00a0": " ", "°": " deg",
    "±": "+/-", "×": "x", "÷": "/", "µ": "u", "μ": "u", "≤": "<=", "≥": ">=", "€": "EUR", "£": "GBP",
    "©": "(c)", "®": "(R)", "™": "(TM)", "•": "*",
})


def to_ascii(text: str) -> str:
    """``text`` as ASCII: special letters by table, accents dropped (NFKD), anything else ``?``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(SPECIAL))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return kept.encode("ascii", "replace").decode("ascii")


def non_ascii(values: pd.Series) -> pd.Series:
    """True where a text value holds a character outside ASCII."""
    codes, text = distinct_text(values)
    flags = np.array([not value.isascii() for value in text] + [False], dtype=bool)
    return pd.Series(flags[codes], index=values.index, copy=False)


def check_block_text(spec: DomainSpec, block: BlockSpec, out: pd.DataFrame, raw: pd.DataFrame, rows: pd.Series,
                     keep: pd.Series, log: RejectionLog, file: str, supp_prefix: str,
                     known_ascii: Mapping[str, pd.Series] | None = None) -> None:
    """Log (or transliterate, per the spec) the non-ASCII text values of one record block's kept records.

    ``known_ascii``: columns found all ASCII when they were filled; one still holding those very values (the same
    memory: any later write to it would have copied it) is not checked again."""
    variables = [(v, v.name) for v in block.variables.values()] + \
                [(v, supp_prefix + v.name) for v in block.supp.values()]
    for var, column in variables:
        if column not in out or out[column].dtype != object:
            continue
        known = (known_ascii or {}).get(column)
        if known is not None and len(known) == len(out) and \
                np.may_share_memory(out[column].to_numpy(), known.to_numpy()):
            continue
        mask = non_ascii(out[column]) & keep
        if not mask.any():
            continue
        source = var.columns[0] if var.columns else var.name
        collected = raw[source] if source in raw else out[column]
        if getattr(var, "transliterate", False):
            written = out.loc[mask, column].astype(str)
            distinct = {value: to_ascii(value) for value in written.unique()}
            ascii_text = written.map(distinct)
            log.add(spec.domain, file, rows[mask], source, collected[mask],
                    f"{var.name}: written as " + ascii_text.map(repr), TRANSLITERATED)
            out.loc[mask, column] = ascii_text
        else:
            log.add(spec.domain, file, rows[mask], source, collected[mask],
                    f"{var.name}: non-ASCII characters (XPT v5 holds ASCII only)", NON_ASCII)


def non_ascii_report(log: RejectionLog, shown: int = 50) -> str | None:
    """All logged non-ASCII values as one message (None when there are none)."""
    frame = log.frame()
    found = frame[frame["action"].eq(NON_ASCII)]
    if found.empty:
        return None
    lines = [f"{r.source}, row {r.row}, column {r.column}: {r.value!r} ({str(r.reason).split(':')[0]})"
             for r in found.head(shown).itertuples()]
    if len(found) > shown:
        lines.append(f"... and {len(found) - shown} more")
    by_variable = found["reason"].str.split(":").str[0].value_counts().sort_index()
    counts = ", ".join(f"{name} {count}" for name, count in by_variable.items())
    return (f"{len(found)} raw values hold non-ASCII characters, which XPT v5 cannot hold ({counts}):\n  "
            + "\n  ".join(lines))
