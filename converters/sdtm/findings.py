"""Derivations of findings and exposure values: unit conversion from a study table, normal-range indicator,
CTCAE grade, last observation before exposure, and products of collected numbers (dose x fraction infused).

Registered in the ``derive`` registry of ``converters.sdtm.derivations`` like the others; the spec names them:

```yaml
LBSTRESN: {derive: unit_conversion, args: {column: LBORRES, columns: [LBTESTCD, LBORRESU], table: lab_units_si}}
LBNRIND:  {derive: reference_range_indicator, args: {variable: LBSTRESN, low: LBSTNRLO, high: LBSTNRHI}}
LBTOXGR:  {derive: ctcae_grade, args: {variable: LBSTRESN, low: LBSTNRLO, test: LBTESTCD, unit: LBSTRESU}}
LBLOBXFL: {derive: last_before_exposure, args: {date: LBDTC, by: [LBTESTCD], result: LBORRES}}
EXDOSE:   {derive: product, args: {columns: [DOSE, PCTINF], factor: 0.01}}
```
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from converters.errors import DataError, Location, SpecError
from converters.sdtm.columns import distinct_rows, distinct_text, take
from converters.sdtm.derivations import DomainContext, RowContext, _obj, _text, derivation
from converters.sdtm.toxicity import grade_decrease


def _numbers(values: pd.Series) -> pd.Series:
    """The trimmed text of each record as a number (NaN where it is none), parsed once per distinct text."""
    codes, text = distinct_text(values)
    numbers = pd.to_numeric(pd.Series([t.strip() or None for t in text], dtype="string"), errors="coerce")
    table = np.append(numbers.astype("float64").to_numpy(), np.nan)
    return pd.Series(table[codes], index=values.index, name=values.name)


def number_text(values: pd.Series) -> pd.Series:
    """Numbers as SDTM text: shortest form that reads back the same (``12``, ``0.5``, ``88.42``); blank for NaN."""
    distinct = pd.unique(values.dropna())
    table = {v: format(float(v), ".12g") for v in distinct}
    return _obj(values.map(table))


@derivation("product", "row", "The product of the listed numeric fields, times 'factor' when given (e.g. the dose "
            "actually received: planned dose x percentage infused x 0.01); blank when any field is blank.",
            required=("columns",), optional=("factor",))
def derive_product(ctx: RowContext, columns: list[str], factor: float = 1) -> pd.Series:
    out = pd.Series(float(factor), index=ctx.raw.index, dtype="float64")
    for column in columns:
        out = out * _numbers(ctx.resolve(column))
    return out.round(10)


def _conversion_table(ctx: RowContext, table: str) -> dict[str, dict]:
    tables = getattr(ctx.study, "value_tables", {}) or {}
    if table not in tables:
        raise SpecError(f"derive unit_conversion: study.yaml value_maps has no table {table!r}",
                        Location(str(ctx.study.path)),
                        f"add '{table}: {{\"<test> <unit>\": {{factor: ..., unit: ...}}}}' under value_maps")
    return tables[table]


@derivation("unit_conversion", "row", "The collected value converted to the standard unit by the study's "
            "conversion table (study.yaml value_maps '<table>': key = the 'columns' values joined by a space, e.g. "
            "'HGB g/dL' -> factor 10, unit g/L, decimals 1): part 'value' (default) the standard numeric result "
            "rounded to the table's decimals, 'text' the same as text (a non-numeric result such as '<0.1' is kept "
            "as collected), 'unit' the standard unit.", required=("column", "columns", "table"), optional=("part",))
def derive_unit_conversion(ctx: RowContext, column: str, columns: list[str], table: str,
                           part: str = "value") -> pd.Series:
    rows = _conversion_table(ctx, table)
    parts = [distinct_text(ctx.resolve(col)) for col in columns]
    if parts:
        codes, first = distinct_rows([part_codes for part_codes, _ in parts])
    else:
        codes, first = np.zeros(len(ctx.raw), dtype=np.int64), np.zeros(min(len(ctx.raw), 1), dtype=np.int64)
    texts = [[t.strip() for t in text] + [""] for _, text in parts]  # blank or missing -> ""
    distinct_keys = [" ".join(text[part_codes[row]] for (part_codes, _), text in zip(parts, texts))
                     for row in first]  # each distinct key formed and looked up once
    known = np.array([key in rows for key in distinct_keys] + [False])
    blank = np.array([key.strip() == "" for key in distinct_keys] + [True])
    collected = _text(ctx.resolve(column))
    wanted = collected.notna().to_numpy() & ~blank[codes]
    missing = sorted({distinct_keys[code] for code in np.unique(codes[wanted & ~known[codes]])})
    if missing:
        raise DataError(f"unit_conversion: no row of table {table!r} for {', '.join(missing[:8])}",
                        Location(str(ctx.study.path)),
                        f"add these keys to value_maps {table} in study.yaml (factor, unit, decimals)")
    factors = {k: float(v.get("factor", 1)) for k, v in rows.items()}
    factor = pd.Series(np.array([factors.get(key, np.nan) for key in distinct_keys] + [np.nan])[codes],
                       index=ctx.raw.index, dtype="float64")
    if part == "unit":
        units = {k: str(v["unit"]) for k, v in rows.items()}
        return pd.Series(take([units.get(key) for key in distinct_keys], codes), index=ctx.raw.index, dtype="object")
    places = {k: int(v.get("decimals", 2)) for k, v in rows.items()}
    decimals = pd.Series(np.array([places.get(key, np.nan) for key in distinct_keys] + [np.nan],
                                  dtype="float64")[codes], index=ctx.raw.index)
    value = _numbers(collected) * factor
    rounded = pd.Series(np.nan, index=value.index, dtype="float64")
    for d in pd.unique(decimals.dropna()):
        sel = (decimals == d).fillna(False).astype(bool)
        rounded[sel] = value[sel].round(int(d))
    if part == "value":
        return rounded
    if part == "text":
        text = number_text(rounded)
        return _obj(text.where(rounded.notna(), collected.astype("object")).where(collected.notna()))
    raise SpecError(f"derive unit_conversion: part {part!r} is not value, text or unit", Location(str(ctx.study.path)))


@derivation("reference_range_indicator", "row", "--NRIND from the standard result and its normal range: LOW below "
            "the lower limit, HIGH above the upper limit, NORMAL within; blank without a numeric result or range.",
            required=("variable", "low", "high"))
def derive_reference_range_indicator(ctx: RowContext, variable: str, low: str, high: str) -> pd.Series:
    value, lo, hi = (_numbers(ctx.resolve(v)) for v in (variable, low, high))
    out = np.select([value < lo, value > hi, value.notna() & (lo.notna() | hi.notna())], ["LOW", "HIGH", "NORMAL"],
                    "")
    return _obj(pd.Series(out, index=value.index).replace("", None))


@derivation("ctcae_grade", "row", "CTCAE v5.0 grade of a decreased blood count (neutrophils, platelets, white "
            "cells, lymphocytes, haemoglobin) from the standard result and the lower limit of normal: 0 at or above "
            "LLN, 1 below LLN, 2-4 below the CTCAE bounds (converters/sdtm/toxicity.py); blank for other tests.",
            required=("variable", "low", "test"), optional=("unit",))
def derive_ctcae_grade(ctx: RowContext, variable: str, low: str, test: str, unit: str | None = None) -> pd.Series:
    return grade_decrease(ctx.resolve(test), ctx.resolve(variable), ctx.resolve(low),
                          ctx.resolve(unit) if unit else None)


_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _ranks(left: list[str], right: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The place of each text of ``left`` and ``right`` in their sorted union (so records compare as integers);
    -1 (last) for missing."""
    order = {text: i for i, text in enumerate(sorted(set(left) | set(right)))}
    return np.array([order[t] for t in left] + [-1]), np.array([order[t] for t in right] + [-1])


def _before(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Whether each ISO 8601 ``dtc`` is before ``ref``: by date and time when both have a time, else by date
    (a sample on the day of the first dose without a time is not known to precede it).  Text work is done on the
    distinct values; records compare their ranks."""
    dcodes, dtext = distinct_text(dtc)
    rcodes, rtext = distinct_text(ref)
    present = (dcodes >= 0) & (rcodes >= 0)
    d_time = np.array(["T" in t for t in dtext] + [False])[dcodes]
    r_time = np.array(["T" in t for t in rtext] + [False])[rcodes]
    full = np.array([_FULL_DATE.match(t) is not None for t in dtext] + [False])[dcodes]
    d_rank, r_rank = _ranks(dtext, rtext)
    by_time = present & (d_rank[dcodes] < r_rank[rcodes])
    d_day, r_day = _ranks([t[:10] for t in dtext], [t[:10] for t in rtext])
    by_date = present & (d_day[dcodes] < r_day[rcodes])
    return pd.Series(full & np.where(d_time & r_time, by_time, by_date), index=dtc.index, name=dtc.name).astype(bool)


@derivation("last_before_exposure", "domain", "Y on the last record per subject and 'by' group (e.g. test code) "
            "with a result ('result' not blank) taken before the first exposure (DM 'reference', default RFSTDTC: "
            "by date and time when both are known, else by date); blank otherwise (SDTMIG 3.4 --LOBXFL).",
            required=("date", "by", "result"), optional=("reference",))
def derive_last_before_exposure(ctx: DomainContext, date: str, by: list[str], result: str,
                                reference: str = "RFSTDTC") -> pd.Series:
    f = ctx.frame
    dm = ctx.domains.get("DM")
    out = pd.Series(None, index=f.index, dtype="object")
    if dm is None or reference not in dm or f.empty:
        return out
    ref = f["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")[reference])
    keep = _before(f[date], ref) & _text(f[result]).notna().to_numpy()
    if not keep.any():
        return out
    by = [by] if isinstance(by, str) else list(by)
    cand = f.loc[keep, ["USUBJID", *by, date]].copy()
    cand["_order"] = np.arange(len(cand))
    cand = cand.sort_values([date, "_order"], kind="mergesort")
    last = cand.groupby(["USUBJID", *by], sort=False, dropna=False).tail(1)
    out.loc[last.index] = "Y"
    return _obj(out)
