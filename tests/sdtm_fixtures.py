"""A tiny study (study.yaml, DM/AE/EX specs, raw CSVs) written into a folder, for engine tests."""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent

STUDY = """\
study: {studyid: TINY-1, title: Tiny study, protocol_number: TINY-1}
standards: {sdtmig: "3.4", ct: "2025-03-28"}
raw: {folder: raw}
usubjid: {pattern: "{STUDYID}-{SUBJID}"}
arms:
  - {ARMCD: LOW, ARM: Low dose, raw_codes: [L]}
elements:
  - {ETCD: SCRN, ELEMENT: Screening, TESTRL: Consent, TEENRL: First dose, TEDUR: null}
  - {ETCD: TRT, ELEMENT: Treatment, TESTRL: First dose, TEENRL: 28 days, TEDUR: P28D}
  - {ETCD: FU, ELEMENT: Follow-up, TESTRL: Day 29, TEENRL: End of study, TEDUR: null}
trial_arms:
  LOW:
    - {TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING}
    - {TAETORD: 2, ETCD: TRT, EPOCH: TREATMENT}
    - {TAETORD: 3, ETCD: FU, EPOCH: FOLLOW-UP}
element_dates:
  - {TAETORD: 1, start: {form: dm, column: ICDAT}}
  - {TAETORD: 2, start: {form: ex, column: EXDAT, pick: first}}
  - {TAETORD: 3, start: {after_taetord: [2], offset: P28D}}
study_end: {form: dm, column: ENDDAT}
reference_start: {form: ex, column: EXDAT, pick: first}
reference_end: {form: ex, column: EXDAT, pick: last}
visits:
  - {VISITNUM: 1, VISIT: SCREENING, VISITDY: -14, raw_folders: [SCR]}
  - {VISITNUM: 2, VISIT: DAY 1, VISITDY: 1, raw_folders: [D1]}
value_maps:
  sex: {"1": M, "2": F}
"""

DM = """\
domain: DM
source: dm
variables:
  STUDYID:  {assign: STUDYID}
  DOMAIN:   {hardcode: DM}
  USUBJID:  {derive: usubjid}
  SUBJID:   {assign: SUBJID}
  RFSTDTC:  {derive: source_date, args: {source: reference_start}}
  RFENDTC:  {derive: source_date, args: {source: reference_end}}
  RFICDTC:  {datetime: ICDAT}
  RFPENDTC: {derive: source_date, args: {source: study_end}}
  SITEID:   {assign: SITEID}
  AGE:      {assign: AGE}
  SEX:      {assign_ct: SEX_CD, codelist: SEX, value_map: sex}
  ARMCD:    {assign_ct: ARM_CD, value_map: arms}
  ARM:      {derive: arm_name, args: {from: ARMCD}}
  ACTARMCD: {derive: actual_arm, args: {variable: ARMCD}}
  ACTARM:   {derive: actual_arm, args: {variable: ARM}}
  ARMNRS:   {derive: arm_null_reason}
  COUNTRY:  {hardcode: USA}
supp:
  HEIGHTU:  {assign: HTU, label: Height Unit}
"""

AE = """\
domain: AE
source: ae
variables:
  STUDYID:  {assign: STUDYID}
  DOMAIN:   {hardcode: AE}
  USUBJID:  {derive: usubjid}
  AESEQ:    {seq: {by: USUBJID, order: [AESTDTC, AETERM]}}
  AETERM:   {assign: TERM, crf_page: "12"}
  AEDECOD:  {assign: PT}
  AESER:    {assign_ct: SER, codelist: NY}
  EPOCH:    {epoch: AESTDTC}
  AESTDTC:  {datetime: [STDAT, STTIM]}
  AEENDTC:  {datetime: ENDAT}
  AESTDY:   {study_day: AESTDTC}
  AEENDY:   {study_day: AEENDTC}
supp:
  AEDLT:    {assign_ct: DLT, codelist: NY, label: Dose Limiting Toxicity}
"""

EX = """\
domain: EX
source: ex
variables:
  STUDYID:  {assign: STUDYID}
  DOMAIN:   {hardcode: EX}
  USUBJID:  {derive: usubjid}
  EXSEQ:    {seq: [EXSTDTC]}
  EXTRT:    {hardcode: DRUG X}
  EXDOSE:   {assign: DOSE}
  EXDOSU:   {hardcode: mg, codelist: UNIT}
  EPOCH:    {epoch: EXSTDTC}
  EXSTDTC:  {datetime: EXDAT}
  EXSTDY:   {study_day: EXSTDTC}
"""

RAW = {
    "dm": """\
STUDYID,SITEID,SUBJID,ICDAT,ENDDAT,AGE,SEX_CD,ARM_CD,HTU
TINY-1,01,001,01-JAN-2025,30-JUN-2025,54,1,L,cm
TINY-1,01,002,03-JAN-2025,20-JAN-2025,61,2,,
TINY-1,01,003,05-JAN-2025,30-JUN-2025,47,9,L,in
""",
    "ex": """\
STUDYID,SITEID,SUBJID,EXDAT,DOSE
TINY-1,01,001,10-JAN-2025,5
TINY-1,01,001,17-JAN-2025,5
TINY-1,01,001,17-JAN-2025,5
TINY-1,01,003,12-JAN-2025,five
""",
    "ae": """\
STUDYID,SITEID,SUBJID,TERM,PT,SER,STDAT,STTIM,ENDAT,DLT
TINY-1,01,001,Headache,Headache,N,09-JAN-2025,,10-JAN-2025,N
TINY-1,01,001,Fever,Pyrexia,Y,11-JAN-2025,08:00,08-JAN-2025,Y
TINY-1,01,001,Rash,Rash,N,31-FEB-2025,,,
TINY-1,01,001,Nausea,Nausea,maybe,UN-MAR-2025,,,
TINY-1,01,099,Cough,Cough,N,12-JAN-2025,,,
TINY-1,01,001,,Fatigue,N,20-FEB-2025,,,
""",
}


def write_tiny_study(root: Path, specs: dict[str, str] | None = None) -> Path:
    """Write the tiny study under ``root``; returns its mappings folder."""
    mappings = Path(root) / "tiny"
    (mappings / "sdtm").mkdir(parents=True)
    (mappings / "raw").mkdir()
    (mappings / "study.yaml").write_text(STUDY, encoding="utf-8")
    for name, text in (specs or {"dm": DM, "ae": AE, "ex": EX}).items():
        (mappings / "sdtm" / f"{name}.yaml").write_text(dedent(text), encoding="utf-8")
    for name, text in RAW.items():
        (mappings / "raw" / f"{name}.csv").write_text(text, encoding="utf-8")
    return mappings
