"""Example study A: CARNK-SCLC-101, dual-target CAR-NK in relapsed/refractory small cell lung cancer.

Study-specific forms: tumour antigen IHC at screening (``ihc``) and RECIST 1.1
tumour response every 6 weeks (``rs``) with its lesions (``tl``, ``ntl``, ``nl``; ``recist.py``).  The eligibility form (``ie``) is
exported in cp1252, as some EDCs do for sites with accented comments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import kinetics, recist
from .common import crf_date, decode, fmt_int, pick, repeat_each, text_frame
from .design import Arm, Criterion, DoseLevel, Site, StudyDesign
from .forms import KEYS, _keys
from .plan import CR, NE, PD, PR, SD
from .problems import Problem

DESIGN = StudyDesign(
    key="carnk-sclc",
    studyid="CARNK-SCLC-101",
    sites=[
        Site("101", "Boston Thoracic Oncology Center", "USA", "United States"),
        Site("102", "Houston Cancer Institute", "USA", "United States"),
        Site("201", "Universitätsklinikum Heidelberg", "DEU", "Germany", birth_year_only=True),
        Site("202", "Klinikum München Thoraxonkologie", "DEU", "Germany", birth_year_only=True),
        Site("301", "Hospital Clínic Barcelona", "ESP", "Spain"),
    ],
    arms=[
        Arm("A1", "DLL3CD56", "DLL3/CD56 CAR-NK dose escalation", "DLL3/CD56 CAR-NK", (0.05, 0.12, 0.28)),
        Arm("A2", "DLL3GD2", "DLL3/GD2 CAR-NK dose escalation", "DLL3/GD2 CAR-NK", (0.04, 0.10, 0.22)),
        Arm("A3", "CD56GD2", "CD56/GD2 CAR-NK dose escalation", "CD56/GD2 CAR-NK", (0.08, 0.18, 0.35)),
    ],
    dose_levels=[
        DoseLevel("DL1", 100, "DL1: 1 x 10^8 cells per infusion"),
        DoseLevel("DL2", 300, "DL2: 3 x 10^8 cells per infusion"),
        DoseLevel("DL3", 1000, "DL3: 1 x 10^9 cells per infusion"),
    ],
    expansion_arm=Arm("B1", "EXPDLL3GD2", "DLL3/GD2 CAR-NK phase 2 expansion at RP2D", "DLL3/GD2 CAR-NK"),
    expansion_from=1,
    expansion_cohort_size=10 ** 9,
    ld_agents=[("Fludarabine", "FLU", 30, "mg/m2"), ("Cyclophosphamide", "CY", 500, "mg/m2")],
    criteria=[
        Criterion("IN01", "Inclusion", "Age 18 years or older at consent", 0.01),
        Criterion("IN02", "Inclusion", "Histologically or cytologically confirmed small cell lung cancer", 0.03),
        Criterion("IN03", "Inclusion", "Relapsed or refractory after at least one platinum-based regimen", 0.10),
        Criterion("IN04", "Inclusion", "Tumour expresses DLL3, CD56 or GD2 by immunohistochemistry", 0.22),
        Criterion("IN05", "Inclusion", "At least one measurable lesion per RECIST 1.1", 0.08),
        Criterion("IN06", "Inclusion", "ECOG performance status 0 or 1", 0.10),
        Criterion("IN07", "Inclusion", "Life expectancy of at least 12 weeks", 0.03),
        Criterion("IN08", "Inclusion", "Adequate bone marrow, renal, hepatic and cardiac function", 0.14,
                  waivable=True),
        Criterion("IN09", "Inclusion", "Negative pregnancy test if of childbearing potential", 0.0),
        Criterion("IN10", "Inclusion", "Signed and dated informed consent", 0.0),
        Criterion("EX01", "Exclusion", "Untreated or symptomatic brain metastases", 0.08),
        Criterion("EX02", "Exclusion", "Systemic anticancer therapy within 2 weeks before lymphodepletion", 0.04),
        Criterion("EX03", "Exclusion", "Prior CAR or other genetically modified cell therapy", 0.02),
        Criterion("EX04", "Exclusion", "Active autoimmune disease needing systemic treatment", 0.02),
        Criterion("EX05", "Exclusion", "Active uncontrolled infection, HIV, or active hepatitis B or C", 0.04),
        Criterion("EX06", "Exclusion", "Clinically significant cardiac disease or LVEF below 45%", 0.03),
        Criterion("EX07", "Exclusion", "Interstitial lung disease or pneumonitis needing steroids", 0.02),
        Criterion("EX08", "Exclusion", "Systemic corticosteroids above 10 mg/day prednisone within 7 days", 0.02),
        Criterion("EX09", "Exclusion", "Pregnant or breastfeeding", 0.0),
        Criterion("EX10", "Exclusion", "Hypersensitivity to fludarabine, cyclophosphamide or product components",
                  0.01),
    ],
    default_subjects=60,
    screen_fail_ratio=0.25,
    first_enrol="2023-03-06",
    expansion_months=12,
    cycle2=True,
    data_cutoff="2026-06-30",
    assess_days=tuple(42 * j for j in range(1, 17)),
    best_response_probs=(0.03, 0.14, 0.38, 0.40, 0.05),
    age_median=63,
    male_fraction=0.62,
    subjects_per_site=400,
    extra_site_countries=[("1", "USA", "United States", False), ("2", "DEU", "Germany", True),
                          ("3", "ESP", "Spain", False)],
)

#: file name -> (columns, encoding) of the study-specific forms
IHC_COLUMNS = KEYS + ["FOLDER", "IHCDAT", "SPECTYPE", "ANTIGEN", "PCTPOS", "INTENS_CD", "INTENS", "HSCORE",
                      "IHCRES"]
RS_COLUMNS = KEYS + ["FOLDER", "RSDAT", "TRGSUM", "TRGRESP", "NTRGRESP", "NEWLES", "OVRLRESP_CD", "OVRLRESP",
                     "RSEVAL"]
EXTRA_FORMS = {"ihc": IHC_COLUMNS, "rs": RS_COLUMNS, **recist.FORMS}
EXTRA_FORMS["ck"] = kinetics.CK_COLUMNS   # cellular kinetics (qPCR), random stream 6
#: forms exported in another encoding than UTF-8
ENCODINGS = {"ie": "cp1252"}

INTENSITY = {0: "Negative", 1: "Weak (1+)", 2: "Moderate (2+)", 3: "Strong (3+)"}
RESPONSE = {CR: "Complete response", PR: "Partial response", SD: "Stable disease", PD: "Progressive disease",
            NE: "Not evaluable"}
RESPONSE_ABBR = np.array(["CR", "PR", "SD", "PD", "NE"], dtype=object)


def ihc_form(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Tumour antigen profiling at screening: DLL3, CD56 and GD2 per subject."""
    n = len(b)
    rows = np.repeat(np.arange(n), 3)
    antigen = np.tile(np.array(["DLL3", "CD56", "GD2"], dtype=object), n)
    p_pos = np.tile(np.array([0.82, 0.88, 0.55]), n)
    pos = rng.random(3 * n) < p_pos
    pct = np.where(pos, rng.integers(10, 101, 3 * n), rng.integers(0, 10, 3 * n))
    intens = np.where(pos, 1 + pick(rng, 3 * n, [0.3, 0.4, 0.3]), np.where(pct > 0, 1, 0))
    hscore = np.minimum(pct * intens + np.where(pos, rng.integers(0, 30, 3 * n), 0), 300)
    day = b["consent_day"].to_numpy()[rows] + rng.integers(2, 9, n).repeat(3)
    spec = np.where(rng.random(n) < 0.7, "Archival tumour tissue", "Fresh core biopsy").repeat(3)
    return text_frame({"STUDYID": DESIGN.studyid, "SITEID": b["siteid"].to_numpy()[rows],
                       "SUBJID": b["subjid"].to_numpy()[rows], "FOLDER": "SCREENING", "IHCDAT": crf_date(day),
                       "SPECTYPE": spec, "ANTIGEN": antigen, "PCTPOS": fmt_int(pct), "INTENS_CD": fmt_int(intens),
                       "INTENS": decode(intens, INTENSITY), "HSCORE": fmt_int(hscore),
                       "IHCRES": np.where(pos, "Positive", "Negative")}, 3 * n)


def response_rows(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Post-baseline assessments with their overall response (numeric), one row per assessment."""
    subj, j = repeat_each(b["n_assess"].to_numpy(), start=1)  # j: assessment number
    best = b["best_planned"].to_numpy()[subj]
    prog = b["prog_idx"].to_numpy()[subj]
    first_sd = rng.random(len(subj)) < 0.4
    resp = np.select([j == prog, best == PD, best == SD, (best == PR) & (j == 1) & first_sd, best == PR,
                      (best == CR) & (j == 1), best == CR], [PD, PD, SD, SD, PR, PR, CR], NE)
    resp = np.where((resp != PD) & (rng.random(len(subj)) < 0.03), NE, resp)
    assess = b[[f"assess_{k}" for k in range(1, 17)]].to_numpy()
    day = assess[subj, j - 1]
    return pd.DataFrame({"subj": subj, "visit": j, "day": day, "resp": resp})


def rs_form(b: pd.DataFrame, comp: pd.DataFrame) -> pd.DataFrame:
    """RECIST 1.1 assessments: a baseline row at screening, then every 6 weeks until progression.

    The target sum, target, non-target and new-lesion columns follow from the lesion forms
    (``recist.lesion_forms``); the overall response is the plan's, which the lesions reproduce.
    """
    subj, visit, post = comp["subj"].to_numpy(), comp["visit"].to_numpy(), comp["visit"].to_numpy() > 0
    total = comp["TRGSUM"].to_numpy()
    ovr = comp["OVRLRESP"].to_numpy()
    code = pd.Series(ovr).map({abbr: i for i, abbr in enumerate(RESPONSE_ABBR)}).fillna(-1).to_numpy().astype(int)
    return text_frame({**_keys(DESIGN, b, subj),
                       "FOLDER": np.where(post, "WEEK " + fmt_int(6 * visit), "SCREENING"),
                       "RSDAT": crf_date(comp["day"].to_numpy()),
                       "TRGSUM": np.where(np.isnan(total), "", fmt_int(np.nan_to_num(total))),
                       "TRGRESP": comp["TRGRESP"].to_numpy(), "NTRGRESP": comp["NTRGRESP"].to_numpy(),
                       "NEWLES": comp["NEWLES"].to_numpy(), "OVRLRESP_CD": fmt_int(code + 1, blank=~post),
                       "OVRLRESP": np.where(post, decode(np.maximum(code, 0), RESPONSE), ""),
                       "RSEVAL": "Investigator"}, len(comp))


def extra_forms(b: pd.DataFrame, rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The study-specific forms of a batch and the per-assessment responses (for the expected answers)."""
    resp = response_rows(b, rng)
    ihc = ihc_form(b, rng)
    lesions, comp, known = recist.lesion_forms(DESIGN, b, resp, b["consent_day"].to_numpy() + 3,
                                               recist.own_stream(rng))
    return {"ihc": ihc, "rs": rs_form(b, comp), **lesions, "ck": kinetics.ck_form(DESIGN, b, rng),
            "expected/recist": known}, resp


BEST_ORDER = {CR: 0, PR: 1, SD: 2, PD: 3, NE: 4}
RESPONSE_CODES = RESPONSE_ABBR

NO_RESPONSE = "NE"          # treated subject without any post-baseline assessment
AE_WEIGHT, AE_RATE = "weight_a", 3.0

#: tests of the central lab form (``lab``), whether it reports conventional units, the first assessment's folder
LAB_TESTS = ["ANC", "PLT", "HGB", "WBC", "LYMPH", "CREAT", "TBIL", "ALT", "AST", "INR", "APTT", "CRP", "FERR", "IL6"]
LAB_CONVENTIONAL = True
LAB_ASSESS_FOLDER = "WEEK 6"

PROBLEMS = [
    Problem("impossible_date", "ae", "AESTDAT", "31-FEB"),
    Problem("unknown_subject", "ae", "SUBJID"),
    Problem("duplicate", "carnk", "EXSTDAT"),
    Problem("unmapped_code", "ae", "AEOUT", "Stabilised", "AEOUT_CD", "7"),
    Problem("stop_before_start", "ae", "AEENDAT", "AESTDAT"),
]
