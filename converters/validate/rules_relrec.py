"""RELREC integrity (SDTMIG 3.4 8.2, 8.3): the records and variables a relationship names exist, relationship
types are used only on dataset-level relationships, and each relationship relates at least two things."""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData, StudyData
from converters.validate.model import Hits, distinct_keys, rule, rows_of

RELREC = "SDTMIG 3.4 8.2"
RELTYPES = ("ONE", "MANY")


def _record_level(ds: DatasetData) -> pd.Series:
    """Rows that relate records (USUBJID given); the others relate whole datasets (SDTMIG 3.4 8.3)."""
    return ds.filled("USUBJID") if "USUBJID" in ds.frame.columns else pd.Series(False, index=ds.frame.index)


@rule("CR0031", "Error", "RELREC names a dataset or variable that does not exist",
      "RDOMAIN {parent} has no dataset in the folder, or IDVAR names no variable of it", f"{RELREC}; SDTMIG 3.4 8.3",
      applies_to=("RELREC",), needs=("RDOMAIN", "IDVAR"))
def check_relrec_targets(study: StudyData, ds: DatasetData):
    rdomain = ds.text_codes("RDOMAIN")  # records compared as codes, texts looked at once per distinct value
    for value in sorted(set(ds.text_index("RDOMAIN")[distinct_keys(rdomain.astype(np.int64))]) - {""}):
        rows = rdomain == ds.text_index("RDOMAIN").get_loc(value)
        parent = study.get(value)
        bad = rows if parent is None else rows & ds.unique_mask("IDVAR", partial(_not_in, names=parent.columns))
        if bad.any():
            yield Hits(dataset=ds.name, rows=rows_of(bad), variables=("RDOMAIN", "IDVAR"), params={"parent": value})


def _not_in(values: pd.Series, names: list[str]) -> pd.Series:
    """Non-blank values that are not one of ``names``."""
    return values.ne("") & ~values.isin(names)


@rule("CR0032", "Error", "RELREC record not found",
      "No {parent} record has this USUBJID and IDVAR = IDVARVAL", RELREC,
      applies_to=("RELREC",), needs=("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"))
def check_relrec_records(study: StudyData, ds: DatasetData):
    # records compared as codes of RDOMAIN and IDVAR, their texts looked at once per distinct value
    rdomain, idvar = ds.text_codes("RDOMAIN"), ds.text_codes("IDVAR")
    rd_text, iv_text = ds.text_index("RDOMAIN"), ds.text_index("IDVAR")
    level = _record_level(ds).to_numpy(dtype=bool)
    for value in sorted(set(rd_text[distinct_keys(rdomain[level].astype(np.int64))]) - {""}):
        parent = study.get(value)
        if parent is None or "USUBJID" not in parent.columns:
            continue  # CR0031
        missing = np.zeros(len(ds), dtype=bool)
        of_value = level & (rdomain == rd_text.get_loc(value))
        for name in sorted(set(iv_text[distinct_keys(idvar[of_value].astype(np.int64))])):
            rows = of_value & (idvar == iv_text.get_loc(name))
            if name == "":
                missing |= rows & ~ds.text("USUBJID").isin(set(parent.text("USUBJID"))).to_numpy(dtype=bool)
            elif name in parent.columns:
                missing |= rows & ~_records_in(ds, rows, parent, name)
        if missing.any():
            yield Hits(dataset=ds.name, rows=rows_of(missing), variables=("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"),
                       params={"parent": value})


def _records_in(ds: DatasetData, rows: np.ndarray, parent: DatasetData, name: str) -> np.ndarray:
    """For RELREC's ``rows``: whether ``parent`` has a record with that USUBJID and ``name`` = IDVARVAL (as text).

    Worked on codes: the parent's (USUBJID, ``name``) pairs become one integer each, and RELREC's texts are looked
    up among the parent's distinct texts once each."""
    subject, value = parent.text_codes("USUBJID").astype(np.int64), parent.text_codes(name).astype(np.int64)
    width = int(value.max()) + 1 if len(value) else 1
    known = distinct_keys(subject * width + value)
    picked = np.flatnonzero(rows)
    found = np.zeros(len(rows), dtype=bool)
    if len(picked) and len(known):
        pairs = []
        for own, theirs in (("USUBJID", "USUBJID"), ("IDVARVAL", name)):
            codes, _, stripped = ds._factor(own)
            table = parent.codes_of(theirs, np.append(stripped, ""))  # code -1 (missing) looks up ''
            pairs.append(table[codes[picked]].astype(np.int64))
        given = (pairs[0] >= 0) & (pairs[1] >= 0)
        found[picked] = given & np.isin(pairs[0] * width + pairs[1], known)
    return found


@rule("CR0033", "Error", "RELTYPE misused",
      "RELTYPE must be ONE or MANY on a dataset-level relationship (USUBJID null) and null on a record-level one",
      f"{RELREC}; SDTMIG 3.4 8.3", applies_to=("RELREC",), needs=("RELTYPE",))
def check_reltype(study: StudyData, ds: DatasetData):
    level = _record_level(ds)
    reltype = ds.text("RELTYPE")
    bad = (level & ds.filled("RELTYPE")) | (~level & ~reltype.isin(RELTYPES))
    if bad.any():
        yield Hits(dataset=ds.name, rows=rows_of(bad), variables=tuple(
            n for n in ("USUBJID", "RDOMAIN", "RELTYPE", "RELID") if n in ds.frame.columns))


@rule("CR0034", "Error", "Relationship with only one member",
      "RELID has only one record for this subject: a relationship relates at least two records or datasets",
      RELREC, applies_to=("RELREC",), needs=("RELID",))
def check_relid_pairs(study: StudyData, ds: DatasetData):
    subject = ds.text("USUBJID") if "USUBJID" in ds.frame.columns else pd.Series("", index=ds.frame.index)
    frame = pd.DataFrame({"s": subject, "r": ds.text("RELID")})
    sizes = frame.groupby(["s", "r"], sort=False)["r"].transform("size")
    bad = ds.filled("RELID") & sizes.eq(1)
    if bad.any():
        yield Hits(dataset=ds.name, rows=rows_of(bad), variables=tuple(
            n for n in ("USUBJID", "RDOMAIN", "RELID") if n in ds.frame.columns))
