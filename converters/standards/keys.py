"""Natural keys of the SDTMIG 3.4 domains: the one table the SDTM build (define key sequence when a spec names
none) and the validator (duplicate and sort-order checks when no define is given) both read.

SDTMIG 3.4 section 3.2.1.1 says the natural key of a dataset is the set of variables that makes each record
unique, and asks sponsors to state it in the define (KeySequence); it gives no normative table.  The keys
here follow the official CDISC Define-XML 2.0 SDTM example (``define2-0-0-example-sdtm.xml``, KeySequence of
each ItemGroupDef) where it covers the domain, ordered subject, topic, qualifiers, timing, and the SDTMIG
domain descriptions (one record per ...) elsewhere.  Every key of an Events or Interventions domain ends in
its start timing variable, and Findings keys in VISITNUM and the time point, because the same event,
treatment or test recurs over time.  A variable a dataset lacks is left out of its key.
"""
from __future__ import annotations

#: Dataset -> natural key in sort order (STUDYID first, as in a define's KeySequence).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    # special-purpose
    "DM": ("STUDYID", "USUBJID"),
    "CO": ("STUDYID", "USUBJID", "IDVAR", "IDVARVAL", "COREF", "CODTC"),
    "SE": ("STUDYID", "USUBJID", "SESTDTC", "ETCD"),
    "SM": ("STUDYID", "USUBJID", "MIDSTYPE", "SMSTDTC"),
    "SV": ("STUDYID", "USUBJID", "VISITNUM"),
    # trial design
    "TA": ("STUDYID", "ARMCD", "TAETORD"),
    "TE": ("STUDYID", "ETCD"),
    "TV": ("STUDYID", "VISITNUM", "ARMCD"),
    "TI": ("STUDYID", "IETESTCD", "TIVERS"),
    "TS": ("STUDYID", "TSPARMCD", "TSSEQ"),
    "TD": ("STUDYID", "TDORDER"),
    "TM": ("STUDYID", "MIDSTYPE"),
    # interventions
    "AG": ("STUDYID", "USUBJID", "AGTRT", "AGSTDTC"),
    "CM": ("STUDYID", "USUBJID", "CMTRT", "CMSTDTC"),
    "EC": ("STUDYID", "USUBJID", "ECTRT", "ECMOOD", "ECSTDTC"),
    "EX": ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"),
    "ML": ("STUDYID", "USUBJID", "MLTRT", "MLSTDTC"),
    "PR": ("STUDYID", "USUBJID", "PRTRT", "PRSTDTC"),
    "SU": ("STUDYID", "USUBJID", "SUTRT", "SUSTDTC"),
    # events
    "AE": ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"),
    "BE": ("STUDYID", "USUBJID", "BEREFID", "BETERM", "BESTDTC"),
    "CE": ("STUDYID", "USUBJID", "CEDECOD", "CESTDTC"),
    "DS": ("STUDYID", "USUBJID", "DSCAT", "DSDECOD", "DSSTDTC"),
    "DV": ("STUDYID", "USUBJID", "DVTERM", "DVSTDTC"),
    "HO": ("STUDYID", "USUBJID", "HOTERM", "HOSTDTC"),
    "MH": ("STUDYID", "USUBJID", "MHCAT", "MHTERM", "MHSTDTC"),
    # findings
    "DA": ("STUDYID", "USUBJID", "DATESTCD", "DAREFID", "DADTC"),
    "DD": ("STUDYID", "USUBJID", "DDTESTCD", "DDDTC"),
    "EG": ("STUDYID", "USUBJID", "EGTESTCD", "VISITNUM", "EGTPTREF", "EGTPTNUM"),
    "FA": ("STUDYID", "USUBJID", "FATESTCD", "FAOBJ", "VISITNUM", "FATPTREF", "FATPTNUM"),
    "IE": ("STUDYID", "USUBJID", "IETESTCD"),
    "IS": ("STUDYID", "USUBJID", "ISTESTCD", "ISSPEC", "VISITNUM", "ISTPTREF", "ISTPTNUM"),
    "LB": ("STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "LBMETHOD", "VISITNUM", "LBTPTREF", "LBTPTNUM"),
    "MB": ("STUDYID", "USUBJID", "MBTESTCD", "MBSPEC", "VISITNUM", "MBTPTREF", "MBTPTNUM"),
    "MI": ("STUDYID", "USUBJID", "MITESTCD", "MISPEC", "VISITNUM"),
    "PC": ("STUDYID", "USUBJID", "PCTESTCD", "PCSPEC", "VISITNUM", "PCTPTREF", "PCTPTNUM"),
    "PE": ("STUDYID", "USUBJID", "PETESTCD", "VISITNUM"),
    "PP": ("STUDYID", "USUBJID", "PPTESTCD", "PPSPEC", "PPRFTDTC"),
    "QS": ("STUDYID", "USUBJID", "QSCAT", "QSTESTCD", "VISITNUM", "QSTPTREF", "QSTPTNUM"),
    "RS": ("STUDYID", "USUBJID", "RSTESTCD", "RSEVAL", "RSEVALID", "VISITNUM", "RSDTC"),
    "SC": ("STUDYID", "USUBJID", "SCTESTCD"),
    "TR": ("STUDYID", "USUBJID", "TRLNKID", "TRTESTCD", "TREVAL", "TREVALID", "VISITNUM"),
    "TU": ("STUDYID", "USUBJID", "TULNKID", "TUEVAL", "TUEVALID"),
    "VS": ("STUDYID", "USUBJID", "VSTESTCD", "VSPOS", "VSLOC", "VISITNUM", "VSTPTREF", "VSTPTNUM"),
    # relationships
    "RELREC": ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"),
}
#: Every SUPP-- dataset (SDTMIG 3.4 8.4.1).
SUPP_KEYS: tuple[str, ...] = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")


def natural_key(dataset: str) -> tuple[str, ...] | None:
    """The natural key of ``dataset`` (SUPP-- datasets share one; a split dataset such as QSCG takes its
    domain's), or None for a domain the table does not cover."""
    name = dataset.upper()
    if name.startswith("SUPP"):
        return SUPP_KEYS
    return NATURAL_KEYS.get(name) or NATURAL_KEYS.get(name[:2]) if len(name) > 2 else NATURAL_KEYS.get(name)
