"""Naming conventions of EDC exports that ``init`` uses to guess SDTM variables: data, not code paths.

Most EDC systems name collected fields after CDASH (CDASHIG 2.x): a field carries the SDTM variable's name, or its
domain prefix and a CDASH stem whose SDTM counterpart differs only in suffix (``AESTDAT`` + ``AESTTIM`` ->
``AESTDTC``, ``AEONGO`` -> ``AEENRTPT``). What follows is that table, plus the few field names common on
non-CDASH forms. Each entry is only a guess that ``init`` writes with its evidence for review.
"""
from __future__ import annotations

#: Collected date and time suffixes (CDASH ``--DAT``, ``--TIM``) and the SDTM suffix of their ISO 8601 variable.
DATE_SUFFIX = "DAT"
TIME_SUFFIX = "TIM"
DTC_SUFFIX = "DTC"
#: Suffixes of the code column of a coded item whose decode has the bare name (``SEX_CD`` beside ``SEX``).
CODE_SUFFIXES = ("_CD", "_CODE", "_C", "_COD")
#: Suffixes of a unit column beside a result column (``ANC_U`` for ``ANC``).
UNIT_SUFFIXES = ("_U", "_UNIT", "U")

#: Field stems (after the two-letter domain prefix, or the whole name) -> SDTM stem, for the domain at hand.
STEM_ALIASES: dict[str, str] = {
    "CTCGR": "TOXGR",  # CTCAE grade
    "CTCAEGR": "TOXGR",
    "GRADE": "TOXGR",
    "TOXGRD": "TOXGR",
    "PRODUCT": "TRT",
    "AGENT": "TRT",
    "DRUG": "TRT",
    "TREATMENT": "TRT",
    "LOTNO": "LOT",
    "DOSEU": "DOSU",
    "DOSUNIT": "DOSU",
    "ADJRSN": "ADJ",
}
#: Whole field names -> (domain, SDTM variable) where the field belongs to another domain's variable.
NAME_ALIASES: dict[str, tuple[str, str]] = {
    "ICDAT": ("DM", "RFICDTC"),  # informed consent date (CDASH collects it in DS as DSSTDAT)
    "RFICDAT": ("DM", "RFICDTC"),
    "CONSDAT": ("DM", "RFICDTC"),
    "DTHDAT": ("DM", "DTHDTC"),
    "BRTHDAT": ("DM", "BRTHDTC"),
    "BIRTHDAT": ("DM", "BRTHDTC"),
}
#: CDASH "ongoing" check box stem -> the SDTM variables it fills (SDTMIG 3.4 section 4.4.7).
ONGOING_STEM = "ONGO"
#: CDASH occurrence question stem (``EXYN``, ``--OCCUR``): records where it is not "Y" did not happen.
OCCURRENCE_STEMS = ("YN", "OCCUR")
#: Columns every form carries that identify rather than describe (never mapped as findings or qualifiers).
IDENTIFIERS = {"STUDYID", "STUDY", "SITEID", "SITE", "SITENO", "SUBJID", "SUBJECT", "SUBJNO", "SUBJ", "SUBJ_ID",
               "SUBJECT_ID", "USUBJID", "PATID", "PATIENT", "PATIENT_ID",
               "FOLDER", "VISIT", "VISNAME", "VISITNAME", "INSTANCENAME", "EVENT", "FORM", "PAGE", "RECORDID",
               "RECORDPOSITION"}
#: Trial-design, relationship and generated datasets: never the domain of a raw form.
NOT_RAW_DOMAINS = {"TA", "TE", "TV", "TI", "TS", "TD", "TM", "SE", "SV", "SUPPQUAL", "RELREC", "RELSPEC", "RELSUB",
                   "CO"}
#: Forms read by a built-in builder through study.yaml rather than by a domain spec.
BUILTIN_DOMAINS = {"IE"}
#: SDTMIG 3.4: the primary-path system organ class fills both --SOC and --BODSYS (and their codes).
SOC_TWINS = {"SOC": ("SOC", "BODSYS"), "SOCCD": ("SOCCD", "BDSYCD")}
#: Long findings forms (one row per test): column names of each role, as stems that may carry the domain prefix
#: (``LBTESTCD``) or stand alone (``TESTCODE``). Only a guess: the test-code column is also found by its values.
LONG_FINDINGS_ROLES: dict[str, tuple[str, ...]] = {
    "TESTCD": ("TESTCD", "TESTCODE", "TEST_CODE", "TSTCD", "TESTCDE", "PARAMCD", "ANALYTECD", "ANALYTE_CD"),
    "TEST": ("TEST", "TESTNAME", "TEST_NAME", "TESTNAM", "TSTNAM", "TESTDESC", "PARAM", "ANALYTE"),
    "ORRES": ("ORRES", "RESULT", "RESULTS", "RES", "RSLT", "VALUE", "RESVAL", "RESULT_VALUE"),
    "ORRESU": ("ORRESU", "UNIT", "UNITS", "RESU", "RESULTU", "RESULT_U", "RESULT_UNIT", "UOM"),
    "SPEC": ("SPEC", "SPECIMEN", "SPECTYPE", "SAMPLE", "SAMPLETYPE", "SAMPTYPE"),
    "CAT": ("CAT", "CATEGORY", "TESTCAT", "PANEL"),
    "ORNRLO": ("ORNRLO", "NRLOW", "NRLO", "NR_LOW", "RANGELO", "RANGELOW", "REFLOW", "NORMLO", "NORMLOW", "LLN"),
    "ORNRHI": ("ORNRHI", "NRHIGH", "NRHI", "NR_HIGH", "RANGEHI", "RANGEHIGH", "REFHIGH", "NORMHI", "NORMHIGH",
               "ULN"),
}
