"""Cellular kinetics of the example studies: CAR-NK transgene copies by qPCR (study A) and their known answers.

Study A's form ``ck`` holds one row per planned blood sample: CAR transgene copies per microgram of genomic DNA
in peripheral blood by real-time PCR, before the first infusion and at nominal days 1, 3, 7, 14, 21 and 28 and
months 2, 3, 6, 9 and 12 after it (until the subject leaves the study).  Levels rise to a peak in the first one
to two weeks and then decline, the peak growing with the dose level; results below the assay's lower limit of
quantitation (LLOQ) are exported as ``<50``, as a lab transfer does.  The form draws from random stream 6 of its
own (``np.random.default_rng([seed, 6, batch])``), so every other raw file stays byte-identical.

Study B's chimerism form (``chim``: % product DNA by STR-PCR) is made by :mod:`converters.examples.aml`.

Known answers (``expected/kinetics.csv``, both studies): per treated subject with a sample, the peak (largest
reported quantifiable result), its nominal day after the first infusion and its collection date, and the number
of samples; taken from the kinetics form as generated (before the deliberate problems are placed) with the
nominal-day tables below, independently of the SDTM/ADaM build.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .common import crf_date, crf_time, fmt_fixed, fmt_int, text_frame
from .design import StudyDesign
from .forms import KEYS, _keys

#: the random stream of the kinetics forms (team rule: one stream per new form)
STREAM = 6
CK_COLUMNS = KEYS + ["FOLDER", "CKTPT", "CKDAT", "CKTIM", "SPEC", "METHOD", "ANALYTE", "RESULT", "UNIT", "LLOQ"]
#: nominal day after the first infusion -> (EDC folder, time point label); day 0 is the pre-infusion sample
CK_SCHEDULE = {0: ("C1 D0", "Pre-dose"), 1: ("C1 D1", "Day 1"), 3: ("C1 D3", "Day 3"), 7: ("C1 D7", "Day 7"),
               14: ("C1 D14", "Day 14"), 21: ("C1 D21", "Day 21"), 28: ("C1 D28", "Day 28"),
               56: ("MONTH 2", "Month 2"), 84: ("MONTH 3", "Month 3"), 182: ("MONTH 6", "Month 6"),
               273: ("MONTH 9", "Month 9"), 365: ("MONTH 12", "Month 12")}
CK_LLOQ = 50.0
#: median peak (copies/ug gDNA) per dose level index: roughly proportional to the cells infused
PEAK_MEDIAN = (2.0e3, 6.0e3, 1.8e4)
#: study B chimerism folders -> nominal day after the first infusion (D0 is the pre-infusion sample)
CHIM_NOMINAL = {"D0": 0, "D7": 7, "D14": 14, "D21": 21, "D28": 28, "M2": 56, "M3": 84, "M6": 182, "M9": 273,
                "M12": 365, "M18": 547, "M24": 720}
EXPECTED_COLUMNS = ["USUBJID", "ANALYTE", "UNIT", "N_SAMPLES", "N_QUANTIFIABLE", "PEAK", "PEAK_NOMINAL_DAY",
                    "PEAK_DATE"]


def stream(rng: np.random.Generator) -> np.random.Generator:
    """The kinetics stream of the batch whose shared stream is ``rng`` (``[seed, 2, i]`` -> ``[seed, 6, i]``)."""
    entropy = rng.bit_generator.seed_seq.entropy  # type: ignore[attr-defined]
    seed, _, batch = entropy
    return np.random.default_rng([seed, STREAM, batch])


def _significant(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Text of positive numbers to ``digits`` significant figures, without exponent (``12300``, ``45.6``)."""
    exponent = np.floor(np.log10(values)).astype(np.int64)
    scale = 10.0 ** (exponent - digits + 1)
    rounded = np.round(values / scale) * scale
    decimals = np.maximum(digits - 1 - exponent, 0)
    out = np.empty(len(values), dtype=object)
    for d in np.unique(decimals):  # a handful of distinct precisions, each formatted as a whole column
        sel = decimals == d
        out[sel] = fmt_fixed(rounded[sel], int(d))
    return out


def ck_form(design: StudyDesign, b: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """CAR-NK transgene copies by qPCR in peripheral blood, one row per sample of each treated subject."""
    krng = stream(rng)
    treated = np.flatnonzero(b["treated"].to_numpy())
    days = np.array(sorted(CK_SCHEDULE))
    k, m = len(days), len(treated)
    level = np.clip(b["level"].to_numpy()[treated], 0, len(PEAK_MEDIAN) - 1)
    peak = np.array(PEAK_MEDIAN)[level] * 10 ** krng.normal(0.0, 0.35, m)
    t_peak = np.array([7.0, 10.0, 14.0])[krng.choice(3, m, p=[0.45, 0.2, 0.35])]
    fast = krng.uniform(4.0, 9.0, m)        # early contraction, days
    slow = krng.uniform(40.0, 160.0, m)     # persistence, days
    share = krng.uniform(0.02, 0.12, m)     # part of the peak that persists
    t = np.tile(days.astype(float), m)
    rep = np.repeat(np.arange(m), k)
    tp, pk = t_peak[rep], peak[rep]
    after = np.maximum(t - tp, 0.0)
    rising = pk * np.exp(-2.5 * (np.log(np.maximum(t, 0.5) / tp)) ** 2)
    falling = pk * ((1 - share[rep]) * np.exp(-after / fast[rep]) + share[rep] * np.exp(-after / slow[rep]))
    value = np.where(t <= tp, rising, falling) * 10 ** krng.normal(0.0, 0.08, m * k)
    value = np.where(t == 0, 0.0, value)
    subj = treated[rep]
    day = b["day0"].to_numpy()[subj] + days[np.arange(m * k) % k]
    day = day + np.where(t >= 56, krng.integers(-3, 4, m * k), 0)
    keep = day < b["end_day"].to_numpy()[subj]
    subj, t, day, value = subj[keep], t[keep], day[keep], value[keep]
    minutes = np.where(np.isin(t, (1.0, 3.0)), krng.integers(9 * 60, 13 * 60, len(t)),
                       krng.integers(7 * 60, 9 * 60, len(t)))  # pre-dose and infusion days: before the infusion
    low = value < CK_LLOQ
    result = np.where(low, f"<{CK_LLOQ:g}", _significant(np.maximum(value, CK_LLOQ)))
    nominal = t.astype(int)
    return text_frame({**_keys(design, b, subj),
                       "FOLDER": pd.Series(nominal).map({d: f for d, (f, _) in CK_SCHEDULE.items()}).to_numpy(),
                       "CKTPT": pd.Series(nominal).map({d: p for d, (_, p) in CK_SCHEDULE.items()}).to_numpy(),
                       "CKDAT": crf_date(day), "CKTIM": crf_time(minutes), "SPEC": "Peripheral blood",
                       "METHOD": "qPCR", "ANALYTE": "CAR transgene", "RESULT": result, "UNIT": "copies/ug gDNA",
                       "LLOQ": fmt_int(np.full(len(t), CK_LLOQ))}, len(t))


def _iso(crf: pd.Series) -> pd.Series:
    return pd.to_datetime(crf, format="%d-%b-%Y").dt.strftime("%Y-%m-%d")


def _answers(form: pd.DataFrame, result: str, date: str, nominal: pd.Series, analyte: str,
             unit: str) -> pd.DataFrame:
    """Per subject: samples, quantifiable samples, peak, its nominal day and date (blank without a quantifiable one)."""
    f = form.assign(USUBJID=form["STUDYID"] + "-" + form["SUBJID"], _nom=nominal.to_numpy(),
                    _val=pd.to_numeric(form[result], errors="coerce"))
    f = f.sort_values(["USUBJID", "_nom"], kind="mergesort")
    g = f.groupby("USUBJID", sort=True)
    out = pd.DataFrame({"N_SAMPLES": g.size(), "N_QUANTIFIABLE": g["_val"].count()})
    top = f[f["_val"].notna()].sort_values(["USUBJID", "_val", "_nom"], ascending=[True, False, True],
                                           kind="mergesort").drop_duplicates("USUBJID").set_index("USUBJID")
    out["PEAK"] = top[result].reindex(out.index)
    out["PEAK_NOMINAL_DAY"] = top["_nom"].reindex(out.index).map(lambda v: "" if pd.isna(v) else str(int(v)))
    out["PEAK_DATE"] = _iso(top[date]).reindex(out.index)
    out = out.reset_index().assign(ANALYTE=analyte, UNIT=unit)
    return out[EXPECTED_COLUMNS].fillna("")


def known_answers(study_key: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The known kinetics answers of one batch, from its kinetics form as generated (before problems are placed)."""
    if study_key == "carnk-sclc":
        form = frames["ck"]
        by_tpt = {p: d for d, (_, p) in CK_SCHEDULE.items()}
        return _answers(form, "RESULT", "CKDAT", form["CKTPT"].map(by_tpt), "CAR transgene", "DNA copies/ug")
    form = frames["chim"]
    return _answers(form, "CHIMPCT", "CHDAT", form["FOLDER"].map(CHIM_NOMINAL), "Product DNA", "%")
