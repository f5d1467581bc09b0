"""Collected values to CDISC CT submission values (the ``assign_ct`` algorithm).

Matching is case- and space-insensitive and knows the codelist's synonyms and
NCI preferred terms.  A study-level value map (sponsor codes such as ``1`` ->
``M``) is applied first.  Values of an extensible codelist that match no term
may be accepted (trimmed, as collected) as sponsor extensions when the spec allows it; they are
returned so the metadata can record them.  Everything else is unmapped and
reported by the caller, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from converters.sdtm.columns import _SPACES, collapse_upper, distinct
from converters.spec.model import NoValue
from converters.standards import CodelistInfo, normalise


@dataclass
class CTResult:
    """Mapped submission values, which non-blank rows did not map, and accepted sponsor extensions."""

    values: pd.Series
    unmapped: pd.Series  # bool mask
    extensions: set[str] = field(default_factory=set)
    #: why a value is null on purpose (value-map entries ``{no_value: reason}``), None elsewhere
    reasons: pd.Series | None = None
    #: the values trimmed (object, None for missing) and whether all of it is ASCII, when mapped per distinct value
    text: tuple[pd.Series, bool] | None = None


def _normalised(values: pd.Series) -> pd.Series:
    from converters.sdtm.columns import normalized

    return normalized(values).rename(None)


def assign_ct(values: pd.Series, codelist: CodelistInfo | None, value_map: dict[str, str] | None = None, *,
              extend: bool = False) -> CTResult:
    """Map collected ``values`` to submission values of ``codelist``.

    ``value_map`` (collected value -> submission value or synonym) is applied
    first, also case- and space-insensitively.  With ``extend`` and an
    extensible codelist, values that match nothing are kept (trimmed) and reported as extensions.  ``codelist`` may be None when only a
    value map applies (sponsor-defined lists).

    Each record's result depends on its value alone, so text is mapped once per distinct value (plus one
    missing value) and taken back to the records.
    """
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return _assign_ct(values, codelist, value_map, extend=extend)
    codes, uniques = distinct(values)
    if values.dtype == object and not all(type(u) is str for u in uniques):  # noqa: E721  (1 and 1.0: one key)
        return _assign_ct(values, codelist, value_map, extend=extend)
    mapped, unmapped, extensions, reasons = map_distinct([*uniques, None], codelist, value_map, extend=extend)
    rows = np.where(codes < 0, len(uniques), codes)

    def back(column: np.ndarray) -> pd.Series:
        return pd.Series(column[rows], index=values.index, dtype=column.dtype, copy=False)

    trimmed = np.empty(len(mapped), dtype=object)
    trimmed[:] = [(value.strip() or None) if value is not None else None for value in mapped]
    ascii_only = all(value.isascii() for value in trimmed if value is not None)
    return CTResult(back(mapped), back(unmapped), extensions, back(reasons) if reasons is not None else None,
                    (back(trimmed), ascii_only))


def map_distinct(texts: list[str | None], codelist: CodelistInfo | None, value_map: dict[str, str] | None = None, *,
                 extend: bool = False) -> tuple[np.ndarray, np.ndarray, set[str], np.ndarray | None]:
    """``_assign_ct`` on a short list of distinct texts (None for missing), in plain Python: the submission values
    (object array, None for null), which did not map, the sponsor extensions kept and the no-value reasons (None
    when the value map names none).  The pandas steps of ``_assign_ct`` cost more than the mapping itself on a few
    hundred distinct values, once per record block."""
    entries = value_map or {}
    nulls = {normalise(k): str(v) for k, v in entries.items() if isinstance(v, NoValue)}
    table: dict[str, str] = {}
    mapped = {k: v for k, v in entries.items() if not isinstance(v, NoValue)}
    if mapped:
        table = {normalise(k): str(v) for k, v in mapped.items()}
        table.update({normalise(v): str(v) for v in mapped.values() if normalise(v) not in table})
    lookup = codelist.lookup if codelist is not None else {}
    widen = extend and codelist is not None and codelist.extensible
    out: list[str | None] = []
    missed: list[bool] = []
    why: list[str | None] = []
    extensions: set[str] = set()
    for text in texts:
        key = (collapse_upper(text) or None) if text is not None else None
        reason = nulls.get(key) if key is not None else None
        if reason is not None:  # {no_value: REASON}: null on purpose, with its reason
            text = key = None
        why.append(reason)
        direct = table.get(key) if key is not None else None
        if codelist is None:
            if not mapped:
                out.append((text.strip() or None) if text is not None else None)
                missed.append(False)
            else:
                out.append(direct)
                missed.append(key is not None and direct is None)
            continue
        if direct is not None:
            key = collapse_upper(direct) or None
        value = lookup.get(key) if key is not None else None
        if key is not None and value is None and widen:  # a sponsor term: the value map's term, else as collected
            kept = _SPACES.sub(" ", (direct if direct is not None else str(text)).strip())
            extensions.add(kept)
            value = kept
            out.append(value)
            missed.append(False)
            continue
        out.append(value)
        missed.append(key is not None and value is None)
    values = np.empty(len(out), dtype=object)
    values[:] = out
    reasons = None
    if nulls:
        reasons = np.empty(len(why), dtype=object)
        reasons[:] = why
    return values, np.array(missed, dtype=bool), extensions, reasons


def _assign_ct(values: pd.Series, codelist: CodelistInfo | None, value_map: dict[str, str] | None = None, *,
               extend: bool = False) -> CTResult:
    """``assign_ct`` on every record."""
    keys = _normalised(values)
    direct = pd.Series(pd.NA, index=values.index, dtype="object")
    reasons = None
    nulls = {normalise(k): str(v) for k, v in (value_map or {}).items() if isinstance(v, NoValue)}
    if nulls:
        reasons = _as_object(keys.map(nulls, na_action="ignore"))
        kept = values.astype("object").where(reasons.isna(), None)
        value_map = {k: v for k, v in (value_map or {}).items() if not isinstance(v, NoValue)}
        result = _assign_ct(kept, codelist, value_map, extend=extend)
        result.reasons = reasons
        return result
    if value_map:
        table = {normalise(k): str(v) for k, v in value_map.items()}
        table.update({normalise(v): str(v) for v in value_map.values() if normalise(v) not in table})
        direct = keys.map(table, na_action="ignore")
    if codelist is None:
        if not value_map:
            # pandas-stubs: replace() takes pd.NA
            out = values.astype("string").str.strip().replace("", pd.NA)  # type: ignore[call-overload]
            return CTResult(_as_object(out), pd.Series(False, index=values.index))
        unmapped = (keys.notna() & direct.isna()).fillna(False).astype(bool)
        return CTResult(_as_object(direct), unmapped)
    keys = _normalised(direct).where(direct.notna(), keys)
    out = keys.map(codelist.lookup, na_action="ignore")
    unmapped = (keys.notna() & out.isna()).fillna(False).astype(bool)
    extensions: set[str] = set()
    if extend and codelist.extensible and unmapped.any():
        # a sponsor term named by the value map is the term kept, not the raw value it maps
        kept = direct.astype("string").where(direct.notna(), values.astype("string"))
        kept = kept.str.strip().str.replace(r"\s+", " ", regex=True)
        out = out.where(~unmapped, kept)
        extensions = set(kept[unmapped].dropna().unique())
        unmapped = pd.Series(False, index=values.index)
    return CTResult(_as_object(out), unmapped, extensions)


def _as_object(values: pd.Series) -> pd.Series:
    out = values.astype("object")
    return out.where(values.notna(), None)
