"""ADaM: ADSL one record per subject, subjects known, flags, numeric dates, PARAMCD/PARAM."""
from __future__ import annotations

import re

from converters.validate.data import DatasetData
from converters.validate.model import Hits, rule, rows_of

ADAMIG = "ADaMIG 1.3"
_FLAG = re.compile(r"^[A-Z0-9]*FL$")
_DATE_NAME = re.compile(r"^[A-Z0-9]*(DT|DTM|TM)$")
_DATE_FORMATS = re.compile(r"^(DATE|YYMMDD|E8601DA|E8601DT|E8601TM|DATETIME|TIME|IS8601|MMDDYY|DDMMYY|TOD)", re.I)


@rule("AD0001", "Error", "ADSL has more than one record per subject", "USUBJID occurs in more than one ADSL record",
      f"{ADAMIG} 3.1 (ADSL)", applies_to=("ADSL",), needs=("USUBJID",), standard="adamig")
def check_adsl_unique(study, ds: DatasetData):
    mask = ds.text("USUBJID").duplicated(keep=False)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID",))


@rule("AD0002", "Error", "Subject not in ADSL", "USUBJID is not a subject of ADSL", f"{ADAMIG} 3.1",
      applies_to=("AD*",), needs=("USUBJID",), standard="adamig")
def check_in_adsl(study, ds: DatasetData):
    adsl = study.get("ADSL")
    if ds.name == "ADSL" or adsl is None:
        return
    mask = ~ds.text("USUBJID").isin(set(adsl.text("USUBJID")))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID",))


@rule("AD0003", "Error", "ADaM subject not in DM", "USUBJID is not a subject of SDTM DM", f"{ADAMIG} 3.1",
      applies_to=("AD*",), needs=("USUBJID",), standard="adamig")
def check_in_dm(study, ds: DatasetData):
    if study.get("DM") is None:
        return
    mask = ~ds.text("USUBJID").isin(study.subjects())
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID",))


@rule("AD0004", "Error", "Flag not Y, N or null", "{variable} holds a value other than Y, N or null",
      f"{ADAMIG} 3.1.4 (flag variables)", applies_to=("AD*",), standard="adamig")
def check_flags(study, ds: DatasetData):
    for name in ds.columns:
        if _FLAG.match(name) and not ds.is_numeric(name):
            mask = ds.filled(name) & ~ds.text(name).isin(("Y", "N"))
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("AD0005", "Error", "Date variable not numeric with a date format",
      "{variable} must be numeric with a SAS date, datetime or time format (found {found})",
      f"{ADAMIG} 3.1.3 (timing variables)", applies_to=("AD*",), standard="adamig")
def check_numeric_dates(study, ds: DatasetData):
    for var in ds.meta.variables:
        if not _DATE_NAME.match(var.name) or var.name not in ds.frame.columns:
            continue
        if not ds.is_numeric(var.name):
            yield Hits(dataset=ds.name, variables=(var.name,), params={"found": "character"}, value="Char")
        elif not var.display_format or not _DATE_FORMATS.match(var.display_format):
            yield Hits(dataset=ds.name, variables=(var.name,), params={"found": var.display_format or "no format"},
                       value=var.display_format or "")


@rule("AD0006", "Error", "PARAMCD and PARAM not one-to-one", "PARAMCD and PARAM do not map one to one",
      f"{ADAMIG} 3.3.4 (BDS PARAM)", applies_to=("AD*",), needs=("PARAMCD", "PARAM"), standard="adamig")
def check_param(study, ds: DatasetData):
    import pandas as pd

    frame = pd.DataFrame({"c": ds.text("PARAMCD"), "p": ds.text("PARAM")}).drop_duplicates()
    bad_c = set(frame["c"][frame["c"].duplicated(keep=False)])
    bad_p = set(frame["p"][frame["p"].duplicated(keep=False)])
    mask = ds.text("PARAMCD").isin(bad_c) | ds.text("PARAM").isin(bad_p)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("PARAMCD", "PARAM"))


@rule("AD0007", "Error", "PARAMCD longer than 8 characters or not a valid name",
      "PARAMCD must be at most 8 characters, start with a letter and hold letters, digits and underscores",
      f"{ADAMIG} 3.3.4 (BDS PARAMCD)", applies_to=("AD*",), needs=("PARAMCD",), standard="adamig")
def check_paramcd(study, ds: DatasetData):
    text = ds.text("PARAMCD")
    mask = text.ne("") & ((text.str.len() > 8) | ~text.str.match(r"^[A-Z][A-Z0-9_]*$"))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("PARAMCD",))


@rule("AD0008", "Error", "Required ADaM variable missing", "Required variable {variable} is not in {dataset}",
      f"{ADAMIG} 3.1; {ADAMIG} 3.3", applies_to=("AD*",), standard="adamig")
def check_adam_required(study, ds: DatasetData):
    from converters.standards import adamig

    if ds.name != "ADSL" and "PARAMCD" not in ds.frame.columns:
        return  # not BDS: OCCDS and other structures have their own required sets
    for var in adamig.variables(ds.name):
        if var.core != "Req":
            continue
        pattern = re.compile("^" + re.sub(r"[xyz]+", lambda m: r"\d" * len(m.group()), var.name) + "$")
        if not any(pattern.match(name) for name in ds.columns):
            yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)
