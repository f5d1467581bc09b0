"""The subject-level plan of a study: who is screened, enrolled, treated, and what happens to them.

Everything here is one numpy array per fact (one element per screened subject),
so the plan for 100,000 subjects is a few megabytes.  Forms are then generated
from the plan in subject batches (see ``forms.py``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cohorts import escalate
from .common import NO_DATE, day_number, pick
from .design import Site, StudyDesign

# best-response categories
CR, PR, SD, PD, NE = 0, 1, 2, 3, 4
# end-of-study reasons
COMPLETED, DEATH, WITHDREW, LOST, PROGRESSION, SCREEN_FAIL = 0, 1, 2, 3, 4, 5
#: still in follow-up at the data cut-off: no end of study yet
ONGOING = 6
#: Follow-up length after the first infusion (24 months).
FOLLOW_UP_DAYS = 730


def study_sites(design: StudyDesign, n_screened: int) -> list[Site]:
    """The base sites, plus extra ones at large sizes so no site exceeds ``subjects_per_site`` on average."""
    sites = list(design.sites)
    needed = -(-n_screened // design.subjects_per_site)
    counters: dict[str, int] = {}
    for site in sites:
        for prefix, *_ in design.extra_site_countries:
            if site.siteid.startswith(prefix) and site.siteid[len(prefix):].isdigit():
                counters[prefix] = max(counters.get(prefix, 0), int(site.siteid[len(prefix):]))
    k = 0
    while len(sites) < needed and design.extra_site_countries:
        prefix, country, country_crf, year_only = design.extra_site_countries[k % len(design.extra_site_countries)]
        counters[prefix] = counters.get(prefix, 0) + 1
        siteid = f"{prefix}{counters[prefix]:02d}"
        sites.append(Site(siteid, f"Site {siteid}", country, country_crf, year_only))
        k += 1
    if len({s.siteid for s in sites}) != len(sites):
        raise RuntimeError("generated site identifiers are not unique")
    sites.sort(key=lambda s: (len(s.siteid), s.siteid))
    return sites


def _escalation(design: StudyDesign, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    rows = []
    rp2d = {}
    start = day_number(design.first_enrol)
    for a, arm in enumerate(design.arms):
        treated, level = escalate(rng, a, list(arm.p_dlt))
        rp2d[a] = level
        within: dict[int, int] = {}
        for t in treated:
            pos = within.get(t.cohort, 0)
            within[t.cohort] = pos + 1
            # cohorts every 8 weeks per arm (28-day DLT window + safety committee); sentinel spacing of 1 week
            day = start + 14 * a + 56 * t.cohort + 7 * pos + int(rng.integers(0, 3))
            rows.append((a, t.level, t.cohort, t.evaluable, t.dlt_n, day))
    frame = pd.DataFrame(rows, columns=["arm", "level", "cohort", "evaluable", "dlt_n", "enrol_day"])
    level = rp2d[design.expansion_from]
    return frame, (level if level >= 0 else 0)


def plan_subjects(design: StudyDesign, n_enrolled: int, seed: int) -> pd.DataFrame:
    """The plan for ``n_enrolled`` enrolled subjects plus screen failures, sorted by site and subject."""
    rng = np.random.default_rng([seed, 1])
    esc, rp2d = _escalation(design, rng)
    esc = esc.sort_values(["enrol_day", "arm"], kind="stable").head(n_enrolled).reset_index(drop=True)
    esc["phase"] = "ESCALATION"
    n_exp = n_enrolled - len(esc)
    exp_start = (int(esc["enrol_day"].max()) if len(esc) else day_number(design.first_enrol)) + 60
    exp_days = np.sort(exp_start + rng.integers(0, design.expansion_months * 30, n_exp))
    exp_arm = design.expansion_from
    exp = pd.DataFrame({
        "arm": np.full(n_exp, exp_arm if design.expansion_arm is None else len(design.arms)),
        "level": np.full(n_exp, rp2d),
        "cohort": np.arange(n_exp) // design.expansion_cohort_size + 1000,
        "evaluable": rng.random(n_exp) < 0.92,
        "dlt_n": np.zeros(n_exp, dtype=int),
        "enrol_day": exp_days,
        "phase": "EXPANSION",
    })
    p_dlt = design.arms[exp_arm].p_dlt[rp2d]
    dlt = rng.random(n_exp) < p_dlt
    exp["dlt_n"] = np.where(dlt, np.where(rng.random(n_exp) < 0.15, 2, 1), 0)
    exp.loc[dlt, "evaluable"] = True
    enr = pd.concat([esc, exp], ignore_index=True)
    n = len(enr)
    # cohort numbers: study-wide sequence in order of each cohort's first enrolment
    first = enr.groupby(["arm", "cohort"])["enrol_day"].transform("min")
    order = enr.assign(first=first).drop_duplicates(["arm", "cohort"]).sort_values(["first", "arm", "cohort"])
    order = order[["arm", "cohort"]].assign(cohort_no=np.arange(1, len(order) + 1))
    enr = enr.merge(order, on=["arm", "cohort"], how="left", validate="many_to_one")
    enr["enrolled"] = True
    enr["consent_day"] = enr["enrol_day"] - rng.integers(7, 22, n)

    # screen failures, spread over the accrual period
    n_sf = int(round(n * design.screen_fail_ratio))
    lo, hi = int(enr["consent_day"].min()), int(enr["consent_day"].max())
    sf = pd.DataFrame({"arm": -1, "level": -1, "cohort": -1, "cohort_no": 0, "evaluable": False, "dlt_n": 0,
                       "enrol_day": NO_DATE, "phase": "", "enrolled": False,
                       "consent_day": np.sort(rng.integers(lo, hi + 1, n_sf))}, index=range(n_sf))
    allsub = pd.concat([enr, sf], ignore_index=True)
    m = len(allsub)

    sites = study_sites(design, m)
    weights = np.array([1.0 if i < len(design.sites) else 1.0 for i in range(len(sites))])
    if len(sites) == len(design.sites):
        weights = np.linspace(1.6, 0.8, len(sites))
    allsub["site"] = pick(rng, m, weights)
    allsub = allsub.sort_values(["site", "consent_day", "enrolled"], kind="stable").reset_index(drop=True)
    allsub["subjno"] = allsub.groupby("site").cumcount() + 1
    allsub["year_only"] = np.array([s.birth_year_only for s in sites])[allsub["site"].to_numpy()]
    allsub["phase"] = allsub["phase"].astype("category")
    return _outcomes(design, allsub, rng, sites)


def _outcomes(design: StudyDesign, s: pd.DataFrame, rng: np.random.Generator, sites: list[Site]) -> pd.DataFrame:
    """Treatment timeline, response, progression, death and disposition for each subject (vectorised)."""
    m = len(s)
    enrolled = s["enrolled"].to_numpy()
    # assigned but never treated: a few expansion subjects withdraw before lymphodepletion
    not_treated = enrolled & (s["phase"].to_numpy() == "EXPANSION") & (rng.random(m) < 0.03)
    treated = enrolled & ~not_treated
    s["treated"] = treated
    enrol = s["enrol_day"].to_numpy()
    ld = np.where(treated, enrol + rng.integers(3, 9, m), NO_DATE)
    day0 = np.where(treated, ld + 5, NO_DATE)
    s["ld_day"], s["day0"] = ld, day0
    evaluable = s["evaluable"].to_numpy() & treated
    dlt_n = np.where(treated, s["dlt_n"].to_numpy(), 0)
    s["dlt_n"] = dlt_n
    s["evaluable"] = evaluable
    n_inf = np.where(evaluable, 3, rng.integers(1, 3, m))
    n_inf = np.where((dlt_n > 0) & (rng.random(m) < 0.25), 2, n_inf)
    s["n_inf1"] = np.where(treated, n_inf, 0)

    # best response: higher dose levels do a little better
    level = s["level"].to_numpy()
    probs = np.array(design.best_response_probs, dtype=float)
    u = rng.random(m)
    shift = 0.04 * np.clip(level, 0, None)
    adj = probs[None, :] + shift[:, None] * np.array([0.25, 0.75, 0.0, -1.0, 0.0])[None, :]
    best = (u[:, None] >= np.cumsum(adj, axis=1)).sum(axis=1).clip(0, 4)
    best = np.where(treated, best, NE)
    nad = len(design.assess_days)
    geo = rng.geometric(np.select([best == SD, best == PR, best == CR], [0.35, 0.25, 0.12], 1.0))
    prog_idx = np.select([best == PD, best == SD, best == PR, best == CR], [1, 1 + geo, 2 + geo, 3 + geo], 0)
    prog_idx = np.where(prog_idx > nad, 0, prog_idx)        # 0 = no progression within follow-up
    adays = np.array(design.assess_days)
    jitter = rng.integers(-3, 4, (m, nad))
    assess = day0[:, None] + adays[None, :] + jitter
    prog_day = np.where(prog_idx > 0, assess[np.arange(m), np.maximum(prog_idx - 1, 0)], NO_DATE)

    # death, withdrawal, loss to follow-up, completion (days after the first infusion)
    horizon = day0 + FOLLOW_UP_DAYS
    death = np.where(prog_idx > 0, prog_day + rng.exponential(170, m).astype(int) + 5,
                     np.where(rng.random(m) < 0.06, day0 + rng.integers(20, FOLLOW_UP_DAYS, m), NO_DATE))
    early = (best == NE) & treated
    death = np.where(early & (rng.random(m) < 0.6), day0 + rng.integers(15, 40, m), death)
    wd = np.where(rng.random(m) < 0.05, day0 + rng.integers(20, FOLLOW_UP_DAYS, m), NO_DATE)
    wd = np.where(early & (death == NO_DATE), day0 + rng.integers(15, 40, m), wd)
    lost = np.where(rng.random(m) < 0.03, day0 + rng.integers(60, FOLLOW_UP_DAYS, m), NO_DATE)
    pd_stop = np.where((prog_idx > 0) & (rng.random(m) < 0.4), prog_day + rng.integers(1, 15, m), NO_DATE)
    big = np.iinfo(np.int64).max
    cands = np.stack([np.where(x == NO_DATE, big, x) for x in (horizon, death, wd, lost, pd_stop)], axis=1)
    reason = cands.argmin(axis=1)      # 0 completed, 1 death, 2 withdrew, 3 lost, 4 progression
    end = cands.min(axis=1)
    # the data cut-off: what happens after it is not yet known; such subjects are ongoing, and
    # ``end`` (exclusive) then stops their data after the cut-off day
    cutoff = day_number(design.data_cutoff)
    ongoing = end > cutoff
    reason = np.where(ongoing, ONGOING, reason)
    end = np.where(ongoing, cutoff + 1, end)
    # a progression after the end of study was never seen
    prog_seen = (prog_idx > 0) & (prog_day < end)
    prog_idx = np.where(prog_seen, prog_idx, 0)
    prog_day = np.where(prog_seen, prog_day, NO_DATE)
    n_assess = (assess < end[:, None]).sum(axis=1)
    n_assess = np.where(prog_idx > 0, np.minimum(n_assess, prog_idx), n_assess)
    n_assess = np.where(treated, n_assess, 0)
    s["best_planned"] = best
    s["prog_idx"], s["prog_day"], s["n_assess"] = prog_idx, prog_day, n_assess
    for j in range(nad):
        s[f"assess_{j + 1}"] = assess[:, j]

    # second cycle: response at the first assessment, no DLT, still on study 8 weeks after day 0
    c2 = np.zeros(m, dtype=bool)
    if design.cycle2:
        c2 = treated & (dlt_n == 0) & np.isin(best, [CR, PR]) & (end > day0 + 80) & (rng.random(m) < 0.75)
    s["cycle2"] = c2
    s["c2_day0"] = np.where(c2, day0 + 56 + rng.integers(0, 8, m), NO_DATE)

    # not treated and screen failures
    sf = ~enrolled
    s["sf_day"] = np.where(sf, s["consent_day"].to_numpy() + rng.integers(3, 21, m), NO_DATE)
    reason = np.where(treated, reason, np.where(sf, SCREEN_FAIL, WITHDREW))
    end = np.where(treated, end, np.where(sf, s["sf_day"].to_numpy(), enrol + rng.integers(2, 6, m)))
    if (s["consent_day"].to_numpy() > cutoff).any() or (np.where(treated, day0, NO_DATE) > cutoff).any():
        raise RuntimeError(f"subjects consented or treated after the data cut-off {design.data_cutoff}: "
                           "start the study earlier or move the cut-off")
    death_day = np.where(treated & (reason == DEATH), end, NO_DATE)
    s["end_reason"], s["end_day"], s["death_day"] = reason, end, death_day
    # cause of death: disease after progression, otherwise an adverse event (or other)
    cause = np.where(prog_idx > 0, 0, np.where(rng.random(m) < 0.7, 1, 2))
    s["death_cause"] = np.where(death_day != NO_DATE, cause, -1)
    # death dates reported by a relative are sometimes known to the month only
    s["death_prec"] = np.where((death_day != NO_DATE) & (cause == 0) & (rng.random(m) < 0.08), 2, 3)

    # demographics
    age = np.clip(np.rint(rng.normal(design.age_median, 9, m)), 18 + (design.age_median < 60) * 0, 84).astype(int)
    age = np.maximum(age, 18)
    birth = s["consent_day"].to_numpy() - age * 365 - rng.integers(5, 360, m)
    s["age"] = ((s["consent_day"].to_numpy() - birth) / 365.25).astype(int)
    s["birth_day"] = birth
    s["birth_prec"] = np.where(s["year_only"].to_numpy(), 1, np.where(rng.random(m) < 0.05, 2, 3))
    s["sex"] = np.where(rng.random(m) < design.male_fraction, 1, 2)
    s = s.drop(columns=["year_only"])
    return s.copy()


def identify(design: StudyDesign, plan: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Add the text identifiers (SITEID, SUBJID, USUBJID, country) to a batch of the plan.

    They are made per batch so the plan of a large study stays numeric and small.
    """
    sites = study_sites(design, len(plan))
    width = max(3, len(str(int(plan["subjno"].max()))))
    site = batch["site"].to_numpy()
    b = batch.copy()
    b["siteid"] = np.array([s.siteid for s in sites], dtype=object)[site]
    b["subjid"] = b["siteid"] + "-" + b["subjno"].astype(str).str.zfill(width)
    b["usubjid"] = design.studyid + "-" + b["subjid"]
    b["country"] = np.array([s.country for s in sites], dtype=object)[site]
    b["country_crf"] = np.array([s.country_crf for s in sites], dtype=object)[site]
    return b


def subject_exists(design: StudyDesign, plan: pd.DataFrame, subjid: str) -> bool:
    """Whether ``subjid`` (site-number) is one of the plan's subjects."""
    sites = [s.siteid for s in study_sites(design, len(plan))]
    site, _, number = subjid.partition("-")
    if site not in sites or not number.isdigit():
        return False
    in_site = plan["subjno"].to_numpy()[plan["site"].to_numpy() == sites.index(site)]
    return int(number) in set(in_site.tolist())
