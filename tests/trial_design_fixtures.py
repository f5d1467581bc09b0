"""A tiny study definition (study.yaml only) for the trial-design builder tests."""
from __future__ import annotations

from pathlib import Path

from converters.spec.study import StudyDefinition, load_study

STUDY = """\
study: {studyid: TD-1, title: Tiny design study, protocol_number: TD-1}
standards: {sdtmig: "3.4", ct: "2025-03-28"}
raw: {folder: raw}
usubjid: {pattern: "{STUDYID}-{SUBJID}"}
arms:
  - {ARMCD: LOW, ARM: Low dose, raw_codes: [L]}
  - {ARMCD: HIGH, ARM: High dose, raw_codes: [H]}
elements:
  - {ETCD: SCRN, ELEMENT: Screening, TESTRL: Informed consent, TEENRL: First dose, TEDUR: P14D}
  - {ETCD: LOW, ELEMENT: Low dose, TESTRL: First dose, TEENRL: 28 days after first dose, TEDUR: P28D}
  - {ETCD: HIGH, ELEMENT: High dose, TESTRL: First dose, TEENRL: 28 days after first dose, TEDUR: P28D}
  - {ETCD: FU, ELEMENT: Follow-up, TESTRL: Day 29, TEENRL: End of study, TEDUR: null}
trial_arms:
  LOW:
    - {TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING, TABRANCH: Assigned to low dose, TATRANS: null}
    - {TAETORD: 2, ETCD: LOW, EPOCH: TREATMENT, TABRANCH: null, TATRANS: null}
    - {TAETORD: 3, ETCD: FU, EPOCH: FOLLOW-UP, TABRANCH: null, TATRANS: null}
  HIGH:
    - {TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING, TABRANCH: Assigned to high dose, TATRANS: null}
    - {TAETORD: 2, ETCD: HIGH, EPOCH: TREATMENT, TABRANCH: null, TATRANS: null}
    - {TAETORD: 3, ETCD: FU, EPOCH: FOLLOW-UP, TABRANCH: null, TATRANS: null}
element_dates:
  - {TAETORD: 1, start: {form: enrol, column: ICDAT}}
  - {TAETORD: 2, start: {form: ex, column: EXDAT, pick: first}}
  - {TAETORD: 3, start: {after_taetord: [2], offset: P28D}}
study_end: {form: ds, column: DSDAT}
visits:
  - {VISITNUM: 1, VISIT: SCREENING, VISITDY: -14, TVSTRL: Informed consent, TVENRL: Day -1, window_before: 0, window_after: 13, raw_folders: [SCR]}
  - {VISITNUM: 2, VISIT: DAY 1, VISITDY: 1, TVSTRL: First dose, TVENRL: null, window_before: 0, window_after: 0, raw_folders: [D1]}
  - {VISITNUM: 3, VISIT: DAY 29, VISITDY: 29, TVSTRL: Day 29 visit, TVENRL: null, window_before: 2, window_after: 2, raw_folders: [D29]}
non_visit_folders: [AE LOG]
trial_summary:
  - {TSPARMCD: TITLE, TSVAL: Tiny design study}
  - {TSPARMCD: TPHASE, TSVAL: PHASE I TRIAL}
  - {TSPARMCD: TTYPE, TSVAL: SAFETY, TSVALCD: C49667, TSVCDREF: CDISC CT, TSVCDVER: "2025-03-28"}
  - {TSPARMCD: TTYPE, TSVAL: TOLERABILITY}
  - {TSPARMCD: RANDOM, TSVAL: N}
  - {TSPARMCD: NARMS, TSVAL: "2"}
  - {TSPARMCD: AGEMIN, TSVAL: P18Y}
  - {TSPARMCD: AGEMAX, TSVAL: null, TSVALNF: PINF}
  - {TSPARMCD: FCNTRY, TSVAL: USA, TSVCDREF: ISO 3166}
  - {TSPARMCD: SSTDTC, TSVAL: null, derive: earliest_consent_date}
  - {TSPARMCD: SENDTC, TSVAL: null, derive: latest_participation_end}
  - {TSPARMCD: ACTSUB, TSVAL: null, derive: treated_subjects}
inclusion_exclusion:
  - {IETESTCD: IN01, IECAT: INCLUSION, IETEST: Aged 18 years or older, full_text: Aged 18 years or older.}
  - {IETESTCD: IN02, IECAT: INCLUSION, IETEST: Adequate organ function, full_text: "Adequate organ function: (a) creatinine at most 2 x ULN; (b) bilirubin at most 2 x ULN."}
  - {IETESTCD: EX01, IECAT: EXCLUSION, IETEST: null, full_text: Pregnant or breastfeeding.}
ie_source: {form: ie, testcd_column: IETESTCD}
"""


def tiny_study(tmp_path: Path, replace: dict[str, str] | None = None, text: str = STUDY) -> StudyDefinition:
    """Load the tiny study.yaml (with ``{old: new}`` text replacements) from ``tmp_path``."""
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return load_study(path)
