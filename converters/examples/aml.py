"""Example study B: CLL1-NK-101 (NCT06027853), CLL1 CAR-iPSC-NK cells in relapsed/refractory AML.

Study-specific forms: screening disease assessment (``scrn``: disease status,
ECOG, CLL1 expression, donor-specific antibodies), bone marrow blasts
(``bm``), blood counts with circulating blasts (``cbc``), chimerism (``chim``, % product DNA in
peripheral blood up to about 2 years), extramedullary disease (``emd``) and ELN 2022 response (``rsp``).

The marrow blasts, peripheral counts and extramedullary disease of every assessment agree with the
investigator's ELN 2022 category (Dohner et al., Blood 2022;140:1345-1377, Table 6; the rules are
spelled out in ``tests/test_eln_response.py``).  What was added for that (circulating blasts, the ``emd``
form) draws from random stream 5, so the forms drawn from stream 2 stay as they were.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .common import crf_date, crf_time, decode, fmt_fixed, fmt_int, pick, repeat_each, text_frame
from .design import Arm, Criterion, DoseLevel, Site, StudyDesign
from .forms import KEYS, _keys
from .plan import CR, PD, PR, SD
from .problems import Problem

DESIGN = StudyDesign(
    key="cll1-aml",
    studyid="CLL1-NK-101",
    sites=[Site("01", "First Affiliated Hospital, Zhejiang University School of Medicine", "CHN", "China")],
    arms=[Arm("CLL1NK", "", "CLL1 CAR-iPSC-NK", "CLL1 CAR-iPSC-NK", (0.02, 0.05, 0.12, 0.30))],
    dose_levels=[
        DoseLevel("DL1", 300, "Dose level 1: 3 x 10^8 cells per infusion"),
        DoseLevel("DL2", 1000, "Dose level 2: 1 x 10^9 cells per infusion"),
        DoseLevel("DL3", 2000, "Dose level 3: 2 x 10^9 cells per infusion"),
        DoseLevel("DL4", 3000, "Dose level 4: 3 x 10^9 cells per infusion"),
    ],
    expansion_arm=None,
    expansion_from=0,
    expansion_cohort_size=6,
    ld_agents=[("Fludarabine", "FLU", 30, "mg/m2"), ("Cyclophosphamide", "CY", 300, "mg/m2")],
    criteria=[
        Criterion("IN01", "Inclusion", "Aged 18 years or older", 0.01),
        Criterion("IN02", "Inclusion", "Confirmed relapsed or refractory AML", 0.05),
        Criterion("IN03", "Inclusion", "AML blasts positive for CLL1", 0.22),
        Criterion("IN04", "Inclusion", "ECOG 0 or 1 and life expectancy over 12 weeks", 0.10),
        Criterion("IN05", "Inclusion", "Adequate renal, hepatic and coagulation function", 0.12, waivable=True),
        Criterion("IN06", "Inclusion", "Negative serum pregnancy test if of childbearing potential", 0.0),
        Criterion("IN07", "Inclusion", "Donor-specific antibodies negative (MFI 2000 or less)", 0.12),
        Criterion("IN08", "Inclusion", "Signed and dated informed consent", 0.0),
        Criterion("EX01", "Exclusion", "Allergy to any study drug", 0.01),
        Criterion("EX02", "Exclusion", "Recent anticancer, steroid, radiation or cell therapy (washout not met)", 0.06),
        Criterion("EX03", "Exclusion", "Prior allogeneic stem cell transplant", 0.06),
        Criterion("EX04", "Exclusion", "Vaccination within 4 weeks or expected during the study", 0.01),
        Criterion("EX05", "Exclusion", "Active CNS leukaemia", 0.03),
        Criterion("EX06", "Exclusion", "Acute promyelocytic leukaemia", 0.01),
        Criterion("EX07", "Exclusion", "Other malignancy unless in remission for over 5 years", 0.02),
        Criterion("EX08", "Exclusion", "Active autoimmune disease", 0.01),
        Criterion("EX09", "Exclusion", "History of CNS disease or meningeal involvement", 0.02),
        Criterion("EX10", "Exclusion", "Serious cardiovascular or cerebrovascular disease", 0.03),
        Criterion("EX11", "Exclusion", "Active lung infection, SpO2 90% or less, or chronic lung disease", 0.03),
        Criterion("EX12", "Exclusion", "Uncontrolled infection, HIV, or active hepatitis B or C", 0.04),
        Criterion("EX13", "Exclusion", "Substance abuse", 0.005),
        Criterion("EX14", "Exclusion", "Prior-therapy toxicity not recovered to grade 2 or less", 0.02),
        Criterion("EX15", "Exclusion", "Major surgery within 4 weeks", 0.01),
        Criterion("EX16", "Exclusion", "Pregnant or breastfeeding", 0.0),
        Criterion("EX17", "Exclusion", "Other condition the investigator judges a risk to the subject or study", 0.02),
    ],
    default_subjects=24,
    screen_fail_ratio=0.25,
    first_enrol="2023-11-06",
    expansion_months=12,
    cycle2=False,
    assess_days=(28, 56, 84, 182, 273, 365, 547, 720),
    best_response_probs=(0.18, 0.12, 0.30, 0.33, 0.07),
    age_median=52,
    male_fraction=0.55,
    cycle_folders=False,
    data_cutoff="2026-09-30",
    subjects_per_site=200,
    extra_site_countries=[("", "CHN", "China", False)],
)

SCRN_COLUMNS = KEYS + ["FOLDER", "SCRDAT", "DISSTAT", "PRIORLN", "ECOG_CD", "ECOG", "CLL1PCT", "DSAMFI", "DSARES"]
BM_COLUMNS = KEYS + ["FOLDER", "BMDAT", "BMMETH", "BLASTPCT", "BMCOMM"]
CBC_COLUMNS = KEYS + ["FOLDER", "LBDAT", "LBTIM", "ANC", "ANC_U", "PLT", "PLT_U", "HGB", "HGB_U", "PBBLAST"]
CHIM_COLUMNS = KEYS + ["FOLDER", "CHDAT", "CHTIM", "SPEC", "METHOD", "CHIMPCT", "CHIMU", "LLOQ"]
RSP_COLUMNS = KEYS + ["FOLDER", "RSDAT", "RESP_CD", "RESP", "RSCRIT", "RSEVAL"]
EMD_COLUMNS = KEYS + ["FOLDER", "EMDDAT", "EMDMETH", "EMDPRES", "EMDLOC"]
EXTRA_FORMS = {"scrn": SCRN_COLUMNS, "bm": BM_COLUMNS, "cbc": CBC_COLUMNS, "chim": CHIM_COLUMNS,
               "rsp": RSP_COLUMNS, "emd": EMD_COLUMNS}
ENCODINGS: dict[str, str] = {}

# ELN 2022 response categories, in best-to-worst order (index = raw code - 1)
ELN_CR, ELN_CRH, ELN_CRI, ELN_MLFS, ELN_PR, ELN_NR, ELN_PD, ELN_RELAPSE, ELN_NE = range(9)
RESPONSE_CODES = np.array(["CR", "CRh", "CRi", "MLFS", "PR", "NR", "PD", "RELAPSE", "NE"], dtype=object)
RESPONSE_TEXT = {ELN_CR: "Complete remission", ELN_CRH: "CR with partial haematologic recovery",
                 ELN_CRI: "CR with incomplete haematologic recovery", ELN_MLFS: "Morphologic leukaemia-free state",
                 ELN_PR: "Partial remission", ELN_NR: "No response", ELN_PD: "Progressive disease",
                 ELN_RELAPSE: "Relapse", ELN_NE: "Not evaluable"}
BEST_ORDER = {c: c for c in range(9)}
NO_RESPONSE = "NE"
AE_WEIGHT, AE_RATE = "weight_b", 4.0
FOLDERS = {28: "D28", 56: "M2", 84: "M3", 182: "M6", 273: "M9", 365: "M12", 547: "M18", 720: "M24"}
CBC_DAYS = (0, 7, 14, 21) + DESIGN.assess_days
CHIM_DAYS = (0, 7, 14, 21, 28, 56, 84, 182, 365, 547, 720)
ECOG = {0: "0 - Fully active", 1: "1 - Restricted in strenuous activity"}

#: tests of the central lab form (``lab``), whether it reports conventional units, the first assessment's folder
LAB_TESTS = ["WBC", "LYMPH", "CREAT", "TBIL", "ALT", "AST", "INR", "APTT", "CRP", "FERR", "IL6"]
LAB_CONVENTIONAL = False
LAB_ASSESS_FOLDER = "D28"

PROBLEMS = [
    Problem("impossible_date", "cbc", "LBDAT", "30-FEB"),
    Problem("unknown_subject", "ae", "SUBJID"),
    Problem("duplicate", "chim", "CHDAT"),
    Problem("unmapped_code", "rsp", "RESP", "Blast clearance, counts pending", "RESP_CD", "10"),
    Problem("stop_before_start", "ae", "AEENDAT", "AESTDAT"),
]


def _folder(day: np.ndarray) -> np.ndarray:
    names = {0: "D0", 7: "D7", 14: "D14", 21: "D21", **FOLDERS}
    return decode(day, names)


def response_rows(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """ELN 2022 response at each marrow assessment (numeric codes, see RESPONSE_CODES)."""
    subj, j = repeat_each(b["n_assess"].to_numpy(), start=1)  # j: assessment number
    best = b["best_planned"].to_numpy()[subj]
    prog = b["prog_idx"].to_numpy()[subj]
    cr_kind = pick(rng, len(b), [0.5, 0.25, 0.25])[subj]        # CR / CRh / CRi, stable per subject
    pr_kind = np.where(rng.random(len(b)) < 0.4, ELN_MLFS, ELN_PR)[subj]
    resp = np.select([(j == prog) & (best == CR), j == prog, best == PD, best == SD, best == PR,
                      (best == CR) & (j == 1), best == CR],
                     [ELN_RELAPSE, ELN_PD, ELN_PD, ELN_NR, pr_kind, np.where(cr_kind == 0, ELN_CRI, ELN_MLFS),
                      cr_kind], ELN_NE)
    resp = np.where((best == PR) & (j == prog), ELN_PD, resp)
    resp = np.where(~np.isin(resp, [ELN_PD, ELN_RELAPSE]) & (rng.random(len(subj)) < 0.03), ELN_NE, resp)
    # ELN 2022: relapse follows a CR, CRh or CRi; recurrence after none of them is progression
    remission = np.isin(resp, [ELN_CR, ELN_CRH, ELN_CRI]).astype(int)
    before = pd.Series(remission).groupby(subj).cumsum().to_numpy() - remission
    resp = np.where((resp == ELN_RELAPSE) & (before == 0), ELN_PD, resp)
    assess = b[[f"assess_{k}" for k in range(1, len(DESIGN.assess_days) + 1)]].to_numpy()
    return pd.DataFrame({"subj": subj, "visit": j, "day": assess[subj, j - 1],
                         "rel": np.array(DESIGN.assess_days)[j - 1], "resp": resp})


def scrn_form(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Screening disease assessment: disease status, prior lines, ECOG, CLL1 on blasts, DSA."""
    n = len(b)
    rows = np.arange(n)
    enrolled = b["enrolled"].to_numpy()
    ecog = np.where(enrolled | (rng.random(n) < 0.8), (rng.random(n) < 0.45).astype(int), 2)
    ecog_text = np.where(ecog == 2, "2 - Ambulatory, capable of self-care", decode(np.minimum(ecog, 1), ECOG))
    cll1 = np.where(enrolled | (rng.random(n) < 0.7), rng.uniform(35, 99, n), rng.uniform(0, 15, n))
    mfi = np.where(enrolled | (rng.random(n) < 0.8), rng.integers(0, 1900, n), rng.integers(2100, 9000, n))
    return text_frame({**_keys(DESIGN, b, rows), "FOLDER": "SCREENING",
                       "SCRDAT": crf_date(b["consent_day"].to_numpy() + rng.integers(1, 6, n)),
                       "DISSTAT": np.where(rng.random(n) < 0.6, "Relapsed", "Refractory"),
                       "PRIORLN": fmt_int(1 + pick(rng, n, [0.4, 0.35, 0.25])),
                       "ECOG_CD": fmt_int(ecog), "ECOG": ecog_text, "CLL1PCT": fmt_fixed(cll1, 1),
                       "DSAMFI": fmt_int(mfi), "DSARES": np.where(mfi <= 2000, "Negative", "Positive")}, n)


ELN_STREAM = 5
EMD_SITES = np.array(["Skin", "Lymph node", "Soft tissue", "Gingiva"], dtype=object)
REMISSION = [ELN_CR, ELN_CRH, ELN_CRI, ELN_MLFS, ELN_PR]   # no circulating blasts, no extramedullary disease


def own_stream(rng: np.random.Generator, stream: int = ELN_STREAM) -> np.random.Generator:
    """The batch's generator on random stream ``stream``: same seed and batch as ``rng`` (stream 2)."""
    entropy = rng.bit_generator.seed_seq.entropy  # type: ignore[attr-defined]  # [seed, 2, batch]
    return np.random.default_rng([int(entropy[0]), stream, int(entropy[2])])


def _pd_by_marrow(blast: np.ndarray, base: np.ndarray) -> np.ndarray:
    """ELN progression by marrow blasts: > 50% increase over baseline, at least 15 points when baseline < 30%."""
    return (blast > 1.5 * base) & ((base >= 30) | (blast - base >= 15))


def marrow_and_counts(b: pd.DataFrame, resp: pd.DataFrame, rng: np.random.Generator
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bone marrow blasts, blood counts and extramedullary disease that agree with each ELN 2022 response."""
    n = len(b)
    own = own_stream(rng)
    treated = b["treated"].to_numpy()
    base_blast = np.round(rng.uniform(20, 85, n), 1)
    # marrow: screening (every treated subject) + one per response assessment
    sub = resp["subj"].to_numpy()
    r = resp["resp"].to_numpy()
    m = len(sub)
    base = base_blast[sub]
    blast = np.round(np.select(
        [r <= ELN_MLFS, r == ELN_PR, r == ELN_NR, r == ELN_PD, r == ELN_RELAPSE],
        [rng.uniform(0.5, 4.5, m), np.clip(base * rng.uniform(0.2, 0.5, m), 5.5, np.minimum(24.5, np.floor(base * 5) / 10)),
         np.clip(base * rng.uniform(0.6, 1.2, m), 5.5, 70.0),      # no response: never > 70% (persistence is PD)
         np.minimum(np.maximum(base * rng.uniform(1.55, 2.0, m), base + 15.5), 98.0), rng.uniform(6, 40, m)],
        0.0), 1)
    # progression the marrow cannot show (baseline over 65%) is new extramedullary disease
    pd_emd = (r == ELN_PD) & ~_pd_by_marrow(blast, base)
    bl = np.flatnonzero(treated)
    scr_day = b["consent_day"].to_numpy()[bl] + rng.integers(1, 6, len(bl))
    bm = pd.DataFrame({"subj": np.r_[bl, sub], "day": np.r_[scr_day, resp["day"].to_numpy()],
                       "folder": np.r_[np.full(len(bl), "SCREENING", dtype=object), _folder(resp["rel"].to_numpy())],
                       "blast": np.r_[base_blast[bl], blast], "ne": np.r_[np.zeros(len(bl), bool), r == ELN_NE],
                       "resp": np.r_[np.full(len(bl), -1), r], "pd_emd": np.r_[np.zeros(len(bl), bool), pd_emd],
                       "o": np.r_[np.zeros(len(bl), int), resp["visit"].to_numpy()]})
    bm = bm.sort_values(["subj", "o"], kind="stable")
    ne = bm["ne"].to_numpy()
    bm_frame = text_frame({**_keys(DESIGN, b, bm["subj"].to_numpy()), "FOLDER": bm["folder"].to_numpy(),
                           "BMDAT": crf_date(bm["day"].to_numpy()), "BMMETH": "Morphology (aspirate)",
                           "BLASTPCT": fmt_fixed(bm["blast"].to_numpy(), 1, ne),
                           "BMCOMM": np.where(ne, "Aspirate inadequate (dry tap)", "")}, len(bm))
    emd_frame = emd_form(b, bm, own)
    # counts on planned days while on study and not past progression
    days = np.array(CBC_DAYS)
    k = len(days)
    subj = np.repeat(bl, k)
    rel = np.tile(days, len(bl))
    day0 = b["day0"].to_numpy()[subj]
    jitter = np.where(rel >= 28, rng.integers(-3, 4, len(subj)), 0)
    # marrow-visit counts use the assessment's own date
    day = day0 + rel + jitter
    resp_key = pd.Series(resp["resp"].to_numpy(), index=pd.MultiIndex.from_arrays([sub, resp["rel"].to_numpy()]))
    resp_day = pd.Series(resp["day"].to_numpy(), index=resp_key.index)
    key = pd.MultiIndex.from_arrays([subj, rel])
    rr = resp_key.reindex(key).to_numpy()
    rd = resp_day.reindex(key).to_numpy()
    has = ~np.isnan(rr)
    day = np.where(has, np.nan_to_num(rd).astype(np.int64), day)
    end = b["end_day"].to_numpy()[subj]
    prog = b["prog_day"].to_numpy()[subj]
    keep = (day < end) & ((prog < 0) | (day <= prog)) & ((rel < 28) | has)
    subj, rel, day, rr = subj[keep], rel[keep], day[keep], rr[keep]
    q = len(subj)
    rcode = np.where(np.isnan(rr), -1, np.nan_to_num(rr)).astype(int)
    u = rng.random(q)
    # CRi: one lineage recovered (ANC >= 1.0 or platelets >= 100), the other not even to the CRh level
    neut_back = u < 0.5
    anc = np.select([rel == 0, rel == 7, rel == 14, rel == 21, rcode == ELN_CR, rcode == ELN_CRH, rcode == ELN_CRI,
                     rcode == ELN_MLFS, rcode == ELN_PR],
                    [0.1 + 0.6 * u, 0.01 + 0.2 * u, 0.05 + 0.4 * u, 0.1 + 0.8 * u, 1.1 + 3 * u, 0.55 + 0.4 * u,
                     np.where(neut_back, 1.05 + 2 * u, 0.05 + 0.7 * (u - 0.5)), 0.05 + 0.4 * u, 1.05 + 1.5 * u],
                    0.05 + 1.1 * u)
    v = rng.random(q)
    plt_ = np.select([rel == 0, rel == 7, rel == 14, rel == 21, rcode == ELN_CR, rcode == ELN_CRH, rcode == ELN_CRI,
                      rcode == ELN_MLFS, rcode == ELN_PR],
                     [10 + 50 * v, 5 + 20 * v, 5 + 30 * v, 10 + 40 * v, 105 + 200 * v, 52 + 45 * v,
                      np.where(neut_back, 20 + 25 * v, 105 + 100 * v), 5 + 14 * v, 102 + 100 * v], 5 + 55 * v)
    hgb = np.where(rcode == ELN_CR, 95 + 35 * rng.random(q), 65 + 35 * rng.random(q))
    # screening counts
    scr_anc, scr_plt = np.round(rng.uniform(0.2, 2.5, len(bl)), 2), np.rint(rng.uniform(10, 120, len(bl)))
    scr = pd.DataFrame({"subj": bl, "rel": -1, "day": scr_day, "anc": scr_anc, "plt": scr_plt,
                        "hgb": rng.uniform(70, 110, len(bl))})
    # progression: no doubling of ANC or platelets over screening (ELN: the blast rise counts only without it)
    at = pd.Series(np.arange(len(bl)), index=bl).reindex(subj).to_numpy()
    worse = rcode == ELN_PD
    anc = np.where(worse, np.minimum(anc, 1.9 * scr_anc[at]), anc)
    plt_ = np.where(worse, np.minimum(plt_, np.floor(1.9 * scr_plt[at])), plt_)
    post = pd.DataFrame({"subj": subj, "rel": rel, "day": day, "anc": anc, "plt": plt_, "hgb": hgb, "r": rcode})
    cbc = pd.concat([scr.assign(r=-1), post], ignore_index=True).sort_values(["subj", "rel"], kind="stable")
    rel_all = cbc["rel"].to_numpy()
    cbc_frame = text_frame({**_keys(DESIGN, b, cbc["subj"].to_numpy()),
                            "FOLDER": np.where(rel_all < 0, "SCREENING", _folder(np.maximum(rel_all, 0))),
                            "LBDAT": crf_date(cbc["day"].to_numpy()),
                            "LBTIM": crf_time(rng.integers(7 * 60, 11 * 60, len(cbc))),
                            "ANC": fmt_fixed(cbc["anc"].to_numpy(), 2), "ANC_U": "10^9/L",
                            "PLT": fmt_int(np.rint(cbc["plt"].to_numpy())), "PLT_U": "10^9/L",
                            "HGB": fmt_int(np.rint(cbc["hgb"].to_numpy())), "HGB_U": "g/L",
                            "PBBLAST": fmt_int(circulating_blasts(cbc["r"].to_numpy(), rel_all, own))}, len(cbc))
    return bm_frame, cbc_frame, emd_frame


def circulating_blasts(r: np.ndarray, rel: np.ndarray, own: np.random.Generator) -> np.ndarray:
    """% blasts in the peripheral blood differential: none in any remission (ELN 2022 CR ... PR), often some else."""
    q = len(r)
    present = own.random(q) < np.where(rel < 0, 0.75, np.where(np.isin(r, [ELN_NR, ELN_PD, ELN_RELAPSE]), 0.6, 0.3))
    level = np.rint(own.uniform(1, 35, q))
    return np.where(present & ~np.isin(r, REMISSION), level, 0)


def emd_form(b: pd.DataFrame, bm: pd.DataFrame, own: np.random.Generator) -> pd.DataFrame:
    """Extramedullary disease at each marrow assessment (physical examination; site when present).

    Present at screening in some subjects (never in one whose progression only new extramedullary disease shows),
    gone in every remission, persisting without response, new at such progression, developing at some relapses.
    """
    n = len(b)
    subj = bm["subj"].to_numpy()
    r = bm["resp"].to_numpy()
    pd_emd = bm["pd_emd"].to_numpy()
    base = own.random(n) < 0.15
    base[np.unique(subj[pd_emd])] = False
    site = EMD_SITES[own.integers(0, len(EMD_SITES), n)]
    develops = own.random(len(subj)) < 0.35
    present = np.select([r < 0, np.isin(r, REMISSION), pd_emd, r == ELN_RELAPSE], [base[subj], False, True, develops],
                        base[subj])
    return text_frame({**_keys(DESIGN, b, subj), "FOLDER": bm["folder"].to_numpy(),
                       "EMDDAT": crf_date(bm["day"].to_numpy()), "EMDMETH": "Physical examination",
                       "EMDPRES": np.where(present, "Present", "Absent"), "EMDLOC": np.where(present, site[subj], "")},
                      len(subj))


def chim_form(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """% chimerism (product DNA / total DNA) in peripheral blood: peaks in the first weeks, then fades."""
    bl = np.flatnonzero(b["treated"].to_numpy())
    days = np.array(CHIM_DAYS)
    k = len(days)
    subj = np.repeat(bl, k)
    rel = np.tile(days, len(bl))
    peak = 10 ** rng.uniform(-0.3, 1.4, len(bl))
    decay = np.cumprod(np.where(days[None, :] > 21, rng.uniform(0.08, 0.5, (len(bl), k)), 1.0), axis=1).ravel()
    rise = np.select([rel == 0, rel == 7, rel == 14, rel == 21], [0.0, 0.7, 1.0, 0.6], 0.6)
    pct = np.repeat(peak, k) * rise * decay
    day = b["day0"].to_numpy()[subj] + rel + np.where(rel >= 28, rng.integers(-3, 4, len(subj)), 0)
    keep = day < b["end_day"].to_numpy()[subj]
    subj, rel, day, pct = subj[keep], rel[keep], day[keep], pct[keep]
    low = pct < 0.1
    value = np.where(low, "<0.1", fmt_fixed(pct, 2))
    return text_frame({**_keys(DESIGN, b, subj), "FOLDER": _folder(rel), "CHDAT": crf_date(day),
                       "CHTIM": crf_time(np.where(rel == 0, rng.integers(7 * 60, 9 * 60, len(subj)),
                                                  rng.integers(8 * 60, 12 * 60, len(subj)))),
                       "SPEC": "Peripheral blood", "METHOD": "STR-PCR", "CHIMPCT": value, "CHIMU": "%",
                       "LLOQ": "0.1"}, len(subj))


def rsp_form(b: pd.DataFrame, resp: pd.DataFrame) -> pd.DataFrame:
    """ELN 2022 response per marrow assessment (investigator)."""
    r = resp["resp"].to_numpy()
    return text_frame({**_keys(DESIGN, b, resp["subj"].to_numpy()), "FOLDER": _folder(resp["rel"].to_numpy()),
                       "RSDAT": crf_date(resp["day"].to_numpy()), "RESP_CD": fmt_int(r + 1),
                       "RESP": decode(r, RESPONSE_TEXT), "RSCRIT": "ELN 2022", "RSEVAL": "Investigator"}, len(r))


def extra_forms(b: pd.DataFrame, rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The study-specific forms of a batch and the per-assessment responses (for the expected answers)."""
    resp = response_rows(b, rng)
    bm, cbc, emd = marrow_and_counts(b, resp, rng)
    return {"scrn": scrn_form(b, rng), "bm": bm, "cbc": cbc, "chim": chim_form(b, rng),
            "rsp": rsp_form(b, resp), "emd": emd}, resp
