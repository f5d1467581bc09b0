"""RECIST 1.1 lesions of study A: target, non-target and new lesions whose measurements give the responses.

The plan (``plan.py`` / ``sclc.response_rows``) decides each assessment's overall response; this module makes
lesion-level data that yield exactly those responses by RECIST 1.1 arithmetic (Eisenhauer et al., Eur J Cancer
2009;45:228-247), and the tumour response form's component columns then follow from the lesions:

- screening: 1-5 target lesions, at most 2 per organ (all lymph nodes count as one organ); a non-nodal target
  lesion is >= 10 mm in longest diameter, a nodal one >= 15 mm in short axis (the value recorded for nodes);
  1-4 non-target lesions;
- target response: CR when every non-nodal target lesion has gone and every nodal one is < 10 mm short axis;
  PD when the sum of diameters is >= 20 % and >= 5 mm above the nadir (the smallest sum so far, baseline
  included); PR when the sum is >= 30 % below the baseline sum; else SD; NE when a lesion was not measured;
- non-target response: PD on unequivocal progression, CR when all are absent (nodes non-pathological), else
  Non-CR/Non-PD;
- new lesions: an unequivocal new lesion is progression;
- overall response: the RECIST 1.1 table of target x non-target x new lesions (:func:`overall_response`).

Random numbers come from a stream of their own (``np.random.default_rng([seed, 4, batch])``), so the other raw
forms stay as they were.  Everything is vectorised over lesions x assessments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .common import crf_date, fmt_int, repeat_each, text_frame
from .forms import KEYS
from .plan import CR, PD, PR, SD

#: this module's random stream number (the brief: 2 and 3 are taken, recist is 4)
STREAM = 4

TL_COLUMNS = KEYS + ["FOLDER", "TLDAT", "TLID", "TLLOC", "TLLAT", "TLMETH", "TLDIAM", "TLDIAMU", "TLNDRSN"]
NTL_COLUMNS = KEYS + ["FOLDER", "NTLDAT", "NTLID", "NTLLOC", "NTLLAT", "NTLMETH", "NTLSTAT"]
NL_COLUMNS = KEYS + ["FOLDER", "NLDAT", "NLID", "NLLOC", "NLLAT", "NLMETH", "NLSTAT"]
FORMS = {"tl": TL_COLUMNS, "ntl": NTL_COLUMNS, "nl": NL_COLUMNS}

#: organs for target lesions: (name, nodal, has laterality, weight); two slots each (RECIST: <= 2 per organ)
TARGET_ORGANS = [("Lung", False, True, 3.0), ("Liver", False, False, 2.0), ("Adrenal gland", False, True, 1.0),
                 ("LYMPH NODE", True, False, 3.0), ("Pleura", False, True, 0.5)]
#: lymph node stations of nodal lesions (location, has laterality)
NODE_SITES = [("Mediastinal lymph node", False), ("Hilar lymph node", True), ("Supraclavicular lymph node", True),
              ("Subcarinal lymph node", False)]
#: non-target sites (location, nodal, laterality, method)
CT = "CT scan"     # as the form writes it ("CT" alone is also a CT synonym of the clotting time lab test)
NONTARGET_SITES = [("Bone", False, False, CT), ("Brain", False, False, "MRI"), ("Liver", False, False, CT),
                   ("Lung", False, True, CT), ("Pleural cavity", False, True, CT),
                   ("Retroperitoneal lymph node", True, False, CT), ("Mediastinal lymph node", True, False, CT)]
#: sites of new lesions at progression (location, laterality, method)
NEW_SITES = [("Liver", False, CT), ("Bone", False, CT), ("Brain", False, "MRI"), ("Adrenal gland", True, CT),
             ("Lung", True, CT)]
SIDES = np.array(["Left", "Right"], dtype=object)

# non-target states as the form collects them
PRESENT, ABSENT, NONPATH, UNEQUIVOCAL = "Present", "Absent", "Non-pathological", "Unequivocal progression"


def own_stream(rng: np.random.Generator) -> np.random.Generator:
    """This module's generator for the batch ``rng`` (stream 2 of ``[seed, 2, batch]``) belongs to."""
    entropy = rng.bit_generator.seed_seq.entropy  # type: ignore[attr-defined]
    seed, _, batch = (int(x) for x in entropy)
    return np.random.default_rng([seed, STREAM, batch])


def target_response(total: np.ndarray, base: np.ndarray, nadir: np.ndarray, measured: np.ndarray,
                    all_gone: np.ndarray) -> np.ndarray:
    """RECIST 1.1 target response per assessment (CR, PR, SD, PD, NE) from its sum, the baseline and nadir."""
    up = total - nadir
    return np.select([up >= np.maximum(0.2 * nadir, 5) - 1e-9, ~measured, all_gone, total <= 0.7 * base + 1e-9],
                     ["PD", "NE", "CR", "PR"], "SD")


def overall_response(trg: np.ndarray, ntrg: np.ndarray, new: np.ndarray) -> np.ndarray:
    """RECIST 1.1 table 1: overall response from the target, non-target and new-lesion responses."""
    return np.select([(trg == "PD") | (ntrg == "PD") | new, (trg == "CR") & (ntrg == "CR"),
                      (trg == "CR") | (trg == "PR"), trg == "SD"], ["PD", "CR", "PR", "SD"], "NE")


def lesion_forms(design, b: pd.DataFrame, resp: pd.DataFrame, base_day: np.ndarray,
                 rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Lesion forms (``tl``, ``ntl``, ``nl``), the per-assessment components and the per-subject known answers.

    ``resp`` holds the plan's post-baseline assessments (subj, visit, day, resp); ``base_day`` the screening scan
    day of each subject of the batch.  The components frame has one row per assessment, baseline (visit 0)
    included: subj, visit, day, TRGSUM (NaN when not measured), TRGRESP, NTRGRESP, NEWLES, OVRLRESP.
    """
    treated = np.flatnonzero(b["treated"].to_numpy())
    n = len(treated)
    best = b["best_planned"].to_numpy()

    # --- target lesions at screening --------------------------------------------------------------------
    n_tl = 1 + (rng.random(n)[:, None] >= np.cumsum([0.15, 0.25, 0.3, 0.2])[None, :]).sum(axis=1)
    weights = np.repeat([w for *_, w in TARGET_ORGANS], 2)
    keys = np.log(rng.random((n, len(weights)))) / weights[None, :]         # weighted order without replacement
    slots = np.argsort(-keys, axis=1, kind="stable")[:, :5] // 2             # organ of each of the first 5 slots
    owner, pos = repeat_each(n_tl)
    organ = slots[owner, pos]
    nodal = np.array([o[1] for o in TARGET_ORGANS])[organ]
    lat_ok = np.array([o[2] for o in TARGET_ORGANS])[organ]
    node_i = rng.integers(0, len(NODE_SITES), len(owner))
    loc = np.where(nodal, np.array([s[0] for s in NODE_SITES], dtype=object)[node_i],
                   np.array([o[0] for o in TARGET_ORGANS], dtype=object)[organ])
    lat_ok = np.where(nodal, np.array([s[1] for s in NODE_SITES])[node_i], lat_ok)
    side = SIDES[rng.integers(0, 2, len(owner))]
    size = np.where(nodal, 15 + np.rint(rng.gamma(2.0, 6.0, len(owner))),
                    10 + np.rint(rng.gamma(1.6, 12.0, len(owner))))
    size = np.minimum(size, np.where(nodal, 60, 110)).astype(np.int64)
    method = np.where((loc == "Liver") & (rng.random(len(owner)) < 0.3), "MRI", CT)
    tl = pd.DataFrame({"s": owner, "les": pos + 1, "loc": loc, "lat": np.where(lat_ok, side, ""),
                       "nodal": nodal, "method": method, "base": size,
                       "cr_node": rng.integers(4, 10, len(owner))})

    # --- non-target lesions at screening -------------------------------------------------------------------
    n_nt = 1 + (rng.random(n)[:, None] >= np.cumsum([0.35, 0.35, 0.2])[None, :]).sum(axis=1)
    nt_owner, nt_pos = repeat_each(n_nt)
    site = rng.integers(0, len(NONTARGET_SITES), len(nt_owner))
    nt = pd.DataFrame({"s": nt_owner, "les": nt_pos + 1,
                       "loc": np.array([x[0] for x in NONTARGET_SITES], dtype=object)[site],
                       "nodal": np.array([x[1] for x in NONTARGET_SITES])[site],
                       "lat": np.where(np.array([x[2] for x in NONTARGET_SITES])[site],
                                       SIDES[rng.integers(0, 2, len(nt_owner))], ""),
                       "method": np.array([x[3] for x in NONTARGET_SITES], dtype=object)[site]})

    # --- assessments: baseline (visit 0) and the plan's post-baseline ones, in batch subject numbers ---------
    index = pd.Series(np.arange(n), index=treated)
    post = resp[resp["subj"].isin(treated)]
    a = pd.DataFrame({"s": np.r_[np.arange(n), index[post["subj"].to_numpy()].to_numpy()],
                      "visit": np.r_[np.zeros(n, dtype=np.int64), post["visit"].to_numpy()],
                      "day": np.r_[base_day[treated], post["day"].to_numpy()],
                      "resp": np.r_[np.full(n, -1), post["resp"].to_numpy()]})
    a = a.sort_values(["s", "visit"], kind="stable").reset_index(drop=True)
    m = len(a)
    r = a["resp"].to_numpy()
    s_best = best[treated][a["s"].to_numpy()]
    # a CR subject's first response may be a target CR with the non-target lesions still present (overall PR)
    tcr = (r == PR) & (s_best == CR) & (a["visit"].to_numpy() == 1) & (rng.random(m) < 0.3)
    cat = np.select([r == -1, tcr, r == CR, r == PR, r == SD, r == PD], ["BL", "CR", "CR", "PR", "SD", "PD"], "NE")
    factor = np.select([r == -1, cat == "CR", cat == "PR", cat == "SD"],
                       [1.0, 0.0, rng.uniform(0.30, 0.62, m), rng.uniform(0.80, 1.02, m)], np.nan)
    factor = pd.Series(factor).groupby(a["s"]).ffill().fillna(1.0).to_numpy()
    # progression by: target growth, unequivocal non-target progression, or new lesions (some by more than one)
    how = (rng.random(m)[:, None] >= np.array([0.45, 0.65])[None, :]).sum(axis=1)   # 0 target, 1 non-target, 2 new
    extra_new = (how == 0) & (rng.random(m) < 0.2)
    pd_target, pd_nontarget = (r == PD) & (how == 0), (r == PD) & (how == 1)
    new_here = (r == PD) & ((how == 2) | extra_new)
    ne_lesion = rng.random(m)                                                # which target lesion is missed on NE

    # --- target lesion x assessment -----------------------------------------------------------------------
    g = a.reset_index().rename(columns={"index": "a"}).merge(tl.reset_index().rename(columns={"index": "t"}),
                                                             on="s", how="inner")
    g = g.sort_values(["s", "les", "visit"], kind="stable").reset_index(drop=True)
    ai = g["a"].to_numpy()
    gb, gcat = g["base"].to_numpy(), cat[ai]
    gnodal, first = g["nodal"].to_numpy(), g["les"].to_numpy() == 1
    noise = rng.uniform(0.9, 1.1, len(g))
    v = np.minimum(gb, np.rint(gb * factor[ai] * noise))
    v = np.where(gcat == "BL", gb, v)                                          # the baseline as measured
    v = np.where(gcat == "PR", np.minimum(v, np.floor(0.69 * gb)), v)
    v = np.where(gcat == "CR", np.where(gnodal, np.minimum(v, g["cr_node"].to_numpy()), 0), v)
    v = np.where(gcat == "SD", np.maximum(v, np.ceil(0.72 * gb)), v)
    v = np.where(gcat == "PD", gb, v)                                          # replaced below
    key = g["t"].to_numpy()
    latent = pd.Series(np.where(gcat == "PD", np.inf, v)).groupby(key).cummin().to_numpy()
    # floors after the running minimum: SD stays above -28 %; PR keeps its first lesion measurable (not a CR)
    latent = np.where(gcat == "SD", np.maximum(latent, np.ceil(0.72 * gb)), latent)
    latent = np.where((gcat == "PR") & first, np.maximum(latent, np.where(gnodal, 10, 5)), latent)
    prev = pd.Series(latent).groupby(key).shift(1).to_numpy()                 # the lesion before progression
    grow = np.where(prev > 0, np.ceil(prev * rng.uniform(1.25, 1.6, len(g))), rng.integers(5, 13, len(g)))
    drift = np.where(prev > 0, np.rint(prev * rng.uniform(0.9, 1.12, len(g))), prev)   # progression elsewhere
    value = np.where(gcat == "PD", np.where(pd_target[ai], grow, drift), latent).astype(np.int64)
    g["value"] = value
    # --- sums, nadir and target response ---------------------------------------------------------------------
    n_tl_s = n_tl[a["s"].to_numpy()]
    pick_les = 1 + np.floor(ne_lesion * n_tl_s).astype(np.int64)
    missed = (gcat == "NE") & (g["les"].to_numpy() == pick_les[ai])
    g["missed"] = missed
    total = g.groupby("a")["value"].sum().reindex(range(m)).to_numpy().astype(float)
    measured = ~g.groupby("a")["missed"].any().reindex(range(m)).to_numpy()
    gone = (np.where(gnodal, value < 10, value == 0))
    all_gone = pd.Series(gone).groupby(ai).all().reindex(range(m)).to_numpy()
    evaluable_sum = pd.Series(np.where(measured, total, np.nan))
    nadir = evaluable_sum.groupby(a["s"]).cummin().groupby(a["s"]).ffill().groupby(a["s"]).shift(1).to_numpy()
    base_sum = pd.Series(total).groupby(a["s"]).transform("first").to_numpy()
    # target growth at progression: at least +20 % and +5 mm over the nadir (added to the first lesion)
    need = np.where(pd_target, np.maximum(np.ceil(1.2 * nadir), nadir + 5) - total, 0)
    need = np.nan_to_num(np.maximum(need, 0)).astype(np.int64)
    g.loc[first, "value"] += need[ai[first]]
    total = g.groupby("a")["value"].sum().reindex(range(m)).to_numpy().astype(float)
    # a progression by non-target or new lesions keeps the target sum below the +20 % / +5 mm threshold
    creep = ((r == PD) & ~pd_target & (total - nadir >= np.maximum(0.2 * nadir, 5) - 1e-9))[ai]
    g.loc[creep, "value"] = prev[creep].astype(np.int64)
    value = g["value"].to_numpy()
    total = g.groupby("a")["value"].sum().reindex(range(m)).to_numpy().astype(float)
    gone = np.where(gnodal, value < 10, value == 0)
    all_gone = pd.Series(gone).groupby(ai).all().reindex(range(m)).to_numpy()
    post_row = r != -1
    trg = np.where(post_row, target_response(total, base_sum, nadir, measured, all_gone), "")

    # --- non-target lesion x assessment -----------------------------------------------------------------------
    h = a.reset_index().rename(columns={"index": "a"}).merge(nt, on="s", how="inner")
    h = h.sort_values(["s", "les", "visit"], kind="stable").reset_index(drop=True)
    hi = h["a"].to_numpy()
    hcat = cat[hi]
    was_cr = pd.Series((hcat == "CR") & ~tcr[hi]).groupby(h["s"].astype(str) + "/" + h["les"].astype(str)).cummax().to_numpy()
    state = np.where(was_cr, np.where(h["nodal"].to_numpy(), NONPATH, ABSENT), PRESENT)
    state = np.where(pd_nontarget[hi] & (h["les"].to_numpy() == 1), UNEQUIVOCAL, state)
    h["state"] = state
    ntrg_pd = pd.Series(state == UNEQUIVOCAL).groupby(hi).any().reindex(range(m)).to_numpy()
    ntrg_cr = pd.Series(np.isin(state, [ABSENT, NONPATH])).groupby(hi).all().reindex(range(m)).to_numpy()
    ntrg = np.where(post_row, np.select([ntrg_pd, ntrg_cr], ["PD", "CR"], "Non-CR/Non-PD"), "")
    ovr = np.where(post_row, overall_response(trg, ntrg, new_here), "")
    planned = np.array(["CR", "PR", "SD", "PD", "NE"], dtype=object)[np.where(post_row, r, 0)]
    wrong = post_row & (ovr != planned)
    if wrong.any():
        raise RuntimeError(f"RECIST lesions disagree with the planned responses at {int(wrong.sum())} assessments")

    # --- new lesions at progression ------------------------------------------------------------------------
    n_new = np.where(new_here, 1 + (rng.random(m) < 0.3), 0)
    nw_a, nw_pos = repeat_each(n_new)
    nsite = rng.integers(0, len(NEW_SITES), len(nw_a))
    nw_lat = np.where(np.array([x[1] for x in NEW_SITES])[nsite], SIDES[rng.integers(0, 2, len(nw_a))], "")

    # --- forms -----------------------------------------------------------------------------------------------
    subj_of = treated[a["s"].to_numpy()]
    folder = np.where(a["visit"].to_numpy() == 0, "SCREENING", "WEEK " + fmt_int(6 * a["visit"].to_numpy()))
    dates = crf_date(a["day"].to_numpy())

    def keys_for(rows: np.ndarray) -> dict[str, np.ndarray | str]:
        subj = subj_of[rows]
        return {"STUDYID": design.studyid, "SITEID": b["siteid"].to_numpy()[subj],
                "SUBJID": b["subjid"].to_numpy()[subj], "FOLDER": folder[rows]}

    tl_f = text_frame({**keys_for(ai), "TLDAT": dates[ai],
                       "TLID": "T" + pd.Series(g["les"].to_numpy()).astype(str).str.zfill(2).to_numpy(),
                       "TLLOC": g["loc"].to_numpy(), "TLLAT": g["lat"].to_numpy(), "TLMETH": g["method"].to_numpy(),
                       "TLDIAM": fmt_int(value, blank=missed), "TLDIAMU": "mm",
                       "TLNDRSN": np.where(missed, "Lesion not assessable on the scan", "")}, len(g))
    ntl_f = text_frame({**keys_for(hi), "NTLDAT": dates[hi],
                        "NTLID": "NT" + pd.Series(h["les"].to_numpy()).astype(str).str.zfill(2).to_numpy(),
                        "NTLLOC": h["loc"].to_numpy(), "NTLLAT": h["lat"].to_numpy(),
                        "NTLMETH": h["method"].to_numpy(), "NTLSTAT": h["state"].to_numpy()}, len(h))
    nl_f = text_frame({**keys_for(nw_a), "NLDAT": dates[nw_a],
                       "NLID": "NEW" + pd.Series(nw_pos + 1).astype(str).str.zfill(2).to_numpy(),
                       "NLLOC": np.array([x[0] for x in NEW_SITES], dtype=object)[nsite], "NLLAT": nw_lat,
                       "NLMETH": np.array([x[2] for x in NEW_SITES], dtype=object)[nsite],
                       "NLSTAT": "Unequivocal"}, len(nw_a))
    # TL rows per subject and visit in lesion order; NTL likewise
    tl_f = _visit_order(tl_f, ai, g["les"].to_numpy())
    ntl_f = _visit_order(ntl_f, hi, h["les"].to_numpy())

    comp = pd.DataFrame({"subj": subj_of, "visit": a["visit"].to_numpy(), "day": a["day"].to_numpy(),
                         "TRGSUM": np.where(measured, total, np.nan), "TRGRESP": trg, "NTRGRESP": ntrg,
                         "NEWLES": np.where(post_row, np.where(new_here, "Y", "N"), ""), "OVRLRESP": ovr})
    known = _known_answers(b, comp, planned, post_row)
    return {"tl": tl_f, "ntl": ntl_f, "nl": nl_f}, comp, known


def _visit_order(frame: pd.DataFrame, assessment: np.ndarray, lesion: np.ndarray) -> pd.DataFrame:
    order = np.lexsort((lesion, assessment))
    return frame.iloc[order].reset_index(drop=True)


def _known_answers(b: pd.DataFrame, comp: pd.DataFrame, planned: np.ndarray, post: np.ndarray) -> pd.DataFrame:
    """Per subject: baseline sum, nadir, best % change from baseline and best overall response (no confirmation)."""
    c = comp.assign(_post=post, _ovr=np.where(post, planned, ""))
    base = c[~c["_post"]].set_index("subj")["TRGSUM"]
    after = c[c["_post"]]
    nadir = c.dropna(subset=["TRGSUM"]).groupby("subj")["TRGSUM"].min()
    pchg = (after["TRGSUM"] - base.reindex(after["subj"]).to_numpy()) / base.reindex(after["subj"]).to_numpy() * 100
    best_pchg = pchg.groupby(after["subj"]).min()
    rank = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "NE": 4}
    best = after.assign(_r=after["_ovr"].map(rank)).groupby("subj")["_r"].min()
    codes = np.array(["CR", "PR", "SD", "PD", "NE"], dtype=object)
    subj = base.index.to_numpy()
    bp = best_pchg.reindex(subj).to_numpy()
    br = best.reindex(subj).to_numpy()
    return pd.DataFrame({
        "SUBJID": b["subjid"].to_numpy()[subj], "USUBJID": b["usubjid"].to_numpy()[subj],
        "BASELINE_SUM": fmt_int(base.to_numpy()), "NADIR": fmt_int(nadir.reindex(subj).to_numpy()),
        "BEST_PCHG": np.where(np.isnan(bp), "", np.char.mod("%.1f", np.nan_to_num(bp)).astype(object)),
        "BEST_RESPONSE": np.where(np.isnan(br), "NE", codes[np.nan_to_num(br, nan=4).astype(int)]),
    })
