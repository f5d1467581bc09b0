"""Trial design and trial summary: TS parameters and values, TA order."""
from __future__ import annotations

import numpy as np

from converters.validate.data import DatasetData
from converters.validate.iso8601 import invalid_dtc
from converters.validate.model import Hits, rule, rows_of

TS_CITE = "SDTMIG 3.4 7.4.2; SDTMIG 3.4 Appendix C"
#: TS parameters a submission is expected to carry (FDA Study Data Technical Conformance Guide, Trial Summary;
#: SDTMIG 3.4 Appendix C).  SSTDTC is checked on its own (TD0001) because without it the study start date,
#: which decides the standards that apply, is unknown.
TS_EXPECTED = ("ADDON", "AGEMAX", "AGEMIN", "LENGTH", "PLANSUB", "RANDOM", "SEXPOP", "SPONSOR", "TBLIND", "TCNTRL",
               "TINDTP", "TITLE", "TPHASE", "TTYPE", "OBJPRIM", "STYPE", "INTMODEL", "INTTYPE", "NARMS", "SDTIGVER",
               "SDTMVER", "REGID", "HLTSUBJI", "TRT", "PCLAS", "FCNTRY", "ADAPT", "ACTSUB", "SENDTC", "INDIC")
_DATE_PARAMETERS = ("SSTDTC", "SENDTC", "DCUTDTC")


@rule("TD0001", "Error", "TS lacks the study start date", "TS has no SSTDTC (study start date) parameter",
      f"{TS_CITE}; FDA Technical Rejection Criteria for Study Data", applies_to=("TS",), needs=("TSPARMCD",))
def check_sstdtc(study, ds: DatasetData):
    if not ds.text("TSPARMCD").eq("SSTDTC").any():
        yield Hits(dataset=ds.name, variables=("TSPARMCD",), value="SSTDTC")


@rule("TD0002", "Warning", "TS lacks an expected parameter", "TS has no {parameter} parameter", TS_CITE,
      applies_to=("TS",), needs=("TSPARMCD",))
def check_ts_expected(study, ds: DatasetData):
    present = set(ds.text("TSPARMCD"))
    for parameter in TS_EXPECTED:
        if parameter not in present:
            yield Hits(dataset=ds.name, variables=("TSPARMCD",), params={"parameter": parameter}, value=parameter)


@rule("TD0003", "Error", "TS value and null flavor both missing", "TSVAL and TSVALNF are both null", TS_CITE,
      applies_to=("TS",), needs=("TSVAL",))
def check_tsval_missing(study, ds: DatasetData):
    nf = ds.filled("TSVALNF") if "TSVALNF" in ds.frame.columns else ~ds.filled("TSVAL") & False
    mask = ~ds.filled("TSVAL") & ~nf
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVAL"))


@rule("TD0004", "Error", "TS value and null flavor both given", "TSVAL and TSVALNF are both populated", TS_CITE,
      applies_to=("TS",), needs=("TSVAL", "TSVALNF"))
def check_tsval_both(study, ds: DatasetData):
    mask = ds.filled("TSVAL") & ds.filled("TSVALNF")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVAL", "TSVALNF"))


@rule("TD0005", "Error", "TS coded value without its dictionary", "TSVALCD is populated but TSVCDREF is null",
      TS_CITE, applies_to=("TS",), needs=("TSVALCD",))
def check_tsvcdref(study, ds: DatasetData):
    ref = ds.filled("TSVCDREF") if "TSVCDREF" in ds.frame.columns else ds.filled("TSVALCD") & False
    mask = ds.filled("TSVALCD") & ~ref
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVALCD"))


@rule("TD0006", "Error", "TS date parameter not an ISO 8601 date",
      "TSVAL of a date parameter (SSTDTC, SENDTC, DCUTDTC) is not an ISO 8601 date", TS_CITE,
      applies_to=("TS",), needs=("TSPARMCD", "TSVAL"))
def check_ts_dates(study, ds: DatasetData):
    dated = ds.text("TSPARMCD").isin(_DATE_PARAMETERS)
    values = ds.text("TSVAL")
    mask = dated & (invalid_dtc(values) | (values.ne("") & ~values.str.match(r"\d{4}-\d{2}-\d{2}")))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVAL"))


@rule("TD0007", "Error", "TAETORD not a positive integer", "TAETORD is not a positive whole number",
      "SDTMIG 3.4 7.2.1", applies_to=("TA",), needs=("TAETORD",))
def check_taetord(study, ds: DatasetData):
    values = ds.number("TAETORD")
    mask = values.isna() | (values < 1) | (np.floor(values) != values)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TAETORD",))


@rule("TD0008", "Error", "TS dictionary version missing", "TSVCDREF is populated but TSVCDVER is null "
      "(dictionaries other than ISO and CDISC CT need a version)", TS_CITE, applies_to=("TS",),
      needs=("TSVCDREF",))
def check_tsvcdver(study, ds: DatasetData):
    ver = ds.filled("TSVCDVER") if "TSVCDVER" in ds.frame.columns else ds.filled("TSVCDREF") & False
    versionless = ds.text("TSVCDREF").isin(("ISO 8601", "ISO 3166", "ISO 21090", "CDISC"))
    mask = ds.filled("TSVCDREF") & ~versionless & ~ver
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVCDREF"))


@rule("TD0009", "Warning", "TS value longer than 200 characters not split",
      "TSVAL is 200 characters long; longer values continue in TSVAL1, TSVAL2 ...", "SDTMIG 3.4 7.4.2",
      applies_to=("TS",), needs=("TSVAL",))
def check_tsval_split(study, ds: DatasetData):
    mask = ds.text("TSVAL").str.len().ge(200) & ("TSVAL1" not in ds.frame.columns)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD",))
