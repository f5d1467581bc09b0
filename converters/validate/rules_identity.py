"""Identity and keys: one DM record per subject, --SEQ, natural keys, one-to-one code/decode pairs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData
from converters.validate.model import Hits, rule, rows_of

#: Natural keys (SDTMIG 3.4 dataset metadata "Keys", without STUDYID and --SEQ), where the IG gives a
#: unique combination for the domain.  Variables a dataset lacks are dropped from its key.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "DM": ("USUBJID",),
    "SV": ("USUBJID", "VISITNUM"),
    "SE": ("USUBJID", "ETCD", "SESTDTC"),
    "TA": ("ARMCD", "TAETORD"),
    "TE": ("ETCD",),
    "TV": ("VISITNUM", "ARMCD"),
    "TI": ("IETESTCD", "TIVERS"),
    "TS": ("TSPARMCD", "TSSEQ"),
    "AE": ("USUBJID", "AEDECOD", "AESTDTC"),
    "CM": ("USUBJID", "CMTRT", "CMSTDTC"),
    "EX": ("USUBJID", "EXTRT", "EXSTDTC"),
    "MH": ("USUBJID", "MHDECOD", "MHSTDTC"),
    "DS": ("USUBJID", "DSDECOD", "DSSTDTC"),
    "IE": ("USUBJID", "IETESTCD"),
    "LB": ("USUBJID", "LBTESTCD", "LBSPEC", "LBMETHOD", "VISITNUM", "LBTPTREF", "LBTPTNUM"),
    "VS": ("USUBJID", "VSTESTCD", "VSPOS", "VSLOC", "VISITNUM", "VSTPTREF", "VSTPTNUM"),
    "EG": ("USUBJID", "EGTESTCD", "VISITNUM", "EGTPTREF", "EGTPTNUM"),
    "PE": ("USUBJID", "PETESTCD", "VISITNUM"),
    "RS": ("USUBJID", "RSTESTCD", "RSEVAL", "RSEVALID", "VISITNUM"),
    "TU": ("USUBJID", "TULNKID", "TUEVAL", "TUEVALID"),
    "TR": ("USUBJID", "TRLNKID", "TRTESTCD", "TREVAL", "TREVALID", "VISITNUM"),
}
KEYS = "SDTMIG 3.4 3.2.1.1"


def duplicated_rows(ds: DatasetData, names: list[str]) -> np.ndarray:
    """Rows whose values of ``names`` repeat those of another row (all members of each duplicate group)."""
    if not names:
        return np.zeros(0, dtype=np.int64)
    codes = pd.DataFrame({n: ds.text_codes(n) for n in names})
    return rows_of(codes.duplicated(keep=False))


def _unique(ds: DatasetData, names: tuple[str, ...]):
    present = [n for n in names if n in ds.frame.columns]
    if len(present) != len(names) or len(ds) < 2:
        return
    rows = duplicated_rows(ds, present)
    if len(rows):
        yield Hits(dataset=ds.name, rows=rows, variables=tuple(present), params={"key": ", ".join(present)})


@rule("ID0001", "Error", "More than one DM record per subject", "USUBJID occurs in more than one DM record",
      "SDTMIG 3.4 5.2", applies_to=("DM",), needs=("USUBJID",))
def check_dm_unique(study, ds: DatasetData):
    yield from _unique(ds, ("USUBJID",))


@rule("ID0002", "Error", "--SEQ not unique within subject", "--SEQ repeats within USUBJID", "SDTMIG 3.4 4.1.9",
      needs=("--SEQ",))
def check_seq_unique(study, ds: DatasetData):
    subject = "USUBJID" if "USUBJID" in ds.frame.columns else "POOLID"
    yield from _unique(ds, (subject, ds.var("--SEQ")))


@rule("ID0003", "Error", "--SEQ not a positive integer", "--SEQ is not a positive whole number", "SDTMIG 3.4 4.1.9",
      needs=("--SEQ",))
def check_seq_integer(study, ds: DatasetData):
    values = ds.number("--SEQ")
    mask = ds.filled("--SEQ") & (values.isna() | (values < 1) | (np.floor(values) != values))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(ds.var("--SEQ"),))


@rule("ID0004", "Warning", "Natural key not unique", "Records share the natural key ({key})", KEYS,
      applies_to=tuple(k for k in NATURAL_KEYS if k not in ("DM", "SV", "TA", "TE", "TV", "TI", "TS")))
def check_natural_key(study, ds: DatasetData):
    key = tuple(n for n in NATURAL_KEYS[ds.name] if n in ds.frame.columns)
    if key and len(key) > 1:
        yield from _unique(ds, key)


@rule("ID0005", "Warning", "Duplicate records", "Records are identical in every variable except --SEQ",
      "SDTMIG 3.4 3.2.1.1")
def check_duplicates(study, ds: DatasetData):
    if len(ds) < 2:
        return
    names = [c for c in ds.columns if c != ds.var("--SEQ") and c != "TSSEQ"]
    rows = duplicated_rows(ds, names)
    if len(rows):
        yield Hits(dataset=ds.name, rows=rows, variables=tuple(n for n in ("USUBJID",) if n in ds.frame.columns))


@rule("ID0006", "Error", "SUBJID not unique", "SUBJID occurs for more than one subject", "SDTMIG 3.4 5.2",
      applies_to=("DM",), needs=("SUBJID",))
def check_subjid_unique(study, ds: DatasetData):
    yield from _unique(ds, ("SUBJID",))


def _key_rule(rule_id: str, dataset: str, title: str, citation: str):
    key = NATURAL_KEYS[dataset]

    def check(study, ds: DatasetData):
        yield from _unique(ds, tuple(n for n in key if n in ds.frame.columns))

    rule(rule_id, "Error", title, "Records share {key}", citation, applies_to=(dataset,), needs=key[:1])(check)


_key_rule("ID0007", "TA", "TA: ARMCD and TAETORD not unique", "SDTMIG 3.4 7.2.1")
_key_rule("ID0008", "TE", "TE: ETCD not unique", "SDTMIG 3.4 7.2.2")
_key_rule("ID0009", "TV", "TV: VISITNUM (per ARMCD) not unique", "SDTMIG 3.4 7.3.1")
_key_rule("ID0010", "TS", "TS: TSPARMCD and TSSEQ not unique", "SDTMIG 3.4 7.4.2")
_key_rule("ID0011", "TI", "TI: IETESTCD (per TIVERS) not unique", "SDTMIG 3.4 7.4.1")
_key_rule("ID0012", "SV", "SV: more than one record per subject and visit", "SDTMIG 3.4 5.5")


@rule("ID0013", "Error", "SUPP-- qualifier not unique", "Records share USUBJID, IDVAR, IDVARVAL and QNAM",
      "SDTMIG 3.4 8.4.1", applies_to=("SUPP*",), needs=("QNAM",))
def check_supp_unique(study, ds: DatasetData):
    yield from _unique(ds, tuple(n for n in ("USUBJID", "POOLID", "IDVAR", "IDVARVAL", "QNAM")
                                 if n in ds.frame.columns))


def _one_to_one(ds: DatasetData, code: str, name: str):
    """Rows whose ``code`` value goes with more than one ``name`` value in the dataset."""
    if code not in ds.frame.columns or name not in ds.frame.columns:
        return None
    codes = ds.text(code)
    frame = pd.DataFrame({"c": codes, "n": ds.text(name)})[codes.ne("")]
    if frame.empty:
        return None
    distinct = frame.drop_duplicates().groupby("c", sort=False).size()
    bad = distinct.index[distinct.to_numpy() > 1]
    return rows_of(codes.isin(set(bad))) if len(bad) else None


def _pair_rule(rule_id: str, severity: str, code: str, name: str, citation: str, applies_to=("*",)):
    def check(study, ds: DatasetData):
        c, n = ds.var(code), ds.var(name)
        rows = _one_to_one(ds, c, n)
        if rows is not None:
            yield Hits(dataset=ds.name, rows=rows, variables=(c, n), params={"code": c, "name": n})

    rule(rule_id, severity, f"{code} maps to more than one {name}", "{code} has more than one {name}", citation,
         applies_to=applies_to, needs=(code, name))(check)


_pair_rule("ID0014", "Error", "--TESTCD", "--TEST", "SDTMIG 3.4 4.5.3.1", ("class:FINDINGS", "class:FINDINGS ABOUT"))
_pair_rule("ID0015", "Error", "--TEST", "--TESTCD", "SDTMIG 3.4 4.5.3.1", ("class:FINDINGS", "class:FINDINGS ABOUT"))
_pair_rule("ID0016", "Warning", "VISITNUM", "VISIT", "SDTMIG 3.4 4.4.5")
_pair_rule("ID0017", "Warning", "VISIT", "VISITNUM", "SDTMIG 3.4 4.4.5")
_pair_rule("ID0018", "Error", "ARMCD", "ARM", "SDTMIG 3.4 5.2; SDTMIG 3.4 7.2.1", ("DM", "TA", "TV"))
_pair_rule("ID0019", "Error", "ARM", "ARMCD", "SDTMIG 3.4 5.2; SDTMIG 3.4 7.2.1", ("DM", "TA", "TV"))
_pair_rule("ID0020", "Error", "ETCD", "ELEMENT", "SDTMIG 3.4 7.2.2", ("TA", "TE", "SE"))
_pair_rule("ID0021", "Error", "TSPARMCD", "TSPARM", "SDTMIG 3.4 7.4.2", ("TS",))
_pair_rule("ID0022", "Warning", "--TPTNUM", "--TPT", "SDTMIG 3.4 4.4.10", ("class:FINDINGS", "class:INTERVENTIONS"))
_pair_rule("ID0023", "Error", "ACTARMCD", "ACTARM", "SDTMIG 3.4 5.2", ("DM",))
_pair_rule("ID0024", "Error", "IETESTCD", "IETEST", "SDTMIG 3.4 7.4.1", ("TI", "IE"))


@rule("ID0025", "Error", "QNAM maps to more than one QLABEL", "QNAM has more than one QLABEL", "SDTMIG 3.4 8.4.1",
      applies_to=("SUPP*",), needs=("QNAM", "QLABEL"))
def check_qnam_qlabel(study, ds: DatasetData):
    rows = _one_to_one(ds, "QNAM", "QLABEL")
    if rows is not None:
        yield Hits(dataset=ds.name, rows=rows, variables=("QNAM", "QLABEL"))


@rule("ID0026", "Error", "More than one baseline record per subject and test",
      "--LOBXFL is Y on more than one record of the same subject and test", "SDTMIG 3.4 4.5.9",
      applies_to=("class:FINDINGS",), needs=("--LOBXFL", "--TESTCD"))
def check_one_baseline(study, ds: DatasetData):
    flagged = ds.text("--LOBXFL").eq("Y")
    if flagged.sum() < 2:
        return
    by = [n for n in ("USUBJID", ds.var("--TESTCD"), ds.var("--CAT"), ds.var("--SCAT"), ds.var("--SPEC"),
                      ds.var("--POS"), ds.var("--LOC"), ds.var("--LAT"), ds.var("--METHOD"), ds.var("--TPTNUM"),
                      ds.var("--EVAL"))
          if n in ds.frame.columns]
    frame = pd.DataFrame({n: ds.text(n) for n in by})[flagged]
    dup = frame.duplicated(keep=False)
    if dup.any():
        yield Hits(dataset=ds.name, rows=rows_of(ds.frame.index.isin(frame.index[dup.to_numpy()])),
                   variables=(ds.var("--TESTCD"), ds.var("--LOBXFL")))
