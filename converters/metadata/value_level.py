"""Value-level metadata of vertical datasets, from the data and the spec blocks that filled it.

* SDTM findings: one entry per result variable (``--ORRES``, ``--STRESC``, ``--STRESN``) per test code,
  split further where one test has several shapes (LB by LBTESTCD and LBSPEC, RS by RSTESTCD and RSCAT);
* ADaM BDS: one entry per analysis value variable (``AVAL``, ``AVALC``) per PARAMCD.

Each entry has its own data type (a text result that is always a number is ``integer`` or ``float``),
length, significant digits, codelist (text results keep the variable's codelist), origin and aCRF pages:
the origin comes from the spec block that filled those records, so LB's chimerism block keeps its own
pages.  SUPP-- value-level metadata (by QNAM) is made where the SUPP-- dataset is built.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.metadata.model import Codelist, Dataset, Origin, ValueLevel, Variable, WhereCondition

#: variables after --TESTCD that tell one shape of a test from another, per findings domain.
SHAPE_BY: dict[str, tuple[str, ...]] = {"LB": ("LBSPEC",), "RS": ("RSCAT",), "MB": ("MBSPEC",), "IS": ("ISSPEC",)}
FINDINGS_RESULTS = ("ORRES", "STRESC", "STRESN")
BDS_RESULTS = ("AVAL", "AVALC")

#: one spec block: the values it hardcodes (e.g. {"LBTESTCD": "NEUT"}) and the origin of each variable it fills.
Block = tuple[dict[str, str], dict[str, Origin]]


def _number_shape(values: pd.Series) -> tuple[str, int, int | None] | None:
    """(``integer``/``float``, length, significant digits) when every value is a number, else None.

    Every answer is an ``all`` or a ``max``, so ``values`` may be the distinct values of a column.
    """
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.isna().any():
        return None
    decimals = text.str.partition(".")[2].str.len()
    digits = int(decimals.max()) if len(decimals) else 0
    length = int(text.str.len().max())
    return ("float", length, digits) if digits else ("integer", length, None)


#: ISO 8601 shapes of text values and the Define-XML data type they have.
ISO_TYPES = (
    (r"\d{4}-\d{2}-\d{2}", "date"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?", "datetime"),
    (r"\d{4}(-\d{2}(-\d{2})?)?", "partialDate"),
    (r"-?P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", "durationDatetime"),
)


def _iso_type(values: pd.Series) -> str | None:
    """``date``, ``datetime``, ``partialDate`` or ``durationDatetime`` when every value has that ISO 8601 shape."""
    text = values.astype(str)
    for pattern, kind in ISO_TYPES:
        if text.str.fullmatch(pattern).all() and not text.eq("P").any():
            return kind
    return None


#: Define-XML data types of numbers: a value-level item of one of these carries no codelist.
NUMBER_TYPES = ("integer", "float")


def _item(parent: Variable, values: pd.Series, label: str, origin: Origin | None) -> Variable:
    """The value-level ItemDef of ``values`` (the distinct non-missing values where the where clause holds).

    A text result that is always a number is ``integer`` or ``float`` and carries no codelist; a text
    result that is text keeps the variable's codelist (as CDISC's Define-XML 2.1 example does: VSSTRESC
    FRMSIZE takes CL.SIZE, VSSTRESC HEIGHT, a float, none).
    """
    item = Variable(name=parent.name, label=label, origin=origin or parent.origin, method=parent.method,
                    comment=parent.comment)
    if parent.is_numeric:
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        whole = bool((numbers == np.round(numbers)).all())
        item.data_type = "integer" if whole else "float"
        item.length = 8
        if not whole:
            text = numbers.map(lambda x: repr(float(x)))
            item.significant_digits = int(text.str.partition(".")[2].str.len().max())
        return item
    shape = _number_shape(values)
    if shape is not None:
        item.data_type, item.length, item.significant_digits = shape
        return item
    item.data_type = _iso_type(values) or "text"
    encoded = values.astype(str).str.encode("utf-8")
    item.length = max(1, int(encoded.str.len().max()))  # type: ignore[misc]  # pandas-stubs: .str.len() works on bytes
    if item.data_type == "text":
        item.codelist = parent.codelist
    return item


def _block_origin(blocks: list[Block], key: dict[str, str], variable: str) -> Origin | None:
    """The origin the first block whose hardcoded values match ``key`` gives ``variable``."""
    for hardcoded, origins in blocks:
        shared = [k for k in key if k in hardcoded]
        if shared and all(hardcoded[k] == key[k] for k in shared) and variable in origins:
            return origins[variable]
    return None


def derive_value_level(ds: Dataset, frame: pd.DataFrame, by: tuple[str, ...], results: tuple[str, ...],
                       blocks: list[Block] | None = None) -> list[ValueLevel]:
    """Value-level entries of ``results`` for each distinct combination of ``by`` in ``frame``.

    The parents get ``value_list`` set.  The where clause names every ``by`` variable that is filled.  A text
    parent whose results include numbers (an ``integer`` or ``float`` entry) loses its variable-level codelist:
    the codelist then belongs to the entries whose results are text (CDISC's Define-XML 2.1 example gives
    LBSTRESC no CodeListRef; its text value-level items carry theirs).

    Each entry is measured on the distinct values its records hold, so the cost follows the distinct
    (combination, value) pairs, not the records.
    """
    by = tuple(v for v in by if v in frame.columns and v in ds.variable_names)
    results = tuple(v for v in results if v in frame.columns and v in ds.variable_names)
    if not by or not results or frame.empty:
        return []
    keys = frame[list(by)].astype(object).where(frame[list(by)].notna(), "")
    key_text = pd.DataFrame({v: keys[v].astype(str) for v in by})
    group = key_text.groupby(list(by), sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(group))).groupby(group, sort=False).first().to_numpy()  # a record per group
    combos = keys.iloc[first].assign(__group__=group[first]).sort_values(list(by))
    distinct = {name: _distinct_by_group(frame[name], group) for name in results}
    entries = []
    for combo in combos.itertuples(index=False):
        key = {v: str(x) for v, x in zip(by, combo[:len(by)]) if str(x) != ""}
        if by[0] not in key:
            continue
        where = tuple(WhereCondition(ds.name, v, "EQ", (x,)) for v, x in key.items())
        for name in results:
            values = distinct[name].get(int(combo[-1]))
            if values is None:
                continue
            parent = ds.variable(name)
            label = f"{parent.label} ({', '.join(key.values())})"
            origin = _block_origin(blocks or [], key, name)
            entries.append(ValueLevel(name, where, _item(parent, values, label, origin)))
            parent.value_list = f"VL.{ds.name}.{name}"
    for name in results:
        parent = ds.variable(name)
        if parent.codelist and not parent.is_numeric and any(
                e.variable == name and e.item.data_type in NUMBER_TYPES for e in entries):
            parent.codelist = None
    order = {name: i for i, name in enumerate(results)}
    return sorted(entries, key=lambda e: order[e.variable])


def _distinct_by_group(column: pd.Series, group: np.ndarray) -> dict[int, pd.Series]:
    """Per group number: the distinct non-missing values of ``column`` in its records (no entry when none)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    filled = codes >= 0
    if not filled.any():
        return {}
    width = len(uniques)
    pairs = np.unique(group[filled].astype(np.int64) * width + codes[filled])
    groups, values = pairs // width, pairs % width
    bounds = np.flatnonzero(np.diff(groups)) + 1
    table = pd.Series(np.asarray(uniques, dtype=object) if column.dtype == object else np.asarray(uniques))
    return {int(g[0]): table.iloc[v].reset_index(drop=True)
            for g, v in zip(np.split(groups, bounds), np.split(values, bounds))}


def findings_value_level(ds: Dataset, frame: pd.DataFrame, blocks: list[Block] | None = None) -> list[ValueLevel]:
    """SDTM findings: by --TESTCD (and LBSPEC, RSCAT ...) for --ORRES, --STRESC, --STRESN."""
    prefix = ds.domain or ds.name
    by = (f"{prefix}TESTCD", *SHAPE_BY.get(prefix, ()))
    return derive_value_level(ds, frame, by, tuple(prefix + r for r in FINDINGS_RESULTS), blocks)


def bds_value_level(ds: Dataset, frame: pd.DataFrame) -> list[ValueLevel]:
    """ADaM BDS: by PARAMCD for AVAL and AVALC."""
    return derive_value_level(ds, frame, ("PARAMCD",), BDS_RESULTS)


#: TSVCDREF (DICTNAM) -> (codelist name, ExternalCodeList Dictionary) for values coded by an external dictionary.
TS_DICTIONARIES = {"SNOMED": ("SNOMED", "SNOMED CT"), "UNII": ("UNII", "UNII"), "MED-RT": ("MEDRT", "MED-RT"),
                   "ISO 3166": ("ISO3166", "ISO 3166-1 alpha-3")}
#: TSPARMCD whose CT codelist has another name (most TS parameters' codelist is named as the parameter).
TS_CODELISTS = {"DOSU": "UNIT", "DOSFRQ": "FREQ", "AGEU": "AGEU"}


def ts_value_level(ds: Dataset, frame: pd.DataFrame) -> tuple[list[ValueLevel], list[Codelist]]:
    """TS: TSVAL by TSPARMCD (type, length, the CT codelist of the parameter; the entries the TS builder already
    made for derived parameters are kept) and, for parameters coded with an
    external dictionary (TSVCDREF SNOMED, UNII, MED-RT, ISO 3166), TSVALCD with an ExternalCodeList and its
    version (TSVCDVER).  Returns the entries and the external codelists they name."""
    from converters.standards import ct

    described = {vl.where[0].values[0]: vl for vl in ds.value_level
                 if vl.variable == "TSVAL" and len(vl.where) == 1 and vl.where[0].variable == "TSPARMCD"}
    # entries the TS builder made (derived parameters, with their method) are kept as they are
    entries = [described.get(vl.where[0].values[0], vl)
               for vl in derive_value_level(ds, frame, ("TSPARMCD",), ("TSVAL",))]
    external: dict[str, Codelist] = {}
    for vl in entries:
        parm = vl.where[0].values[0]
        rows = frame[frame["TSPARMCD"].astype(str).eq(parm)]
        values = set(rows["TSVAL"].dropna().astype(str))
        refs = set(rows["TSVCDREF"].dropna().astype(str)) if "TSVCDREF" in rows else set()
        if refs == {"CDISC CT"}:
            for name in (parm, TS_CODELISTS.get(parm), "NY"):
                if name and ct.has_codelist(name, "sdtm") and values <= ct.codelist(name, "sdtm").submission_values:
                    vl.item.codelist = ct.codelist(name, "sdtm").name
                    break
    if "TSVALCD" in frame.columns and "TSVCDREF" in frame.columns and "TSVALCD" in ds.variable_names:
        coded = frame[frame["TSVCDREF"].isin(list(TS_DICTIONARIES)) & frame["TSVALCD"].notna()]
        extra = derive_value_level(ds, coded, ("TSPARMCD",), ("TSVALCD",))
        for vl in extra:
            rows = coded[coded["TSPARMCD"].astype(str).eq(vl.where[0].values[0])]
            ref = str(rows["TSVCDREF"].iloc[0])
            name, dictionary = TS_DICTIONARIES[ref]
            versions = rows["TSVCDVER"].dropna().astype(str).unique().tolist() if "TSVCDVER" in rows else []
            version = str(versions[0]) if len(versions) == 1 else None
            key = f"{name}.{version}" if version else name
            vl.item.codelist = key
            vl.item.data_type, vl.item.significant_digits = "text", None  # codes are identifiers, not numbers
            vl.item.length = int(rows["TSVALCD"].astype(str).str.len().max())
            external.setdefault(key, Codelist(name=key, label=dictionary, dictionary=dictionary, version=version))
        entries += extra
    return entries, list(external.values())
