"""Controlled terminology: values in the codelists SDTMIG names, test codes and names, and their pairing."""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from converters.standards import normalise
from converters.validate._std import allowed_values, codelist, standard_variables
from converters.validate.data import DatasetData
from converters.validate.model import Hits, rule, rows_of

CT_TEXT = "SDTMIG 3.4 4.3.3; CDISC CT 2025-03-28"
#: Variables whose SDTMIG codelist is not meant for a value-by-value check (dictionaries, free text).
_SKIP = {"DOMAIN", "RDOMAIN"}
_CODE = r"^[A-Z_][A-Z0-9_]*$"
#: A numeric result, possibly with a comparator (``<0.1``, ``>= 200``): never a codelist term.
_NUMERIC_RESULT = re.compile(r"^[<>]?=?\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@lru_cache(maxsize=None)
def _normalised_lookup(codes: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """(normalised submission value -> value, normalised synonym -> value) over the codelists."""
    by_value: dict[str, str] = {}
    by_synonym: dict[str, str] = {}
    for code in codes:
        info = codelist(code)
        if info is None:
            continue
        for term in info.terms:
            by_value.setdefault(normalise(term.submission_value), term.submission_value)
            for alias in (*term.synonyms, term.preferred_term):
                by_synonym.setdefault(normalise(alias), term.submission_value)
    return by_value, by_synonym


#: Values SDTMIG itself prescribes for a variable although its codelist lacks them: (variable, value) -> citation.
IG_VALUES = {("RACE", "MULTIPLE"): "SDTMIG 3.4 5.2 (DM assumptions: more than one race collected)"}


def classify_terms(ds: DatasetData):
    """Per CT-controlled variable: (name, mask, kind, codelist names) where kind is
    ``case`` (matches a term but for case/spaces), ``synonym``, ``closed`` or ``extension``. Cached on ``ds``."""
    key = ("ct-classes",)
    if key in ds._cache:
        return ds._cache[key]
    out = []
    for var in standard_variables(ds):
        if not var.codelist_codes or var.name in _SKIP or var.name not in ds.frame.columns:
            continue
        allowed, extensible, names = allowed_values(var.codelist_codes)
        if not allowed:
            continue
        uniq = [v for v in ds.unique_texts(var.name) if v]
        bad = [v for v in uniq if v not in allowed]
        if bad and var.name.endswith(("STRESC", "ORRES")):  # result codelists hold the non-numeric results
            bad = [v for v in bad if not _NUMERIC_RESULT.match(v)]
        if not bad:
            continue
        by_value, by_synonym = _normalised_lookup(var.codelist_codes)
        kinds: dict[str, list[str]] = {"case": [], "synonym": [], "closed": [], "extension": []}  # + "ig"
        kinds["ig"] = []
        for value in bad:
            norm = normalise(value)
            if (var.name, value) in IG_VALUES:
                kinds["ig"].append(value)
            elif norm in by_value:
                kinds["case"].append(value)
            elif norm in by_synonym:
                kinds["synonym"].append(value)
            else:
                kinds["extension" if extensible else "closed"].append(value)
        for kind, values in kinds.items():
            if values:
                chosen = set(values)
                out.append((var.name, ds.unique_mask(var.name, lambda u, c=chosen: u.isin(c)), kind, names))
    ds._cache[key] = out
    return out


def _by_kind(ds: DatasetData, kind: str):
    for name, mask, found, names in classify_terms(ds):
        if found == kind:
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,), params={"codelist": names})


@rule("CT0001", "Error", "Value not in a non-extensible codelist",
      "{variable} value is not in the non-extensible codelist {codelist}", CT_TEXT)
def check_closed_codelist(study, ds: DatasetData):
    yield from _by_kind(ds, "closed")


@rule("CT0002", "Warning", "Sponsor extension of an extensible codelist",
      "{variable} value is not in the extensible codelist {codelist} (a sponsor extension: describe it in the define)",
      CT_TEXT)
def check_extensible_codelist(study, ds: DatasetData):
    defined = _define_terms(study, ds)
    for name, mask, found, names in classify_terms(ds):
        if found != "extension":
            continue
        if name in defined:  # the define lists the extension: documented, not a finding
            mask = mask & ~ds.text(name).isin(defined[name])
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,), params={"codelist": names})


def _define_terms(study, ds: DatasetData) -> dict[str, set[str]]:
    define = getattr(study, "define", None)
    if define is None:
        return {}
    return define.codelist_values_for(ds.name)


@rule("CT0003", "Error", "Codelist value in the wrong case",
      "{variable} value matches a term of {codelist} except for case or spaces; use the submission value",
      "SDTMIG 3.4 4.3.2")
def check_case(study, ds: DatasetData):
    yield from _by_kind(ds, "case")


@rule("CT0004", "Error", "Synonym used instead of the submission value",
      "{variable} value is a synonym of a term of {codelist}; use its CDISC submission value", "SDTMIG 3.4 4.3.3")
def check_synonym(study, ds: DatasetData):
    yield from _by_kind(ds, "synonym")


def _code_columns(ds: DatasetData) -> list[str]:
    names = [ds.var("--TESTCD"), "TSPARMCD", "IETESTCD", "QNAM", "ETCD", "ARMCD", "ACTARMCD", ds.var("--PARMCD")]
    return [n for n in dict.fromkeys(names) if n in ds.frame.columns]


@rule("CT0011", "Notice", "Value prescribed by SDTMIG but not in the codelist",
      "{variable} value is not in codelist {codelist} but SDTMIG prescribes it (e.g. RACE = MULTIPLE with the races "
      "in SUPPDM); say so in the reviewer's guide", "SDTMIG 3.4 5.2; CDISC CT 2025-03-28")
def check_ig_values(study, ds: DatasetData):
    yield from _by_kind(ds, "ig")


@rule("CT0005", "Error", "Test code longer than 8 characters", "{variable} value is longer than 8 characters",
      "SDTMIG 3.4 4.5.3.1; SDTMIG 3.4 4.2.1", applies_to=("*",))
def check_testcd_length(study, ds: DatasetData):
    for name in _code_columns(ds):
        if name in ("ARMCD", "ACTARMCD", "ETCD"):
            continue
        mask = ds.unique_mask(name, lambda u: u.str.len() > 8)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("CT0006", "Error", "Test code with invalid characters",
      "{variable} value must start with a letter or underscore and hold only letters, digits and underscores",
      "SDTMIG 3.4 4.2.1")
def check_testcd_chars(study, ds: DatasetData):
    for name in _code_columns(ds):
        if name in ("ARMCD", "ACTARMCD", "ETCD"):
            continue
        mask = ds.unique_mask(name, lambda u: u.ne("") & ~u.str.match(_CODE))
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("CT0007", "Error", "Test name longer than 40 characters", "{variable} value is longer than 40 characters",
      "SDTMIG 3.4 4.5.3.1")
def check_test_length(study, ds: DatasetData):
    # IETEST is the exception SDTMIG 4.5.3.1 names: criterion text may run to 200 characters.
    for name in dict.fromkeys([ds.var("--TEST"), "TSPARM", "QLABEL"]):
        if name in ds.frame.columns and name != "IETEST":
            mask = ds.unique_mask(name, lambda u: u.str.len() > 40)  # measured once per distinct value
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("CT0008", "Error", "Test name does not match the CT term of its code",
      "{variable} is not the CDISC test name for the {code} value", "SDTMIG 3.4 4.3.3; CDISC CT 2025-03-28")
def check_test_matches_code(study, ds: DatasetData):
    std = {v.name: v for v in standard_variables(ds)}
    for code_name, name in ((ds.var("--TESTCD"), ds.var("--TEST")), ("TSPARMCD", "TSPARM"), ("IETESTCD", "IETEST")):
        if code_name not in ds.frame.columns or name not in ds.frame.columns:
            continue
        code_var, name_var = std.get(code_name), std.get(name)
        if not code_var or not name_var or not code_var.codelist_codes or not name_var.codelist_codes:
            continue
        code_cl, name_cl = codelist(code_var.codelist_codes[0]), codelist(name_var.codelist_codes[0])
        if code_cl is None or name_cl is None:
            continue
        by_nci = {t.code: t.submission_value for t in name_cl.terms}
        expected = {t.submission_value: by_nci.get(t.code) for t in code_cl.terms if t.code in by_nci}
        # per distinct code value: the expected name, and its code among the names' text codes (-1: not there)
        codes, _, stripped = ds._factor(code_name)
        want = pd.Series(np.append(stripped, ""), dtype=object).map(expected).to_numpy(dtype=object)
        known = pd.notna(want)
        if not known.any():
            continue
        want_codes = np.full(len(want), -1, dtype=np.int64)
        want_codes[known] = ds.codes_of(name, want[known])
        rows = np.flatnonzero(known[codes] & (ds.text_codes(name) != want_codes[codes]))
        if len(rows):
            yield Hits(dataset=ds.name, rows=rows, variables=(code_name, name), params={"code": code_name},
                       extra={"expected": want[codes[rows]]})


@rule("CT0009", "Error", "QNAM not a valid variable name",
      "QNAM value is longer than 8 characters or does not start with a letter", "SDTMIG 3.4 8.4.1",
      applies_to=("SUPP*",), needs=("QNAM",))
def check_qnam(study, ds: DatasetData):
    mask = ds.unique_mask("QNAM", lambda u: u.ne("") & ((u.str.len() > 8) | ~u.str.match(r"^[A-Z][A-Z0-9_]*$")))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("QNAM",))


@rule("CT0010", "Error", "TS value not in the parameter's codelist",
      "TSVAL for {parameter} is not in codelist {codelist}", "SDTMIG 3.4 7.4.2; CDISC CT 2025-03-28",
      applies_to=("TS",), needs=("TSPARMCD", "TSVAL"))
def check_ts_codelist(study, ds: DatasetData):
    parm = ds.text("TSPARMCD")
    for parameter, listname in TS_CODELISTS.items():
        info = codelist(listname)
        if info is None or info.extensible:
            continue
        mask = parm.eq(parameter) & ds.filled("TSVAL") & ~ds.text("TSVAL").isin(info.submission_values)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVAL"),
                       params={"parameter": parameter, "codelist": info.name})


#: TS parameters whose TSVAL comes from a CDISC codelist (SDTMIG 3.4 Appendix C; CT TSPARMCD definitions).
TS_CODELISTS = {"ADDON": "NY", "RANDOM": "NY", "STYPE": "STYPE", "SEXPOP": "SEXPOP", "HLTSUBJI": "NY",
                "ADAPT": "NY", "TPHASE": "TPHASE", "TBLIND": "TBLIND", "TCNTRL": "TCNTRL", "INTMODEL": "INTMODEL",
                "TTYPE": "TTYPE", "AGEU": "AGEU", "INTTYPE": "INTTYPE"}


#: AE variables SDTMIG limits to Y or N although their codelist (NY) also holds U and NA.
SERIOUSNESS = ("AESER", "AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD", "AESMIE")


@rule("CT0012", "Error", "Seriousness value other than Y or N",
      "{variable} is {value}; SDTMIG allows only Y or N here although the NY codelist also holds U and NA",
      "SDTMIG 3.4 6.2.1 (AE: AESER and the seriousness criteria, CDISC Notes)", applies_to=("AE",))
def check_seriousness_y_n(study, ds: DatasetData):
    for name in SERIOUSNESS:
        if name in ds.frame.columns:
            mask = ds.filled(name) & ~ds.text(name).isin(("Y", "N"))
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,),
                           params={"value": "/".join(sorted(set(ds.text(name)[mask])))})
