"""Identity and keys: one DM record per subject, --SEQ, natural keys, one-to-one code/decode pairs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.standards.keys import NATURAL_KEYS
from converters.validate.data import DatasetData
from converters.validate.model import Hits, distinct_keys, rule, rows_of

KEYS = "SDTMIG 3.4 3.2.1.1"


#: Records per piece of a dataset sorted by subject: the duplicate and key checks take one piece at a time, cut
#: between subjects, so their temporaries (about 100 bytes a record) follow the piece, not the dataset.
PIECE_ROWS = 1 << 18


def duplicated_rows(ds: DatasetData, names: list[str]) -> np.ndarray:
    """Rows whose values of ``names`` repeat those of another row (all members of each duplicate group), ascending.

    When a column of ``names`` holds each of its values in one run of records (USUBJID of a dataset sorted by
    its keys), two duplicates lie in the same run, so the records are taken in pieces of about
    :data:`PIECE_ROWS` cut between runs (:func:`subject_pieces`), and the rows found are the same.
    """
    if not names:
        return np.zeros(0, dtype=np.int64)
    found = [_duplicated_in(ds, names, np.arange(start, stop, dtype=np.int64))
             for start, stop in subject_pieces(ds, names)]
    return np.concatenate(found) if len(found) > 1 else found[0]


def subject_pieces(ds: DatasetData, names: list[str], size: int | None = None) -> list[tuple[int, int]]:
    """(start, stop) of pieces of about ``size`` records (:data:`PIECE_ROWS`) that no run of equal USUBJID (or
    POOLID) values crosses; the whole dataset in one piece when it is small, when neither is among ``names`` or
    when a subject's records are not all together."""
    size = size or PIECE_ROWS
    subject = next((n for n in ("USUBJID", "POOLID") if n in names), None)
    if len(ds) <= size or subject is None:
        return [(0, len(ds))]
    codes = ds.text_codes(subject)
    starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1  # where a run of equal values begins
    if not len(starts) or len(starts) + 1 != len(distinct_keys(codes.astype(np.int64))):
        return [(0, len(ds))]  # a value in two runs: not sorted by subject
    cuts = np.unique(starts[np.minimum(np.searchsorted(starts, np.arange(size, len(ds), size)), len(starts) - 1)])
    bounds = [0, *(int(c) for c in cuts), len(ds)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _duplicated_in(ds: DatasetData, names: list[str], rows: np.ndarray) -> np.ndarray:
    """The rows of ``rows`` whose values of ``names`` repeat those of another row of ``rows``.

    The columns' text codes are folded into one integer key per row, column by column; rows whose key is
    already unique cannot be duplicates and are dropped before the next column, so a wide dataset whose rows
    differ early costs a few columns, not all of them.
    """
    key = np.zeros(len(rows), dtype=np.int64)  # numbered 0.. after each column, so key * size stays far from overflow
    for name in sorted(names, key=lambda n: _fold_order(ds, n)):  # the answer is the same in any column order
        codes = ds.text_codes_at(name, rows).astype(np.int64)
        size = int(codes.max()) + 1 if len(codes) else 1
        key, rows = _repeated(key * size + codes, rows)
        if not len(rows):
            break
    return rows


def _fold_order(ds: DatasetData, name: str) -> tuple[bool, int]:
    """Columns read as codes with many distinct values first (rows become unique soonest), the others after."""
    col = ds.frame[name]
    return (False, -len(col.cat.categories)) if isinstance(col.dtype, pd.CategoricalDtype) else (True, 0)


def _repeated(key: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys (renumbered 0..) and rows of the rows whose key occurs more than once."""
    if len(key) and int(key.max()) < 2 * len(key):  # small keys (a first column's codes): counted directly
        codes, counts = key, np.bincount(key)
    else:  # pd.factorize sizes its hash table by the rows: only for keys too large to count directly
        codes, uniques = pd.factorize(key)
        counts = np.bincount(codes, minlength=len(uniques))
    repeated = counts > 1
    keep = repeated[codes]
    renumber = np.cumsum(repeated, dtype=np.int64) - 1  # the repeated keys numbered 0.. (any numbering will do)
    return renumber[codes[keep]], rows[keep]


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


_OWN_KEY_RULES = ("DM", "SV", "TA", "TE", "TV", "TI", "TS")


@rule("ID0004", "Warning", "Natural key not unique", "Records share the natural key ({key}; from the {source})",
      f"{KEYS}; Define-XML 2.1 (KeySequence)")
def check_natural_key(study, ds: DatasetData):
    if ds.name in _OWN_KEY_RULES or ds.name.startswith("SUPP"):
        return  # ID0001, ID0007-ID0013 check these with their own rule
    key, source = study.natural_key(ds)
    if len(key) > 1:
        for hits in _unique(ds, key):
            hits.params["source"] = source
            yield hits


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
    key = tuple(n for n in NATURAL_KEYS[dataset] if n != "STUDYID")

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
    raw, _, stripped = ds._factor(code)
    used = ~np.append(stripped == "", True)[raw]  # a code value given (not blank, not missing)
    if not used.any():
        return None
    codes, names = ds.text_codes(code).astype(np.int64), ds.text_codes(name).astype(np.int64)
    width = int(names.max()) + 1
    pairs = distinct_keys(codes[used] * width + names[used])  # each distinct (code, name) pair once
    many = np.bincount(pairs // width, minlength=int(codes.max()) + 1) > 1
    return np.flatnonzero(used & many[codes]) if many.any() else None


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
    flagged = rows_of(ds.unique_mask("--LOBXFL", lambda u: u.eq("Y")))
    if len(flagged) < 2:
        return
    # --TSTDTL: one test may give several results (IHC: % positive cells, intensity, H-score), each its own baseline;
    # --LNKID: in TU and TR each lesion is measured on its own (SDTMIG 3.4 6.3.14), so each has its own baseline
    by = [n for n in ("USUBJID", ds.var("--TESTCD"), ds.var("--TSTDTL"), ds.var("--LNKID"), ds.var("--CAT"),
                      ds.var("--SCAT"), ds.var("--SPEC"),
                      ds.var("--POS"), ds.var("--LOC"), ds.var("--LAT"), ds.var("--METHOD"), ds.var("--TPTNUM"),
                      ds.var("--EVAL"))
          if n in ds.frame.columns]
    rows = _duplicated_in(ds, by, flagged)  # the flagged records' codes only, no text per record
    if len(rows):
        yield Hits(dataset=ds.name, rows=rows, variables=(ds.var("--TESTCD"), ds.var("--LOBXFL")))


def _sort_codes(ds: DatasetData, name: str) -> np.ndarray:
    """A column as numbers that sort like SAS sorts it: numbers by value (missing lowest), text by its bytes."""
    if ds.is_numeric(name):
        return ds.number(name).fillna(-np.inf).to_numpy(dtype="float64")
    codes, _, stripped = ds._factor(name)
    values = np.append(stripped, "")  # code -1 (missing) is ''
    order = {value: rank for rank, value in enumerate(sorted(set(values)))}
    return np.array([order[v] for v in values], dtype="float64")[codes]


@rule("ID0027", "Warning", "Dataset not sorted by its keys",
      "{dataset} is not sorted by its natural key ({key}; from the {source}): record {record} comes before "
      "record {after} but sorts after it", f"{KEYS}; Define-XML 2.1 (KeySequence: the sort order)")
def check_sorted_by_keys(study, ds: DatasetData):
    if "USUBJID" not in ds.frame.columns or ds.name.startswith("SUPP") or ds.name == "RELREC":
        return  # subject data; trial design datasets keep their design order, SUPP-- IDVARVAL is text
    key, source = study.natural_key(ds)
    if not key or len(ds) < 2:
        return
    # a row is in order when it is greater than or equal to the one before, comparing the keys left to right
    in_order = np.ones(len(ds) - 1, dtype=bool)
    decided = np.zeros(len(ds) - 1, dtype=bool)
    for name in key:
        codes = _sort_codes(ds, name)
        step = codes[1:] - codes[:-1]
        in_order = np.where(~decided & (step != 0), step > 0, in_order)
        decided |= step != 0
    broken = np.flatnonzero(~in_order)
    if len(broken):
        first = int(broken[0])
        yield Hits(dataset=ds.name, params={"key": ", ".join(key), "source": source, "record": first + 1,
                                            "after": first + 2}, value=f"record {first + 1}")
