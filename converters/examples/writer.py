"""Write a generated study: raw forms in subject batches, then the expected answers.

``write_study`` is the one entry point: it plans all subjects (small arrays),
then for each batch of ``BATCH`` subjects builds every form and appends it to
its CSV, so memory stays bounded whatever the size.  Problems are injected in
the first batch.  Expected answers come from the generator's own state.
"""
from __future__ import annotations

import csv
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from . import forms, kinetics, meddra, safety
from .common import NO_DATE, Form, iso_date
from .design import planned_armcd
from .plan import identify, plan_subjects, subject_exists
from .problems import PROBLEM_COLUMNS, inject

#: subjects per batch
BATCH = 5000

SHARED_FORMS = {"enrol": forms.ENROL_COLUMNS, "dm": forms.DM_COLUMNS, "ie": forms.IE_COLUMNS,
                "ld": forms.LD_COLUMNS, "carnk": forms.INF_COLUMNS, "ae": forms.AE_COLUMNS,
                "ds": forms.DS_COLUMNS, "dd": forms.DD_COLUMNS + ["DTHLOC"], **safety.SAFETY_FORMS}

SUBJECT_COLUMNS = ["SUBJID", "USUBJID", "SITEID", "STATUS", "ARMCD", "DOSE_LEVEL", "CELLS_PER_INFUSION",
                   "LD_FIRST_DATE", "FIRST_DOSE_DATE", "LAST_DOSE_DATE", "N_INFUSIONS", "DLT_EVALUABLE", "DLT_COUNT",
                   "WORST_CRS_GRADE", "WORST_ICANS_GRADE", "BEST_RESPONSE", "PROGRESSION_DATE", "DEATH_DATE",
                   "END_REASON", "TOTAL_CELLS", "N_NOT_GIVEN", "AE_GRADE3PLUS", "CRS_TOCILIZUMAB", "DEATH_CAUSE"]
COHORT_COLUMNS = ["ARMCD", "DOSE_LEVEL", "CELLS_PER_INFUSION", "TREATED", "DLT_EVALUABLE", "SUBJECTS_WITH_DLT",
                  "DLT_EVENTS"]
END_REASON = {0: "COMPLETED", 1: "DEATH", 2: "WITHDRAWAL OF CONSENT", 3: "LOST TO FOLLOW-UP",
              4: "PROGRESSIVE DISEASE", 5: "SCREEN FAILURE", 6: "ONGOING"}


def write_study(study: ModuleType, out: Path, subjects: int | None = None, seed: int = 20250328) -> dict[str, int]:
    """Generate ``study`` (a module such as ``sclc``) into ``out/raw`` and ``out/expected``; return row counts."""
    design = study.DESIGN
    n = design.default_subjects if subjects is None else subjects
    raw, expected = Path(out) / "raw", Path(out) / "expected"
    raw.mkdir(parents=True, exist_ok=True)
    expected.mkdir(parents=True, exist_ok=True)
    plan = plan_subjects(design, n, seed)
    columns = {**SHARED_FORMS, **study.EXTRA_FORMS}
    files = {name: Form(name, cols, study.ENCODINGS.get(name, "utf-8")) for name, cols in columns.items()}
    for f in files.values():
        f.open(raw)
    cohorts, problem_rows = [], []
    known_kinetics = []
    subjects_path = expected / "subjects.csv"
    subjects_path.write_bytes(b"")
    for i, start in enumerate(range(0, len(plan), BATCH)):
        b = identify(design, plan, plan.iloc[start:start + BATCH].reset_index(drop=True))
        rng = np.random.default_rng([seed, 2, i])
        inf = forms.infusions(b, rng)
        ae = forms.adverse_events(design, b, inf, rng, study.AE_WEIGHT, study.AE_RATE)
        frames = {"enrol": forms.enrol_form(design, b), "dm": forms.dm_form(design, b, rng),
                  "ie": forms.ie_form(design, b, rng, force_waiver=i == 0), "ld": forms.ld_form(design, b, rng),
                  "carnk": forms.infusion_form(design, b, inf, rng), "ae": forms.ae_form(design, b, ae, inf, rng),
                  "ds": forms.ds_form(design, b), "dd": forms.dd_form(design, b, ae, rng)}
        extra, resp = study.extra_forms(b, rng)
        for name in [k for k in extra if k.startswith("expected/")]:     # a study's own known answers
            _append_csv(Path(out) / f"{name}.csv", extra.pop(name), first=i == 0)
        frames.update(extra)
        # the safety forms draw from a stream of their own, so every form above stays as it was
        srng = np.random.default_rng([seed, 3, i])
        frames["dd"]["DTHLOC"] = safety.death_location(b, srng)
        safety_frames, treated_aes = safety.safety_forms(design, b, inf, ae, study.LAB_TESTS, study.LAB_CONVENTIONAL,
                                                         study.LAB_ASSESS_FOLDER, srng)
        frames.update(safety_frames)
        known_kinetics.append(kinetics.known_answers(design.key, frames))
        if i == 0:
            kinds = meddra.term_table()["kind"][ae["term"].to_numpy()]
            keep = pd.Series(ae["dlt"].to_numpy() | ae["fatal"].to_numpy() | np.isin(kinds, ["crs", "icans"]))
            problem_rows = inject(frames, study.PROBLEMS, lambda sid: subject_exists(design, plan, sid),
                                  {"ae": keep})
        for name, frame in frames.items():
            files[name].write(frame)
        summary = _summarise(study, b, inf, ae, resp)
        for name, values in safety.safety_summary(b, inf, ae, design, treated_aes).items():
            summary[name] = values
        treated = b["treated"].to_numpy()
        for name in ("TOTAL_CELLS", "N_NOT_GIVEN", "AE_GRADE3PLUS", "CRS_TOCILIZUMAB"):
            summary[name] = np.where(treated, summary[name].astype(str), "")
        with open(subjects_path, "a", encoding="utf-8", newline="") as fh:
            summary[SUBJECT_COLUMNS].to_csv(fh, index=False, header=i == 0, lineterminator="\n")
        cohorts.append(_cohort_counts(summary))
    _write_csv(expected / "cohorts.csv", _cohorts(pd.concat(cohorts, ignore_index=True)))
    _write_csv(expected / "problems.csv", pd.DataFrame(problem_rows, columns=PROBLEM_COLUMNS))
    _write_csv(expected / "kinetics.csv", pd.concat(known_kinetics, ignore_index=True))
    return {name: f.rows_written for name, f in files.items()}


def _append_csv(path: Path, frame: pd.DataFrame, first: bool) -> None:
    with open(path, "w" if first else "a", encoding="utf-8", newline="") as fh:
        frame.astype(str).to_csv(fh, index=False, header=first, lineterminator="\n")


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.astype(str).to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def _summarise(study: ModuleType, b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame,
               resp: pd.DataFrame) -> pd.DataFrame:
    design = study.DESIGN
    n = len(b)
    idx = pd.RangeIndex(n)
    given = inf[inf["given"]]
    first = given.groupby("subj")["day"].min().reindex(idx, fill_value=NO_DATE).to_numpy()
    last = given.groupby("subj")["day"].max().reindex(idx, fill_value=NO_DATE).to_numpy()
    count = given.groupby("subj").size().reindex(idx, fill_value=0).to_numpy()
    kinds = meddra.term_table()["kind"][ae["term"].to_numpy()]
    crs = ae[kinds == "crs"].groupby("subj")["grade"].max().reindex(idx, fill_value=0).to_numpy()
    icans = ae[kinds == "icans"].groupby("subj")["grade"].max().reindex(idx, fill_value=0).to_numpy()
    dlt_events = ae[ae["dlt"]].groupby("subj").size().reindex(idx, fill_value=0).to_numpy()
    rank = np.array([study.BEST_ORDER[c] for c in range(len(study.RESPONSE_CODES))])
    r = resp.assign(rank=rank[resp["resp"].to_numpy()])
    best_rank = r.groupby("subj")["rank"].min().reindex(idx, fill_value=-1).to_numpy()
    order = np.argsort(rank)
    best = np.where(best_rank >= 0, study.RESPONSE_CODES[order[np.maximum(best_rank, 0)]], study.NO_RESPONSE)
    treated = b["treated"].to_numpy()
    enrolled = b["enrolled"].to_numpy()
    armcd = planned_armcds(design)[b["arm"].to_numpy(), b["level"].to_numpy()]
    level = np.array([d.code for d in design.dose_levels] + [""], dtype=object)[b["level"].to_numpy()]
    cells = np.array([str(d.cells_e6 * 10 ** 6) for d in design.dose_levels] + [""], dtype=object)[
        b["level"].to_numpy()]
    status = np.where(treated, "TREATED", np.where(enrolled, "ASSIGNED, NOT TREATED", "SCREEN FAILURE"))
    blank = lambda x: np.where(treated, x, "")  # noqa: E731
    return pd.DataFrame({
        "SUBJID": b["subjid"].to_numpy(), "USUBJID": b["usubjid"].to_numpy(), "SITEID": b["siteid"].to_numpy(),
        "STATUS": status, "ARMCD": armcd, "DOSE_LEVEL": level, "CELLS_PER_INFUSION": cells,
        "LD_FIRST_DATE": iso_date(np.where(treated, b["ld_day"].to_numpy(), NO_DATE)),
        "FIRST_DOSE_DATE": iso_date(first), "LAST_DOSE_DATE": iso_date(last),
        "N_INFUSIONS": blank(count.astype(str)),
        "DLT_EVALUABLE": blank(np.where(b["evaluable"].to_numpy(), "Y", "N")),
        "DLT_COUNT": blank(dlt_events.astype(str)),
        "WORST_CRS_GRADE": blank(crs.astype(str)), "WORST_ICANS_GRADE": blank(icans.astype(str)),
        "BEST_RESPONSE": np.where(treated, best, ""),
        "PROGRESSION_DATE": iso_date(b["prog_day"].to_numpy()),
        "DEATH_DATE": iso_date(b["death_day"].to_numpy(), b["death_prec"].to_numpy()),
        "END_REASON": [END_REASON[int(x)] for x in b["end_reason"].to_numpy()],
        "_arm": b["arm"].to_numpy(), "_level": b["level"].to_numpy(), "_treated": treated,
        "_dlt_subject": dlt_events > 0, "_dlt_events": dlt_events,
    })


def planned_armcds(design) -> np.ndarray:
    """ARMCD by [arm index, dose-level index] (index -1: none): construct x dose level, the expansion arm alone."""
    n_arms, n_levels = len(design.arms), len(design.dose_levels)
    table = np.full((n_arms + 2, n_levels + 1), "", dtype=object)
    for a, arm in enumerate(design.arms):
        for d, level in enumerate(design.dose_levels):
            table[a, d] = planned_armcd(arm, level)
    if design.expansion_arm is not None:
        table[n_arms, :n_levels] = design.expansion_arm.armcd
    return table


def _cohort_counts(s: pd.DataFrame) -> pd.DataFrame:
    """Per arm and dose level counts of one batch (summed over batches by ``_cohorts``)."""
    t = s[s["_treated"]].assign(_evaluable=lambda x: x["DLT_EVALUABLE"] == "Y")
    g = t.groupby(["_arm", "_level", "ARMCD", "DOSE_LEVEL", "CELLS_PER_INFUSION"], sort=True)
    return g.agg(TREATED=("SUBJID", "size"), DLT_EVALUABLE=("_evaluable", "sum"),
                 SUBJECTS_WITH_DLT=("_dlt_subject", "sum"), DLT_EVENTS=("_dlt_events", "sum")).reset_index()


def _cohorts(counts: pd.DataFrame) -> pd.DataFrame:
    keys = ["_arm", "_level", "ARMCD", "DOSE_LEVEL", "CELLS_PER_INFUSION"]
    out = counts.groupby(keys, sort=True)[["TREATED", "DLT_EVALUABLE", "SUBJECTS_WITH_DLT", "DLT_EVENTS"]].sum()
    return out.reset_index()[COHORT_COLUMNS]
