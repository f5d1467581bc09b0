"""ADaM analysis-dataset rules that grew with the ADaM build (AD01xx): TTE censoring, AVAL/AVALC, dates in order,
record-level flags, imputation flags, population flags and ASEQ."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData
from converters.validate.model import Hits, rows_of, rule

ADAMIG = "ADaMIG 1.3"
#: (start, end) pairs whose order ADaM requires when both are present.
DATE_PAIRS = (("ASTDT", "AENDT"), ("ASTDTM", "AENDTM"), ("TRTSDT", "TRTEDT"), ("TRTSDTM", "TRTEDTM"),
              ("STARTDT", "ADT"), ("RFICDT", "TRTSDT"))
#: record-level indicator flags: 'Y' or null only (ADaMIG 3.1.4, OCCDS 1.1 flags).
_RECORD_FLAG = re.compile(r"^(ANL\d{2}FL|AOCC[A-Z0-9]*FL|AOCPIFL|TRTEMFL|ONTRTFL|ABLFL|LVOTFL|[A-Z]{2,5}RFL)$")
#: subject-level population flags: 'Y' or 'N', never null (ADaMIG 3.1.4).
_POPULATION_FLAG = re.compile(r"^(SAFFL|ITTFL|FASFL|PPROTFL|COMPLFL|RANDFL|ENRLFL)$")


@rule("AD0101", "Error", "CNSR is not 0 or 1", "CNSR must be 0 (event) or a positive integer censoring code; "
      "found {found}", f"{ADAMIG} 3.3.8 (time-to-event CNSR)", applies_to=("AD*",), needs=("CNSR",),
      standard="adamig")
def check_cnsr(study, ds: DatasetData):
    value = ds.number("CNSR")
    mask = value.isna() | (value < 0) | (value != np.floor(value))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("CNSR",), params={"found": "other values"})


@rule("AD0102", "Error", "BDS record without an analysis value", "A BDS record has neither AVAL nor AVALC",
      f"{ADAMIG} 3.3.4 (AVAL, AVALC)", applies_to=("AD*",), needs=("PARAMCD",), standard="adamig")
def check_analysis_value(study, ds: DatasetData):
    filled = pd.Series(False, index=ds.frame.index)
    for name in ("AVAL", "AVALC"):
        if name in ds.frame.columns:
            filled |= ds.filled(name)
    if not filled.all():
        yield Hits(dataset=ds.name, rows=rows_of(~filled), variables=tuple(
            n for n in ("PARAMCD", "AVAL", "AVALC") if n in ds.frame.columns))


@rule("AD0103", "Error", "AVALC maps to more than one AVAL within a parameter",
      "Within a PARAMCD, each AVALC must have one AVAL", f"{ADAMIG} 3.3.4 (AVAL, AVALC one to one)",
      applies_to=("AD*",), needs=("PARAMCD", "AVAL", "AVALC"), standard="adamig")
def check_aval_avalc(study, ds: DatasetData):
    frame = pd.DataFrame({"p": ds.text("PARAMCD"), "c": ds.text("AVALC"), "n": ds.number("AVAL")})
    frame = frame[frame["c"].ne("")]
    pairs = frame.drop_duplicates()
    bad = pairs[pairs.duplicated(subset=["p", "c"], keep=False)]
    if len(bad):
        mask = ds.text("PARAMCD").isin(set(bad["p"])) & ds.text("AVALC").isin(set(bad["c"]))
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("PARAMCD", "AVALC", "AVAL"))


@rule("AD0104", "Error", "Start after end", "{variable} is after {end} on the same record",
      f"{ADAMIG} 3.1.3 (timing variables)", applies_to=("AD*",), standard="adamig")
def check_dates_in_order(study, ds: DatasetData):
    for start, end in DATE_PAIRS:
        if start in ds.frame.columns and end in ds.frame.columns and ds.is_numeric(start) and ds.is_numeric(end):
            mask = ds.number(start) > ds.number(end)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(start, end), params={"end": end})


@rule("AD0105", "Error", "Record-level flag not Y or null", "{variable} holds a value other than Y or null",
      f"{ADAMIG} 3.1.4 (record-level flags: Y or null)", applies_to=("AD*",), standard="adamig")
def check_record_flags(study, ds: DatasetData):
    for name in ds.columns:
        if _RECORD_FLAG.match(name) and not ds.is_numeric(name):
            mask = ds.filled(name) & ds.text(name).ne("Y")
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("AD0106", "Error", "Imputation flag not a DATEFL/TIMEFL term",
      "{variable} must be D, M or Y (date) or H, M or S (time)", f"{ADAMIG} 3.1.3; CT DATEFL (C81223), TIMEFL (C81226)",
      applies_to=("AD*",), standard="adamig")
def check_imputation_flags(study, ds: DatasetData):
    for name in ds.columns:
        if ds.is_numeric(name):
            continue
        allowed = ("D", "M", "Y") if name.endswith("DTF") else ("H", "M", "S") if name.endswith("TMF") else None
        if allowed and re.match(r"^[A-Z0-9]+(DTF|TMF)$", name):
            mask = ds.filled(name) & ~ds.text(name).isin(allowed)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("AD0107", "Error", "Population flag null", "{variable} must be Y or N for every subject in ADSL",
      f"{ADAMIG} 3.1.4 (population flags)", applies_to=("ADSL",), standard="adamig")
def check_population_flags(study, ds: DatasetData):
    for name in ds.columns:
        if _POPULATION_FLAG.match(name):
            mask = ~ds.text(name).isin(("Y", "N"))
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("AD0108", "Error", "ASEQ not unique within a subject", "ASEQ occurs more than once for a subject",
      f"{ADAMIG} 3.3.9 (ASEQ)", applies_to=("AD*",), needs=("USUBJID", "ASEQ"), standard="adamig")
def check_aseq(study, ds: DatasetData):
    frame = pd.DataFrame({"u": ds.text("USUBJID"), "s": ds.number("ASEQ")})
    mask = frame.duplicated(keep=False) | frame["s"].isna()
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "ASEQ"))
