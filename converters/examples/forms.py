"""Raw CRF forms shared by both example studies, built for one batch of subjects at a time.

Each ``*_form`` function takes the batch's slice of the subject plan (see
``plan.py``) and a random generator and returns a frame of text columns in the
form's column order, sorted by subject and date.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import meddra
from .common import NO_DATE, crf_date, crf_time, decode, fmt_int, pick, repeat_each, text_frame
from .design import StudyDesign
from .plan import COMPLETED, DEATH, LOST, ONGOING, PROGRESSION, SCREEN_FAIL, WITHDREW

KEYS = ["STUDYID", "SITEID", "SUBJID"]

ENROL_COLUMNS = KEYS + ["FOLDER", "ICDAT", "ELIGYN", "ENRLDAT", "PHASE", "COHORT", "ARM_CD", "ARM",
                        "DOSELVL_CD", "DOSELVL"]
DM_COLUMNS = KEYS + ["FOLDER", "BRTHDAT", "AGE", "AGEU", "SEX_CD", "SEX", "RACE_AMIND", "RACE_ASIAN",
                     "RACE_BLACK", "RACE_NHPI", "RACE_WHITE", "RACE_OTH", "RACE_OTHSP", "RACE_NR",
                     "ETHNIC_CD", "ETHNIC", "COUNTRY"]
IE_COLUMNS = KEYS + ["FOLDER", "IEDAT", "IECAT", "IETESTCD", "IETEST", "IEORRES", "IEWAIVED", "IECOMM"]
LD_COLUMNS = KEYS + ["FOLDER", "CYCLE", "LDDAY", "AGENT_CD", "AGENT", "EXDAT", "DOSE", "DOSEU",
                     "ROUTE_CD", "ROUTE", "DOSEADJ", "ADJRSN"]
INF_COLUMNS = KEYS + ["FOLDER", "CYCLE", "CYDAY", "EXYN", "EXREASND", "EXSTDAT", "EXSTTIM", "EXENTIM",
                      "PRODUCT", "LOTNO", "DOSE", "DOSEU", "INTERRUPT", "INCOMPL", "PCTINF"]
AE_COLUMNS = KEYS + ["FOLDER", "AESPID", "AETERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD",
                     "AEHLGT", "AEHLGTCD", "AESOC", "AESOCCD", "AESTDAT", "AESTTIM", "AEENDAT", "AEENTIM",
                     "AEONGO", "AETOXGR", "AEGRSCL", "AESER", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB",
                     "AESCONG", "AESMIE", "AEREL_CD", "AEREL", "AERELLD_CD", "AERELLD", "AEACN_CD", "AEACN",
                     "AEOUT_CD", "AEOUT", "AEDLT"]
DS_COLUMNS = KEYS + ["FOLDER", "DSSTDAT", "DSDECOD_CD", "DSDECOD", "DSCOMM"]
DD_COLUMNS = KEYS + ["FOLDER", "DTHDAT", "DTHCAUS_CD", "DTHCAUS", "DTHCAUSSP", "AUTOPSY"]

SEX = {1: "Male", 2: "Female"}
ETHNIC = {1: "Hispanic or Latino", 2: "Not Hispanic or Latino", 3: "Not reported", 4: "Unknown"}
RACES = ["RACE_AMIND", "RACE_ASIAN", "RACE_BLACK", "RACE_NHPI", "RACE_WHITE", "RACE_OTH"]
#: race probabilities (columns as RACES) and P(race not reported), P(ethnicity codes 1..4) per country
RACE_BY_COUNTRY = {
    "USA": ((0.01, 0.07, 0.13, 0.01, 0.74, 0.04), 0.02, (0.10, 0.86, 0.03, 0.01)),
    "DEU": ((0.0, 0.02, 0.01, 0.0, 0.96, 0.01), 0.55, (0.01, 0.50, 0.48, 0.01)),
    "ESP": ((0.0, 0.01, 0.01, 0.0, 0.90, 0.08), 0.10, (0.20, 0.70, 0.09, 0.01)),
    "CHN": ((0.0, 1.0, 0.0, 0.0, 0.0, 0.0), 0.0, (0.0, 0.99, 0.01, 0.0)),
}
OTHER_RACE_TEXT = np.array(["Mixed heritage", "Roma", "Latin American", "Middle Eastern"], dtype=object)
DS = {COMPLETED: "Completed", DEATH: "Death", WITHDREW: "Withdrew consent", LOST: "Lost to follow-up",
      PROGRESSION: "Progressive disease", SCREEN_FAIL: "Screen failure"}
DS_CODE = {COMPLETED: 1, DEATH: 2, WITHDREW: 3, LOST: 4, PROGRESSION: 5, SCREEN_FAIL: 6}
DS_COMMENT = {COMPLETED: "Completed 24-month follow-up", DEATH: "", WITHDREW: "Subject withdrew consent",
              LOST: "Three contact attempts failed", PROGRESSION: "Discontinued study follow-up after progression",
              SCREEN_FAIL: "Did not meet eligibility criteria"}
REL = {1: "Not related", 2: "Unlikely related", 3: "Possibly related", 4: "Related"}
ACN = {1: "Dose not changed", 2: "Drug interrupted", 3: "Drug withdrawn", 4: "Not applicable"}
OUT = {1: "Recovered/Resolved", 2: "Recovering/Resolving", 3: "Not recovered/Not resolved",
       4: "Recovered/Resolved with sequelae", 5: "Fatal", 6: "Unknown"}
DTHCAUS = {1: "Disease progression", 2: "Adverse event", 3: "Unknown"}
#: grading scales as the AE form names them: CRS and ICANS on the ASTCT 2019 consensus scale, the rest CTCAE v5.0
CTCAE_SCALE, ASTCT_SCALE = "CTCAE v5.0", "ASTCT 2019"


def during_lymphodepletion(b: pd.DataFrame, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether ``day`` of subject row ``rows`` falls in a lymphodepletion period (day -5 up to the cycle's day 0)."""
    day0 = b["day0"].to_numpy()[rows]
    c2 = b["c2_day0"].to_numpy()[rows]
    first = (day >= b["ld_day"].to_numpy()[rows]) & (day < day0)
    second = (c2 != NO_DATE) & (day >= c2 - 5) & (day < c2)
    return first | second


def _keys(design: StudyDesign, b: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray | str]:
    return {"STUDYID": design.studyid, "SITEID": b["siteid"].to_numpy()[rows],
            "SUBJID": b["subjid"].to_numpy()[rows]}


def enrol_form(design: StudyDesign, b: pd.DataFrame) -> pd.DataFrame:
    """Consent, eligibility, enrolment, arm and dose-level assignment: one row per screened subject."""
    n = len(b)
    rows = np.arange(n)
    enrolled = b["enrolled"].to_numpy()
    arms = design.arms + ([design.expansion_arm] if design.expansion_arm else [])
    arm_i = b["arm"].to_numpy()
    arm_code = np.array([a.raw_code for a in arms] + [""], dtype=object)[arm_i]
    arm_text = np.array([a.arm for a in arms] + [""], dtype=object)[arm_i]
    lv = b["level"].to_numpy()
    lv_code = np.array([d.code for d in design.dose_levels] + [""], dtype=object)[lv]
    lv_text = np.array([d.label for d in design.dose_levels] + [""], dtype=object)[lv]
    phase = np.where(b["phase"].to_numpy() == "ESCALATION", "Phase 1 dose escalation",
                     np.where(enrolled, "Phase 2 expansion" if design.expansion_arm else "Dose expansion", ""))
    return text_frame({**_keys(design, b, rows), "FOLDER": "SCREENING",
                       "ICDAT": crf_date(b["consent_day"].to_numpy()),
                       "ELIGYN": np.where(enrolled, "Y", "N"),
                       "ENRLDAT": crf_date(b["enrol_day"].to_numpy()),
                       "PHASE": phase, "COHORT": fmt_int(b["cohort_no"].to_numpy(), ~enrolled),
                       "ARM_CD": arm_code, "ARM": arm_text, "DOSELVL_CD": lv_code, "DOSELVL": lv_text}, n)


def dm_form(design: StudyDesign, b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Demographics: partial birth dates, coded sex, race checkboxes (some subjects several), ethnicity."""
    n = len(b)
    rows = np.arange(n)
    country = b["country"].to_numpy()
    boxes = np.zeros((n, len(RACES)), dtype=int)
    nr = np.zeros(n, dtype=bool)
    eth = np.zeros(n, dtype=int)
    u_nr = rng.random(n)
    u_multi = rng.random(n)
    second = rng.integers(0, len(RACES) - 1, n)
    for c, (probs, p_nr, p_eth) in RACE_BY_COUNTRY.items():
        sel = country == c
        k = int(sel.sum())
        first = pick(rng, k, probs)
        eth[sel] = pick(rng, k, p_eth) + 1
        boxes[np.flatnonzero(sel), first] = 1
        nr[sel] = u_nr[sel] < p_nr
    multi = (u_multi < 0.05) & ~nr
    boxes[np.flatnonzero(multi), second[multi]] = 1
    boxes[nr] = 0
    other = boxes[:, 5] == 1
    race_cols = {name: fmt_int(boxes[:, i]) for i, name in enumerate(RACES)}
    sex = b["sex"].to_numpy()
    return text_frame({**_keys(design, b, rows), "FOLDER": "SCREENING",
                       "BRTHDAT": crf_date(b["birth_day"].to_numpy(), b["birth_prec"].to_numpy()),
                       "AGE": fmt_int(b["age"].to_numpy()), "AGEU": "Years",
                       "SEX_CD": fmt_int(sex), "SEX": decode(sex, SEX), **race_cols,
                       "RACE_OTHSP": np.where(other, OTHER_RACE_TEXT[rng.integers(0, 4, n)], ""),
                       "RACE_NR": np.where(nr, "1", "0"),
                       "ETHNIC_CD": fmt_int(eth), "ETHNIC": decode(eth, ETHNIC),
                       "COUNTRY": b["country_crf"].to_numpy()}, n)


WAIVER_COMMENT = {
    "USA": "Waiver approved by medical monitor (Dr. Núñez) – value within 10% of limit",
    "DEU": "Ausnahmegenehmigung durch den Prüfarzt und Sponsor erteilt",
    "ESP": "Excepción aprobada por el monitor médico – valor límite",
    "CHN": "Waiver approved by the principal investigator – borderline value",
}


def ie_form(design: StudyDesign, b: pd.DataFrame, rng: np.random.Generator, force_waiver: bool) -> pd.DataFrame:
    """Eligibility criteria not met: one or two per screen failure, and a few waived for enrolled subjects."""
    n = len(b)
    enrolled = b["enrolled"].to_numpy()
    crit = design.criteria
    sf_w = np.array([c.sf_weight for c in crit])
    waive_ok = np.array([c.waivable for c in crit])
    n_sf = np.where(~enrolled, np.where(rng.random(n) < 0.8, 1, 2), 0)
    waiver = enrolled & (rng.random(n) < 0.04)
    if force_waiver and enrolled.any() and not waiver.any():
        waiver[np.flatnonzero(enrolled)[0]] = True
    count = n_sf + waiver
    rows, pos = repeat_each(count)
    m = len(rows)
    is_waiver = waiver[rows]
    c1 = pick(rng, m, sf_w)
    c2 = pick(rng, m, sf_w * ~waive_ok + 1e-9)   # second criterion differs in kind
    cw = pick(rng, m, waive_ok * sf_w + 1e-12)
    ci = np.where(is_waiver, cw, np.where(pos == 0, c1, np.where(c2 == c1, (c1 + 1) % len(crit), c2)))
    cat = np.array([c.category for c in crit], dtype=object)[ci]
    day = np.where(enrolled[rows], b["enrol_day"].to_numpy()[rows] - 1, b["sf_day"].to_numpy()[rows])
    country = b["country"].to_numpy()[rows]
    comment = np.where(is_waiver, decode(country, WAIVER_COMMENT), "")
    frame = text_frame({**_keys(design, b, rows), "FOLDER": "SCREENING", "IEDAT": crf_date(day),
                        "IECAT": cat, "IETESTCD": np.array([c.code for c in crit], dtype=object)[ci],
                        "IETEST": np.array([c.text for c in crit], dtype=object)[ci],
                        "IEORRES": np.where(cat == "Inclusion", "N", "Y"),
                        "IEWAIVED": np.where(is_waiver, "Y", "N"), "IECOMM": comment}, m)
    frame["_o"] = rows
    return frame.sort_values(["_o", "IETESTCD"], kind="stable").drop(columns="_o").drop_duplicates()


def ld_form(design: StudyDesign, b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Lymphodepletion: one row per agent per day (days -5..-3) for each cycle given."""
    treated = b["treated"].to_numpy()
    c2 = b["cycle2"].to_numpy()
    n_cyc = np.where(treated, 1 + c2, 0)
    subj, cycle = repeat_each(n_cyc, start=1)
    start = np.where(cycle == 1, b["ld_day"].to_numpy()[subj], b["c2_day0"].to_numpy()[subj] - 5)
    n_ag = len(design.ld_agents)
    reduced = np.repeat(rng.random(len(subj)) < 0.05, 3 * n_ag)
    r = np.repeat(np.arange(len(subj)), 3 * n_ag)
    k = np.tile(np.arange(3 * n_ag), len(subj))
    day_i = k // n_ag
    agent = k % n_ag
    names = np.array([a[0] for a in design.ld_agents], dtype=object)[agent]
    codes = np.array([a[1] for a in design.ld_agents], dtype=object)[agent]
    dose = np.array([a[2] for a in design.ld_agents])[agent]
    unit = np.array([a[3] for a in design.ld_agents], dtype=object)[agent]
    is_flu = agent == 0
    adj = reduced & is_flu
    dose = np.where(adj, np.rint(dose * 0.8).astype(int), dose)
    rows = subj[r]
    cyc = cycle[r]
    folder = np.where(cyc == 1, "C1 LD", "C2 LD") if design.cycle_folders else "LD"
    return text_frame({**_keys(design, b, rows), "FOLDER": folder,
                       "CYCLE": fmt_int(cyc), "LDDAY": fmt_int(day_i - 5), "AGENT_CD": codes, "AGENT": names,
                       "EXDAT": crf_date(start[r] + day_i), "DOSE": fmt_int(dose), "DOSEU": unit,
                       "ROUTE_CD": "IV", "ROUTE": "Intravenous", "DOSEADJ": np.where(adj, "Y", "N"),
                       "ADJRSN": np.where(adj, "Renal impairment (CrCl < 70 mL/min)", "")}, len(rows))


def infusions(b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The planned CAR-NK infusions of the batch (given or not), numeric, one row per planned infusion."""
    treated = b["treated"].to_numpy()
    c2 = b["cycle2"].to_numpy()
    n_plan = np.where(treated, 3 + 3 * c2, 0)
    subj, k = repeat_each(n_plan)
    cycle = 1 + k // 3
    cyday = 7 * (k % 3)
    base = np.where(cycle == 1, b["day0"].to_numpy()[subj], b["c2_day0"].to_numpy()[subj])
    jitter = np.where(cyday > 0, pick(rng, len(subj), [0.05, 0.9, 0.05]) - 1, 0)
    day = base + cyday + jitter
    given = (cycle == 2) | (k < b["n_inf1"].to_numpy()[subj])
    given &= day < b["end_day"].to_numpy()[subj]
    start = rng.integers(9 * 60, 15 * 60, len(subj))
    frame = pd.DataFrame({"subj": subj, "cycle": cycle, "cyday": cyday, "day": day, "given": given,
                          "start": start, "dur": rng.integers(20, 61, len(subj)),
                          "irr": given & (rng.random(len(subj)) < 0.08)})
    frame["incomplete"] = frame["irr"] & (rng.random(len(subj)) < 0.35)
    frame["pct"] = np.where(frame["incomplete"], rng.integers(55, 96, len(subj)), 100)
    return frame


def infusion_form(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """CAR-NK infusion log: cycle, day 0/7/14, date, times, cells per infusion, interruptions."""
    rows = inf["subj"].to_numpy()
    given = inf["given"].to_numpy()
    arms = design.arms + ([design.expansion_arm] if design.expansion_arm else [])
    arm_i = b["arm"].to_numpy()[rows]
    lv = b["level"].to_numpy()[rows]
    product = np.array([a.product for a in arms], dtype=object)[arm_i]
    prefix = np.array([a.raw_code for a in arms], dtype=object)[arm_i]
    lot = prefix + "-" + fmt_int(100 + b["cohort_no"].to_numpy()[rows]) + "-" + fmt_int(inf["cycle"].to_numpy())
    cells = np.array([d.cells_e6 for d in design.dose_levels])[lv]
    reason_nd = np.where(b["end_day"].to_numpy()[rows] <= inf["day"].to_numpy(), "Subject off study",
                         np.where(b["dlt_n"].to_numpy()[rows] > 0, "Adverse event (DLT)",
                                  "Clinical deterioration"))
    start = inf["start"].to_numpy()
    irr = inf["irr"].to_numpy()
    end = start + inf["dur"].to_numpy() + np.where(irr, 45, 0)
    folder = "D" + fmt_int(inf["cyday"].to_numpy())
    if design.cycle_folders:
        folder = "C" + fmt_int(inf["cycle"].to_numpy()) + " " + folder
    return text_frame({**_keys(design, b, rows), "FOLDER": folder,
                       "CYCLE": fmt_int(inf["cycle"].to_numpy()), "CYDAY": fmt_int(inf["cyday"].to_numpy()),
                       "EXYN": np.where(given, "Y", "N"), "EXREASND": np.where(given, "", reason_nd),
                       "EXSTDAT": np.where(given, crf_date(inf["day"].to_numpy()), ""),
                       "EXSTTIM": np.where(given, crf_time(start), ""),
                       "EXENTIM": np.where(given, crf_time(end), ""),
                       "PRODUCT": product, "LOTNO": np.where(given, lot, ""),
                       "DOSE": fmt_int(cells), "DOSEU": "x10^6 cells",
                       "INTERRUPT": np.where(given, np.where(irr, "Y", "N"), ""),
                       "INCOMPL": np.where(given, np.where(inf["incomplete"].to_numpy(), "Y", "N"), ""),
                       "PCTINF": np.where(given, fmt_int(inf["pct"].to_numpy()), "")}, len(rows))


def adverse_events(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, rng: np.random.Generator,
                   weight_col: str, rate: float) -> pd.DataFrame:
    """The batch's adverse events as numbers (term index, days, minutes, grade, flags), sorted, not yet text."""
    t = meddra.term_table()
    kind = t["kind"]
    n = len(b)
    treated = b["treated"].to_numpy()
    day0 = b["day0"].to_numpy()
    parts = []

    def add(subj, term, start, minute, dur, grade, dlt=None, fatal=None):
        m = len(subj)
        parts.append(pd.DataFrame({"subj": subj, "term": term, "start": start, "minute": minute, "dur": dur,
                                   "grade": grade,
                                   "dlt": np.zeros(m, bool) if dlt is None else dlt,
                                   "fatal": np.zeros(m, bool) if fatal is None else fatal}))

    def grades(term, cap):
        u = rng.random(len(term))
        g = 1 + (u[:, None] >= t["grade_cum"][term]).sum(axis=1)
        return np.minimum(g, cap)

    given = inf[inf["given"]]
    crs_i, icans_i, irr_i = meddra.key_index("CRS"), meddra.key_index("ICANS"), meddra.key_index("IRR")
    # CRS after an infusion (more likely at higher dose levels), ASTCT grade 1-2 unless a DLT
    lv = b["level"].to_numpy()[given["subj"].to_numpy()]
    crs = rng.random(len(given)) < 0.18 + 0.06 * lv
    g = given[crs]
    add(g["subj"].to_numpy(), np.full(len(g), crs_i), g["day"].to_numpy() + pick(rng, len(g), [0.2, 0.45, 0.25, 0.1]),
        rng.integers(0, 1440, len(g)), rng.integers(2, 8, len(g)), grades(np.full(len(g), crs_i), 2))
    # ICANS within 10 days of the first infusion
    ic = treated & (rng.random(n) < 0.07)
    s = np.flatnonzero(ic)
    add(s, np.full(len(s), icans_i), day0[s] + rng.integers(3, 11, len(s)), rng.integers(0, 1440, len(s)),
        rng.integers(1, 6, len(s)), grades(np.full(len(s), icans_i), 2))
    # infusion related reactions on the infusion day, minutes after the start
    g = given[given["irr"]]
    add(g["subj"].to_numpy(), np.full(len(g), irr_i), g["day"].to_numpy(),
        g["start"].to_numpy() + rng.integers(10, 40, len(g)), np.zeros(len(g), int), grades(np.full(len(g), irr_i), 3))
    # background events: cytopenias early after lymphodepletion, the rest spread over the first months
    counts = np.where(treated, rng.poisson(rate, n), 0)
    s = np.repeat(np.arange(n), counts)
    w = np.where(np.isin(kind, ["crs", "icans", "irr"]), 0.0, t[weight_col].astype(float))
    term = pick(rng, len(s), w)
    early = kind[term] == "cyto"
    span = np.maximum(np.minimum(b["end_day"].to_numpy()[s], day0[s] + 180) - b["ld_day"].to_numpy()[s], 1)
    start = np.where(early, day0[s] + rng.integers(-2, 15, len(s)),
                     b["ld_day"].to_numpy()[s] + (rng.random(len(s)) * span).astype(int))
    dur = np.where(early, rng.integers(7, 46, len(s)), 1 + rng.exponential(8, len(s)).astype(int))
    add(s, term, start, np.where(rng.random(len(s)) < 0.3, rng.integers(0, 1440, len(s)), -1), dur,
        grades(term, 4))
    # dose-limiting toxicities inside the 28-day window
    dn = b["dlt_n"].to_numpy()
    s = np.repeat(np.arange(n), dn)
    dlt_terms = np.array([crs_i, icans_i, meddra.key_index("NEUTROPENIA"), meddra.key_index("THROMBO"),
                          meddra.key_index("FN")])
    term = dlt_terms[pick(rng, len(s), [0.35, 0.2, 0.2, 0.15, 0.1])]
    g = np.where(np.isin(term, [crs_i, icans_i]), 3 + (rng.random(len(s)) < 0.2), np.where(
        term == dlt_terms[4], 3, 4))
    add(s, term, day0[s] + rng.integers(1, 27, len(s)), rng.integers(0, 1440, len(s)),
        np.where(np.isin(term, [crs_i, icans_i]), rng.integers(3, 10, len(s)), rng.integers(15, 30, len(s))),
        g, dlt=np.ones(len(s), bool))
    # fatal adverse events for deaths attributed to an adverse event
    s = np.flatnonzero(b["death_cause"].to_numpy() == 1)
    death = b["death_day"].to_numpy()[s]
    dur = rng.integers(3, 12, len(s))
    term = np.where(rng.random(len(s)) < 0.6, meddra.key_index("SEPSIS"), meddra.key_index("PNEUMONIA"))
    add(s, term, death - dur, rng.integers(0, 1440, len(s)), dur, np.full(len(s), 5), fatal=np.ones(len(s), bool))

    ae = pd.concat(parts, ignore_index=True)
    end_day = b["end_day"].to_numpy()[ae["subj"].to_numpy()]
    ae = ae[(ae["start"].to_numpy() < end_day) | ae["fatal"].to_numpy()]
    ae = ae[ae["start"].to_numpy() >= b["ld_day"].to_numpy()[ae["subj"].to_numpy()]]
    ae = ae.sort_values(["subj", "start", "minute", "term", "grade"], kind="stable").reset_index(drop=True)
    return ae


def ae_form(design: StudyDesign, b: pd.DataFrame, ae: pd.DataFrame, inf: pd.DataFrame,
            rng: np.random.Generator) -> pd.DataFrame:
    """Adverse events as the EDC exports them: verbatim, MedDRA coding, dates, grades, seriousness, causality."""
    t = meddra.term_table()
    rows = ae["subj"].to_numpy()
    m = len(ae)
    term = ae["term"].to_numpy()
    kind = t["kind"][term]
    grade = ae["grade"].to_numpy()
    fatal = ae["fatal"].to_numpy()
    dlt = ae["dlt"].to_numpy()
    start = ae["start"].to_numpy()
    stop = start + ae["dur"].to_numpy()
    subj_end = b["end_day"].to_numpy()[rows]
    ongoing = (stop >= subj_end) & ~fatal
    # verbatim: one of the term's usual wordings
    nverb = np.array([len(v) for v in t["verbatim_list"]])
    flat = np.array([v for vs in t["verbatim_list"] for v in vs], dtype=object)
    offset = np.r_[0, np.cumsum(nverb)[:-1]]
    verbatim = flat[offset[term] + (rng.random(m) * nverb[term]).astype(int)]
    # partial start dates for a few background events
    prec = np.where((kind == "other") & ~dlt & (rng.random(m) < 0.03), 2, 3)
    astct = np.isin(kind, ["crs", "icans"])
    serious = (grade >= 4) | ((grade == 3) & (np.isin(kind, ["crs", "icans", "inf"]) | (rng.random(m) < 0.3)))
    serious |= t["key"][term] == "FN"
    serious &= grade >= 3
    last_inf = inf[inf["given"]].groupby("subj")["day"].max()
    last = pd.Series(rows).map(last_inf).fillna(-10 ** 9).to_numpy()
    rel = np.select([np.isin(kind, ["crs", "icans", "irr"]), kind == "cyto", kind == "inf"],
                    [4 - (rng.random(m) < 0.1), 3 + 0 * grade, 2 + (rng.random(m) < 0.5)],
                    1 + (rng.random(m) * 3).astype(int))
    rel_ld = np.select([kind == "cyto", kind == "inf", np.isin(kind, ["crs", "icans", "irr"])],
                       [4 + 0 * grade, 3 + 0 * grade, 1 + 0 * grade], 1 + (rng.random(m) < 0.4))
    # events that start during lymphodepletion (before the cycle's first CAR-NK infusion) are attributed to
    # the chemotherapy, not to the CAR-NK product, which the subject has not yet received
    in_ld = during_lymphodepletion(b, rows, start)
    rel = np.where(in_ld, 1, rel)
    rel_ld = np.where(in_ld, np.maximum(rel_ld, 3), rel_ld)
    acn = np.select([start > last, dlt, kind == "irr"], [4, 3, 2], 1)
    same_day = stop == start
    end_minute = np.where(same_day, np.minimum(ae["minute"].to_numpy() + rng.integers(20, 180, m), 1439),
                          rng.integers(0, 1440, m))
    sequelae = np.isin(kind, ["inf", "other"]) & (grade >= 2) & (rng.random(m) < 0.08)
    out = np.select([fatal, ongoing, sequelae], [5, 3, 4], 1)
    yn = lambda cond: np.where(serious, np.where(cond, "Y", "N"), "")  # noqa: E731
    aespid = pd.Series(rows).groupby(rows).cumcount().to_numpy() + 1
    return text_frame({**_keys(design, b, rows), "FOLDER": "AE LOG", "AESPID": fmt_int(aespid),
                       "AETERM": verbatim, "AELLT": t["llt"][term], "AELLTCD": t["lltcd"][term],
                       "AEDECOD": t["pt"][term], "AEPTCD": t["ptcd"][term], "AEHLT": t["hlt"][term],
                       "AEHLTCD": t["hltcd"][term], "AEHLGT": t["hlgt"][term], "AEHLGTCD": t["hlgtcd"][term],
                       "AESOC": t["soc"][term], "AESOCCD": t["soccd"][term],
                       "AESTDAT": crf_date(start, prec),
                       "AESTTIM": crf_time(np.where(prec == 3, ae["minute"].to_numpy(), -1)),
                       "AEENDAT": np.where(ongoing, "", crf_date(stop)),
                       "AEENTIM": np.where(ongoing | (ae["minute"].to_numpy() < 0), "",
                                           crf_time(end_minute)),
                       "AEONGO": np.where(ongoing, "Y", "N"),
                       "AETOXGR": fmt_int(grade), "AEGRSCL": np.where(astct, ASTCT_SCALE, CTCAE_SCALE),
                       "AESER": np.where(serious, "Y", "N"), "AESDTH": yn(grade == 5),
                       "AESLIFE": yn(grade == 4), "AESHOSP": yn(grade >= 3), "AESDISAB": yn(grade < 0),
                       "AESCONG": yn(grade < 0), "AESMIE": yn((grade == 3) & (kind == "icans")),
                       "AEREL_CD": fmt_int(rel), "AEREL": decode(rel, REL),
                       "AERELLD_CD": fmt_int(rel_ld), "AERELLD": decode(rel_ld, REL),
                       "AEACN_CD": fmt_int(acn), "AEACN": decode(acn, ACN),
                       "AEOUT_CD": fmt_int(out), "AEOUT": decode(out, OUT),
                       "AEDLT": np.where(dlt, "Y", "N")}, m)


def ds_form(design: StudyDesign, b: pd.DataFrame) -> pd.DataFrame:
    """End of study: one row per subject who ended (completed, death, withdrew, lost, PD, screen failure).

    Subjects still in follow-up at the data cut-off have no row yet.
    """
    rows = np.flatnonzero(b["end_reason"].to_numpy() != ONGOING)
    b = b.iloc[rows].reset_index(drop=True)
    n = len(b)
    rows = np.arange(n)
    reason = b["end_reason"].to_numpy()
    code = decode(reason, DS_CODE).astype(int)
    return text_frame({**_keys(design, b, rows), "FOLDER": "END OF STUDY",
                       "DSSTDAT": crf_date(b["end_day"].to_numpy(),
                                           np.where(reason == DEATH, b["death_prec"].to_numpy(), 3)),
                       "DSDECOD_CD": fmt_int(code),
                       "DSDECOD": decode(reason, DS),
                       "DSCOMM": np.where((reason == WITHDREW) & ~b["treated"].to_numpy() & b["enrolled"].to_numpy(),
                                          "Withdrew consent before lymphodepletion", decode(reason, DS_COMMENT))}, n)


def dd_form(design: StudyDesign, b: pd.DataFrame, ae: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Death details for subjects who died on study."""
    dead = np.flatnonzero(b["death_day"].to_numpy() != NO_DATE)
    cause = b["death_cause"].to_numpy()[dead] + 1
    t = meddra.term_table()
    fatal = ae[ae["fatal"]].drop_duplicates("subj").set_index("subj")["term"]
    pt = pd.Series(dead).map(fatal).fillna(-1).to_numpy().astype(int)
    fatal_pt = np.append(t["pt"], "")[pt]
    spec = np.where(cause == 2, fatal_pt,
                    np.where(cause == 1, "Progression of underlying disease", "Found deceased at home"))
    return text_frame({**_keys(design, b, dead), "FOLDER": "DEATH",
                       "DTHDAT": crf_date(b["death_day"].to_numpy()[dead], b["death_prec"].to_numpy()[dead]),
                       "DTHCAUS_CD": fmt_int(cause), "DTHCAUS": decode(cause, DTHCAUS), "DTHCAUSSP": spec,
                       "AUTOPSY": np.where(rng.random(len(dead)) < 0.1, "Y", "N")}, len(dead))
