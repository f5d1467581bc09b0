"""Value consistency rules, written as data: a condition that marks the failing records.

Each row: ID, severity, title, message, citation, datasets, needed variables, failing
condition (see :mod:`converters.validate.conditions`), CORE ID, FDA ID.  ``--`` stands
for the dataset's prefix.
"""
from __future__ import annotations

import pandas as pd

from converters.validate.conditions import evaluate, variables_of
from converters.validate.model import Hits, Rule, add_rule, rows_of, rule

_SERIOUS = ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD", "AESMIE")
_FINDINGS = ("class:FINDINGS", "class:FINDINGS ABOUT")
_EVENTS_INTERVENTIONS = ("class:EVENTS", "class:INTERVENTIONS")
_GENERAL = (*_FINDINGS, *_EVENTS_INTERVENTIONS)
ND = "SDTMIG 3.4 4.5.1.2"
RES = "SDTMIG 3.4 4.5.1.1"
PRESP = "SDTMIG 3.4 4.5.7"

#: (id, severity, title, message, citation, applies_to, needs, condition, core, fda)
VALUE_RULES: list[tuple] = [
    ("VL0001", "Warning", "Serious event without a seriousness criterion",
     "AESER is Y but no seriousness criterion (AESCAN ... AESMIE) is Y", "SDTMIG 3.4 6.2.1",
     ("AE",), ("AESER",),
     ("all", ("eq", "AESER", "Y"), *[("ne", v, "Y") for v in _SERIOUS]), "", ""),
    ("VL0002", "Error", "Seriousness criterion Y but AESER not Y",
     "A seriousness criterion is Y but AESER is not Y", "SDTMIG 3.4 6.2.1", ("AE",), ("AESER",),
     ("all", ("ne", "AESER", "Y"), ("any", *[("eq", v, "Y") for v in _SERIOUS])), "", ""),
    ("VL0003", "Error", "AESDTH is Y but AEOUT is not FATAL", "AESDTH is Y but AEOUT is not FATAL",
     "SDTMIG 3.4 6.2.1", ("AE",), ("AESDTH", "AEOUT"), ("all", ("eq", "AESDTH", "Y"), ("ne", "AEOUT", "FATAL")),
     "", ""),
    ("VL0004", "Error", "AEOUT is FATAL but AESDTH is not Y", "AEOUT is FATAL but AESDTH is not Y",
     "SDTMIG 3.4 6.2.1", ("AE",), ("AESDTH", "AEOUT"), ("all", ("eq", "AEOUT", "FATAL"), ("ne", "AESDTH", "Y")),
     "", ""),
    ("VL0005", "Error", "Result present for a test not done", "--STAT is NOT DONE but --ORRES has a value", ND,
     _FINDINGS, ("--STAT", "--ORRES"), ("all", ("eq", "--STAT", "NOT DONE"), ("filled", "--ORRES")), "", ""),
    ("VL0006", "Error", "Reason not done without NOT DONE", "--REASND has a value but --STAT is not NOT DONE", ND,
     _GENERAL, ("--REASND",), ("all", ("filled", "--REASND"), ("ne", "--STAT", "NOT DONE")), "", ""),
    ("VL0007", "Warning", "Result missing without NOT DONE", "--ORRES is null and --STAT is not NOT DONE", ND,
     _FINDINGS, ("--ORRES",), ("all", ("blank", "--ORRES"), ("ne", "--STAT", "NOT DONE"),
                               ("ne", "--DRVFL", "Y")), "", ""),
    ("VL0008", "Error", "Original result without standardized result",
     "--ORRES has a value but --STRESC is null", RES, _FINDINGS, ("--ORRES", "--STRESC"),
     ("all", ("filled", "--ORRES"), ("blank", "--STRESC")), "", ""),
    ("VL0009", "Error", "Numeric result without character result", "--STRESN has a value but --STRESC is null", RES,
     _FINDINGS, ("--STRESN", "--STRESC"), ("all", ("filled", "--STRESN"), ("blank", "--STRESC")), "", ""),
    ("VL0010", "Error", "--STRESN differs from --STRESC", "--STRESN does not equal the number in --STRESC", RES,
     _FINDINGS, ("--STRESN", "--STRESC"), ("ne_var_num", "--STRESN", "--STRESC"), "", ""),
    ("VL0011", "Warning", "Numeric --STRESC without --STRESN", "--STRESC is a number but --STRESN is null", RES,
     _FINDINGS, ("--STRESN", "--STRESC"), ("all", ("numeric", "--STRESC"), ("blank", "--STRESN")), "", ""),
    ("VL0012", "Error", "Unit without a result", "--ORRESU has a value but --ORRES is null", RES, _FINDINGS,
     ("--ORRESU", "--ORRES"), ("all", ("filled", "--ORRESU"), ("blank", "--ORRES")), "", ""),
    ("VL0013", "Error", "Standard unit without a standardized result", "--STRESU has a value but --STRESC is null",
     RES, _FINDINGS, ("--STRESU", "--STRESC"), ("all", ("filled", "--STRESU"), ("blank", "--STRESC")), "", ""),
    ("VL0014", "Error", "--OCCUR without a pre-specified question", "--OCCUR has a value but --PRESP is not Y", PRESP,
     _EVENTS_INTERVENTIONS, ("--OCCUR",), ("all", ("filled", "--OCCUR"), ("ne", "--PRESP", "Y")), "", ""),
    ("VL0015", "Error", "Pre-specified without occurrence or status",
     "--PRESP is Y but --OCCUR and --STAT are both null", PRESP, _EVENTS_INTERVENTIONS, ("--PRESP",),
     ("all", ("eq", "--PRESP", "Y"), ("blank", "--OCCUR"), ("blank", "--STAT")), "", ""),
    ("VL0016", "Error", "--OCCUR given for a question not asked", "--STAT is NOT DONE but --OCCUR has a value", PRESP,
     _EVENTS_INTERVENTIONS, ("--STAT", "--OCCUR"), ("all", ("eq", "--STAT", "NOT DONE"), ("filled", "--OCCUR")),
     "", ""),
    ("VL0017", "Error", "AGE without AGEU", "AGE has a value but AGEU is null", "SDTMIG 3.4 5.2", ("DM",),
     ("AGE",), ("all", ("filled", "AGE"), ("blank", "AGEU")), "", ""),
    ("VL0018", "Error", "AGEU without AGE", "AGEU has a value but AGE is null", "SDTMIG 3.4 5.2", ("DM",),
     ("AGEU", "AGE"), ("all", ("filled", "AGEU"), ("blank", "AGE")), "", ""),
    ("VL0019", "Error", "Negative age", "AGE is negative", "SDTMIG 3.4 5.2", ("DM",), ("AGE",), ("lt", "AGE", 0),
     "", ""),
    ("VL0020", "Error", "Negative dose", "--DOSE is negative", "SDTMIG 3.4 6.1", ("class:INTERVENTIONS",),
     ("--DOSE",), ("lt", "--DOSE", 0), "", ""),
    ("VL0021", "Error", "Dose given as number and as text", "--DOSE and --DOSTXT are both populated",
     "SDTMIG 3.4 6.1", ("class:INTERVENTIONS",), ("--DOSE", "--DOSTXT"),
     ("all", ("filled", "--DOSE"), ("filled", "--DOSTXT")), "", ""),
    ("VL0022", "Warning", "Dose unit without a dose", "--DOSU has a value but --DOSE and --DOSTXT are null",
     "SDTMIG 3.4 6.1", ("class:INTERVENTIONS",), ("--DOSU",),
     ("all", ("filled", "--DOSU"), ("blank", "--DOSE"), ("blank", "--DOSTXT")), "", ""),
    ("VL0023", "Error", "Flag holds a value other than Y", "{variable} must be Y or null",
     "SDTMIG 3.4 4.3.7", ("*",), (), None, "", ""),  # expanded below, one rule for all Y-or-null flags
    ("VL0024", "Warning", "Standard normal range low above high", "--STNRLO is greater than --STNRHI",
     "SDTMIG 3.4 6.3", _FINDINGS, ("--STNRLO", "--STNRHI"), ("gt_var", "--STNRLO", "--STNRHI"), "", ""),
    ("VL0025", "Warning", "Original normal range low above high", "--ORNRLO is greater than --ORNRHI",
     "SDTMIG 3.4 6.3", _FINDINGS, ("--ORNRLO", "--ORNRHI"), ("gt_var", "--ORNRLO", "--ORNRHI"), "", ""),
    ("VL0026", "Error", "ARMNRS given though no arm variable is null",
     "ARMNRS has a value but ARMCD and ACTARMCD are both populated (ARMNRS gives the reason one of them is null)",
     "SDTMIG 3.4 5.2 (ARMNRS; DM assumptions)", ("DM",), ("ARMNRS", "ARMCD", "ACTARMCD"),
     ("all", ("filled", "ARMNRS"), ("filled", "ARMCD"), ("filled", "ACTARMCD")), "", ""),
    ("VL0027", "Error", "Neither arm nor reason for no arm", "ARMCD is null and ARMNRS is null",
     "SDTMIG 3.4 5.2", ("DM",), ("ARMCD",), ("all", ("blank", "ARMCD"), ("blank", "ARMNRS")),
     "", ""),
    ("VL0028", "Error", "End relative to reference without reference point",
     "--ENRTPT has a value but --ENTPT is null", "SDTMIG 3.4 4.4.7", _GENERAL, ("--ENRTPT",),
     ("all", ("filled", "--ENRTPT"), ("blank", "--ENTPT")), "", ""),
    ("VL0029", "Error", "Start relative to reference without reference point",
     "--STRTPT has a value but --STTPT is null", "SDTMIG 3.4 4.4.7", _GENERAL, ("--STRTPT",),
     ("all", ("filled", "--STRTPT"), ("blank", "--STTPT")), "", ""),
    ("VL0030", "Error", "VISIT without VISITNUM", "VISIT has a value but VISITNUM is null", "SDTMIG 3.4 4.4.5",
     ("*",), ("VISIT",), ("all", ("filled", "VISIT"), ("blank", "VISITNUM")), "", ""),
    ("VL0031", "Warning", "Time point without its number", "--TPT has a value but --TPTNUM is null",
     "SDTMIG 3.4 4.4.10", _GENERAL, ("--TPT",), ("all", ("filled", "--TPT"), ("blank", "--TPTNUM")), "", ""),
    ("VL0032", "Error", "Supplemental qualifier without a value", "QVAL is null", "SDTMIG 3.4 8.4.1",
     ("SUPP*",), ("QVAL",), ("blank", "QVAL"), "", ""),
    ("VL0033", "Error", "IDVAR and IDVARVAL not both given", "IDVAR and IDVARVAL must both be given or both null",
     "SDTMIG 3.4 8.4.1", ("SUPP*",), ("IDVAR", "IDVARVAL"),
     ("any", ("all", ("filled", "IDVAR"), ("blank", "IDVARVAL")), ("all", ("blank", "IDVAR"), ("filled", "IDVARVAL"))),
     "", ""),
    ("VL0034", "Warning", "Inclusion criterion recorded as met",
     "IE holds an INCLUSION criterion answered Y; IE records only criteria not met", "SDTMIG 3.4 6.3 (IE)",
     ("IE",), ("IECAT", "IESTRESC"), ("all", ("eq", "IECAT", "INCLUSION"), ("eq", "IESTRESC", "Y")), "", ""),
    ("VL0035", "Warning", "Exclusion criterion recorded as not met",
     "IE holds an EXCLUSION criterion answered N; IE records only criteria not met", "SDTMIG 3.4 6.3 (IE)",
     ("IE",), ("IECAT", "IESTRESC"), ("all", ("eq", "IECAT", "EXCLUSION"), ("eq", "IESTRESC", "N")), "", ""),
    ("VL0036", "Warning", "Standardized result without original result",
     "--STRESC has a value but --ORRES is null and --DRVFL is not Y", RES, _FINDINGS, ("--STRESC", "--ORRES"),
     ("all", ("filled", "--STRESC"), ("blank", "--ORRES"), ("ne", "--DRVFL", "Y")), "", ""),
    ("VL0037", "Warning", "Baseline flag on a record without result", "--LOBXFL is Y but --STRESC is null",
     "SDTMIG 3.4 4.5.9", _FINDINGS, ("--LOBXFL", "--STRESC"), ("all", ("eq", "--LOBXFL", "Y"), ("blank", "--STRESC")),
     "", ""),
    ("VL0038", "Warning", "No dose recorded", "--DOSE and --DOSTXT are both null", "SDTMIG 3.4 6.1.4 (EX)",
     ("EX", "EC"), ("--DOSE",), ("all", ("blank", "--DOSE"), ("blank", "--DOSTXT")), "", ""),
    ("VL0039", "Warning", "Standard unit missing where original unit given",
     "--ORRESU has a value and --STRESC is populated but --STRESU is null", RES, _FINDINGS,
     ("--ORRESU", "--STRESU"), ("all", ("filled", "--ORRESU"), ("filled", "--STRESC"), ("blank", "--STRESU")),
     "", ""),
]

_Y_FLAGS = ("--BLFL", "--LOBXFL", "--DRVFL", "DTHFL")


def _condition_check(condition, shown):
    def check(study, ds):
        mask = evaluate(condition, ds)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask),
                       variables=tuple(n for n in (ds.var(v) for v in shown) if n in ds.frame.columns))
    return check


def _check_y_flags(study, ds):
    for generic in _Y_FLAGS:
        name = ds.var(generic)
        if name in ds.frame.columns:
            mask = ds.unique_mask(name, lambda u: u.ne("") & u.ne("Y"))  # per distinct value
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


for _id, _sev, _title, _msg, _cite, _applies, _needs, _cond, _core, _fda in VALUE_RULES:
    _check = _check_y_flags if _cond is None else _condition_check(_cond, variables_of(_cond))
    add_rule(Rule(id=_id, severity=_sev, title=_title, message=_msg, citation=_cite, check=_check,
                  applies_to=_applies, needs=_needs, core=_core, fda=_fda))


_ARM_CODES_BEFORE_3_3 = ("SCRNFAIL", "NOTASSGN", "NOTTRT")


@rule("VL0040", "Error", "Screen-failure or not-assigned code used as an arm",
      "{variable} holds {value}; since SDTMIG 3.3 ARMCD/ACTARMCD are null for such subjects and ARMNRS gives why",
      "SDTMIG 3.4 5.2 (DM assumptions: ARMNRS); SDTMIG 3.1.2 and 3.2 5.2 (DM) used SCRNFAIL, NOTASSGN",
      applies_to=("DM",), since="3.3")
def check_pseudo_arm_codes(study, ds):
    for name in ("ARMCD", "ACTARMCD"):
        if name in ds.frame.columns:
            mask = ds.text(name).isin(_ARM_CODES_BEFORE_3_3)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,),
                           params={"value": "/".join(sorted(set(ds.text(name)[mask])))})


#: AGEU -> factor to years (CT AGEU terms), for the plausibility bound.
_TO_YEARS = {"YEARS": 1.0, "MONTHS": 1 / 12, "WEEKS": 7 / 365.25, "DAYS": 1 / 365.25, "HOURS": 1 / 8766}
MAX_AGE_YEARS = 120


@rule("VL0041", "Warning", "Implausible age", f"AGE is more than {MAX_AGE_YEARS} years (in AGEU)",
      "SDTMIG 3.4 5.2 (AGE, AGEU)", applies_to=("DM",), needs=("AGE",))
def check_age_plausible(study, ds):
    unit = ds.text("AGEU") if "AGEU" in ds.frame.columns else None
    factor = unit.map(_TO_YEARS).fillna(1.0) if unit is not None else 1.0
    years = ds.number("AGE") * factor
    mask = years.gt(MAX_AGE_YEARS)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=tuple(n for n in ("AGE", "AGEU")
                                                                         if n in ds.frame.columns))


def _graded_in_supp(study, ds) -> pd.Series:
    """AE records with a grade in SUPPAE (a qualifier labelled as a grade, e.g. ASTCT Consensus Grade for CRS)."""
    supp = study.get("SUPPAE")
    out = pd.Series(False, index=ds.frame.index)
    if supp is None or "AESEQ" not in ds.frame.columns or \
            not supp.has("USUBJID", "IDVAR", "IDVARVAL", "QLABEL", "QVAL"):
        return out
    grade = supp.text("QLABEL").str.upper().str.contains("GRADE") & supp.filled("QVAL") & \
        supp.text("IDVAR").eq("AESEQ")
    if grade.any():
        known = pd.MultiIndex.from_arrays([supp.text("USUBJID")[grade], supp.text("IDVARVAL")[grade]])
        found = pd.MultiIndex.from_arrays([ds.text("USUBJID"), ds.text("AESEQ")]).isin(known)
        out = pd.Series(found, index=ds.frame.index)
    return out


@rule("VL0042", "Warning", "Adverse event not graded although the study grades",
      "AETOXGR is null, with no AESEV and no grade in SUPPAE, although other AE records of the study are graded",
      "SDTMIG 3.4 6.2.1 (AE: AESEV, AETOXGR); SDTMIG 3.4 8.4 (SUPPAE)", applies_to=("AE",), needs=("AETOXGR",))
def check_toxgr_missing(study, ds):
    graded = ds.filled("AETOXGR")
    if not graded.any():
        return  # the study does not grade with a toxicity scale
    severity = ds.filled("AESEV") if "AESEV" in ds.frame.columns else ~graded & False
    mask = ~graded & ~severity
    if mask.any():
        mask &= ~_graded_in_supp(study, ds)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=tuple(n for n in ("AEDECOD", "AETERM", "AETOXGR")
                                                                         if n in ds.frame.columns))
