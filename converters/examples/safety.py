"""Safety forms shared by both example studies: laboratory, vital signs around infusions, medications.

They draw from a random stream of their own (``seed, 3, batch``), so adding them left every other form
byte-identical.  Values follow the subject plan: cytopenias after lymphodepletion, inflammation markers
and fever at the onset of cytokine release syndrome (CRS), tocilizumab and corticosteroids for CRS and
ICANS by grade (ASTCT 2019 consensus management), G-CSF for neutropenic events, premedication before
each infusion and anti-viral prophylaxis from lymphodepletion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import meddra
from .common import NO_DATE, crf_date, crf_time, fmt_fixed, fmt_int, text_frame
from .design import StudyDesign
from .forms import KEYS, _keys

LAB_COLUMNS = KEYS + ["FOLDER", "LBDAT", "LBTIM", "CATEGORY", "TESTCODE", "TESTNAME", "SPECIMEN", "RESULT", "UNIT",
                      "NRLOW", "NRHIGH"]
VS_COLUMNS = KEYS + ["FOLDER", "VSDAT", "REFTIM", "VSTPT_CD", "VSTPT", "VSTIM", "TEMP", "TEMP_U", "SYSBP", "DIABP",
                     "BP_U", "HR", "HR_U", "SPO2", "SPO2_U"]
CM_COLUMNS = KEYS + ["FOLDER", "CMSPID", "CMCAT", "CMTRT", "CMDECOD", "CMCLAS", "CMCLASCD", "CMINDC", "CMAENO",
                     "CMDOSE", "CMDOSU", "CMDOSFRQ", "CMROUTE", "CMSTDAT", "CMENDAT", "CMONGO"]
SAFETY_FORMS = {"lab": LAB_COLUMNS, "vs": VS_COLUMNS, "cm": CM_COLUMNS}

# laboratory phases: screening, before lymphodepletion, day 0 (before the infusion), day 7, day 14, first
# response assessment; CRS onset samples (inflammation markers only) are unscheduled
SCR, PRELD, D0, D7, D14, ASSESS = range(6)


@dataclass(frozen=True)
class LabTest:
    """One test of the lab form: raw code and name, category, specimen, SI unit and range, collected unit."""

    code: str
    name: str
    category: str
    spec: str
    si_unit: str
    low: float
    high: float
    ranges: tuple[tuple[float, float], ...]     # SI values drawn per phase (SCR .. ASSESS); one = every phase
    phases: tuple[int, ...]
    conv_unit: str = ""                         # conventional unit some labs report, and SI = conv x factor
    factor: float = 1.0
    decimals: int = 2
    onset: tuple[float, float] | None = None    # SI values at CRS onset (inflammation markers)


LAB_TESTS = [
    LabTest("ANC", "Absolute neutrophil count", "Haematology", "Blood", "10^9/L", 1.8, 7.7,
            ((2, 6.5), (1.5, 5), (0.1, 1.6), (0.05, 1.2), (0.3, 2.5), (1.2, 5)), tuple(range(6))),
    LabTest("PLT", "Platelet count", "Haematology", "Blood", "10^9/L", 150, 400,
            ((160, 350), (120, 300), (60, 220), (20, 160), (35, 200), (90, 300)), tuple(range(6)), decimals=0),
    LabTest("HGB", "Haemoglobin", "Haematology", "Blood", "g/L", 120, 160,
            ((105, 150), (100, 140), (85, 125), (72, 120), (75, 125), (90, 135)), tuple(range(6)),
            "g/dL", 10.0, 1),
    LabTest("WBC", "White blood cell count", "Haematology", "Blood", "10^9/L", 4.0, 11.0,
            ((4.5, 10), (3.5, 9), (0.5, 3.5), (0.3, 2.8), (1.0, 5), (3, 9)), tuple(range(6))),
    LabTest("LYMPH", "Lymphocyte count", "Haematology", "Blood", "10^9/L", 1.0, 4.8,
            ((0.8, 2.6), (0.6, 2.2), (0.05, 0.45), (0.1, 0.9), (0.2, 1.3), (0.5, 2)), tuple(range(6))),
    LabTest("CREAT", "Creatinine", "Chemistry", "Serum", "umol/L", 53, 106, ((55, 112),),
            (SCR, PRELD, D0, ASSESS), "mg/dL", 88.42, 2),
    LabTest("TBIL", "Total bilirubin", "Chemistry", "Serum", "umol/L", 3.4, 20.5, ((4, 22),),
            (SCR, PRELD, D0, ASSESS), "mg/dL", 17.1, 2),
    LabTest("ALT", "Alanine aminotransferase", "Chemistry", "Serum", "U/L", 7, 56, ((10, 62),),
            (SCR, PRELD, D0, ASSESS), decimals=0),
    LabTest("AST", "Aspartate aminotransferase", "Chemistry", "Serum", "U/L", 10, 40, ((12, 44),),
            (SCR, PRELD, D0, ASSESS), decimals=0),
    LabTest("INR", "Prothrombin INR", "Coagulation", "Plasma", "ratio", 0.8, 1.2, ((0.9, 1.25),),
            (SCR, PRELD, D0, ASSESS)),
    LabTest("APTT", "Activated partial thromboplastin time", "Coagulation", "Plasma", "sec", 25, 35, ((25, 37),),
            (SCR, PRELD, D0, ASSESS), decimals=1),
    LabTest("CRP", "C-reactive protein", "Inflammation markers", "Serum", "mg/L", 0, 5,
            ((0.5, 8), (0.5, 8), (1, 15), (2, 30), (1, 12), (0.5, 8)), (D0, D7, D14), "mg/dL", 10.0, 2,
            onset=(60, 250)),
    LabTest("FERR", "Ferritin", "Inflammation markers", "Serum", "ng/mL", 30, 400, ((80, 520),), (D0, D7, D14),
            decimals=0, onset=(900, 9000)),
    LabTest("IL6", "Interleukin-6", "Inflammation markers", "Serum", "pg/mL", 0, 7, ((1, 9),), (D0, D7, D14),
            decimals=1, onset=(40, 2000)),
]

#: vital signs timepoints around each infusion: (code, text, minutes after the infusion start)
VS_TIMEPOINTS = [(1, "Pre-infusion", -30), (2, "1 hour after start of infusion", 60),
                 (3, "4 hours after start of infusion", 240)]


@dataclass(frozen=True)
class Medication:
    """A WHODrug-style coded medication: verbatim, preferred name, ATC class text and code, usual dose."""

    verbatim: str
    decod: str
    atc: str
    atc_code: str
    dose: str = ""
    unit: str = ""
    freq: str = ""
    route: str = ""


TOCILIZUMAB = Medication("Tocilizumab", "TOCILIZUMAB", "INTERLEUKIN INHIBITORS", "L04AC", "8", "mg/kg", "ONCE", "IV")
DEXAMETHASONE = Medication("Dexamethasone", "DEXAMETHASONE", "CORTICOSTEROIDS FOR SYSTEMIC USE, PLAIN", "H02AB",
                           "10", "mg", "Q6H", "IV")
ANAKINRA = Medication("Anakinra", "ANAKINRA", "INTERLEUKIN INHIBITORS", "L04AC", "100", "mg", "Q6H", "SC")
FILGRASTIM = Medication("Filgrastim (G-CSF)", "FILGRASTIM", "COLONY STIMULATING FACTORS", "L03AA", "5", "ug/kg",
                        "QD", "SC")
LEVOFLOXACIN = Medication("Levofloxacin", "LEVOFLOXACIN", "FLUOROQUINOLONES", "J01MA", "500", "mg", "QD", "PO")
ACICLOVIR = Medication("Aciclovir", "ACICLOVIR", "NUCLEOSIDES AND NUCLEOTIDES EXCL. REVERSE TRANSCRIPTASE "
                       "INHIBITORS", "J05AB", "400", "mg", "BID", "PO")
PARACETAMOL = Medication("Paracetamol", "PARACETAMOL", "ANILIDES", "N02BE", "650", "mg", "ONCE", "PO")
DIPHENHYDRAMINE = Medication("Diphenhydramine", "DIPHENHYDRAMINE HYDROCHLORIDE", "AMINOALKYL ETHERS", "R06AA", "25",
                             "mg", "ONCE", "IV")
PRIOR_THERAPY = {
    "carnk-sclc": ("Small cell lung cancer", [
        Medication("Carboplatin", "CARBOPLATIN", "PLATINUM COMPOUNDS", "L01XA"),
        Medication("Etoposide", "ETOPOSIDE", "PODOPHYLLOTOXIN DERIVATIVES", "L01CB"),
        Medication("Topotecan", "TOPOTECAN", "TOPOISOMERASE 1 (TOP1) INHIBITORS", "L01CE"),
        Medication("Atezolizumab", "ATEZOLIZUMAB", "PD-1/PDL-1 (PROGRAMMED CELL DEATH PROTEIN 1/DEATH LIGAND 1) "
                   "INHIBITORS", "L01FF")]),
    "cll1-aml": ("Acute myeloid leukaemia", [
        Medication("Azacitidine", "AZACITIDINE", "PYRIMIDINE ANALOGUES", "L01BC"),
        Medication("Venetoclax", "VENETOCLAX", "OTHER ANTINEOPLASTIC AGENTS", "L01XX"),
        Medication("Cytarabine", "CYTARABINE", "PYRIMIDINE ANALOGUES", "L01BC"),
        Medication("Idarubicin", "IDARUBICIN", "ANTHRACYCLINES AND RELATED SUBSTANCES", "L01DB")]),
}
DEATH_LOCATION = np.array(["Hospital", "Home", "Hospice"], dtype=object)


def infusion_folder(design: StudyDesign, cycle: np.ndarray | int, cyday: np.ndarray | int) -> np.ndarray:
    """Raw folder of an infusion visit: ``C1 D7`` (studies with cycle folders) or ``D7``."""
    day = "D" + fmt_int(np.atleast_1d(cyday))
    return ("C" + fmt_int(np.broadcast_to(cycle, day.shape)) + " " + day) if design.cycle_folders else day


def ae_numbers(ae: pd.DataFrame) -> np.ndarray:
    """AESPID of each generated adverse event (1, 2 ... per subject in AE order, as the AE form writes it)."""
    return ae.groupby("subj").cumcount().to_numpy() + 1


# --------------------------------------------------------------------------------------------------- laboratory
def lab_form(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame, tests: list[str],
             conventional: bool, assess_folder: str, rng: np.random.Generator) -> pd.DataFrame:
    """Central laboratory results, one row per test and sample, with the lab's normal range.

    ``conventional``: the lab reports haemoglobin in g/dL and creatinine, bilirubin and CRP in mg/dL (the
    SDTM standard unit is SI, converted by the spec's table); otherwise in SI units.
    """
    chosen = [t for t in LAB_TESTS if t.code in tests]
    treated = np.flatnonzero(b["treated"].to_numpy())
    end = b["end_day"].to_numpy()
    first = inf[(inf["cycle"] == 1) & (inf["cyday"] == 0)].drop_duplicates("subj").set_index("subj")
    n = len(treated)
    # one sample per phase and subject: day and minute of the draw
    scr_day = b["consent_day"].to_numpy()[treated] + rng.integers(1, 6, n)
    day0 = b["day0"].to_numpy()[treated]
    inf_start = first["start"].reindex(treated).fillna(600).to_numpy().astype(int)
    inf_end = inf_start + first["dur"].reindex(treated).fillna(30).to_numpy().astype(int)
    predose = rng.random(n) < 0.9       # a few day 0 samples are drawn after the infusion
    d0_minute = np.where(predose, inf_start - rng.integers(30, 121, n), np.minimum(inf_end + rng.integers(30, 121, n),
                                                                                   1439))
    assess1 = b["assess_1"].to_numpy()[treated]
    days = np.stack([scr_day, b["ld_day"].to_numpy()[treated], day0, day0 + 7, day0 + 14, assess1], axis=1)
    minutes = np.stack([rng.integers(480, 660, n), rng.integers(420, 510, n), d0_minute, rng.integers(420, 540, n),
                        rng.integers(420, 540, n), rng.integers(480, 660, n)], axis=1)
    day0_folder = infusion_folder(design, 1, 0)[0]
    folders = np.array(["SCREENING", day0_folder.replace("D0", "LD"), day0_folder, infusion_folder(design, 1, 7)[0],
                        infusion_folder(design, 1, 14)[0], assess_folder], dtype=object)
    parts = []
    for k, test in enumerate(chosen):
        ph = np.array(test.phases)
        subj = np.repeat(np.arange(n), len(ph))
        phase = np.tile(ph, n)
        ranges = np.array(test.ranges if len(test.ranges) > 1 else test.ranges * 6, dtype=float)
        lo, hi = ranges[phase, 0], ranges[phase, 1]
        si = lo + (hi - lo) * rng.random(len(subj))
        parts.append(pd.DataFrame({"s": treated[subj], "day": days[subj, phase], "minute": minutes[subj, phase],
                                   "folder": folders[phase], "test": k, "si": si, "order": phase}))
    # CRS onset: inflammation markers drawn on the day the event starts
    kinds = meddra.term_table()["kind"][ae["term"].to_numpy()]
    crs = ae[kinds == "crs"].drop_duplicates(["subj", "start"])     # one sample however many events start that day
    markers = [(k, t.onset) for k, t in enumerate(chosen) if t.onset is not None]
    if len(crs) and markers:
        m = len(crs)
        minute = np.where(crs["minute"].to_numpy() >= 0, crs["minute"].to_numpy() + 30, 720)
        for k, (lo, hi) in markers:
            parts.append(pd.DataFrame({"s": crs["subj"].to_numpy(), "day": crs["start"].to_numpy(),
                                       "minute": np.minimum(minute, 1439), "folder": "UNSCHEDULED", "test": k,
                                       "si": lo + (hi - lo) * rng.random(m), "order": 6}))
    lab = pd.concat(parts, ignore_index=True)
    lab = lab[(lab["day"].to_numpy() < end[lab["s"].to_numpy()]) & (lab["day"].to_numpy() != NO_DATE)]
    lab = lab.sort_values(["s", "day", "minute", "order", "test"], kind="stable").reset_index(drop=True)
    k = lab["test"].to_numpy()
    conv = np.array([conventional and bool(t.conv_unit) for t in chosen])[k]
    factor = np.where(conv, np.array([t.factor for t in chosen])[k], 1.0)
    unit = np.where(conv, np.array([t.conv_unit or t.si_unit for t in chosen], dtype=object)[k],
                    np.array([t.si_unit for t in chosen], dtype=object)[k])
    dec = np.array([t.decimals for t in chosen])[k]
    value = lab["si"].to_numpy() / factor
    low = np.array([t.low for t in chosen])[k] / factor
    high = np.array([t.high for t in chosen])[k] / factor
    text = np.empty(len(lab), dtype=object)
    lo_text = np.empty(len(lab), dtype=object)
    hi_text = np.empty(len(lab), dtype=object)
    for d in np.unique(dec):
        sel = dec == d
        text[sel] = fmt_fixed(value[sel], int(d))
        lo_text[sel] = fmt_fixed(low[sel], int(d))
        hi_text[sel] = fmt_fixed(high[sel], int(d))
    rows = lab["s"].to_numpy()
    return text_frame({**_keys(design, b, rows), "FOLDER": lab["folder"].to_numpy(),
                       "LBDAT": crf_date(lab["day"].to_numpy()), "LBTIM": crf_time(lab["minute"].to_numpy()),
                       "CATEGORY": np.array([t.category for t in chosen], dtype=object)[k],
                       "TESTCODE": np.array([t.code for t in chosen], dtype=object)[k],
                       "TESTNAME": np.array([t.name for t in chosen], dtype=object)[k],
                       "SPECIMEN": np.array([t.spec for t in chosen], dtype=object)[k],
                       "RESULT": text, "UNIT": unit, "NRLOW": lo_text, "NRHIGH": hi_text}, len(lab))


# --------------------------------------------------------------------------------------------------- vital signs
def vs_form(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame,
            rng: np.random.Generator) -> pd.DataFrame:
    """Temperature, blood pressure, heart rate and SpO2 before and after the start of every infusion given.

    The 4-hour values show fever (and lower blood pressure, faster pulse, lower SpO2) when CRS starts that day.
    """
    given = inf[inf["given"]].reset_index(drop=True)
    kinds = meddra.term_table()["kind"][ae["term"].to_numpy()]
    crs = ae.loc[kinds == "crs", ["subj", "start"]].drop_duplicates().rename(columns={"start": "day"})
    crs_merged = given[["subj", "day"]].merge(crs.assign(crs=True), on=["subj", "day"], how="left")["crs"]
    crs_today = crs_merged.fillna(False).to_numpy(dtype=bool)
    t = len(VS_TIMEPOINTS)
    r = np.repeat(np.arange(len(given)), t)
    tp = np.tile(np.arange(t), len(given))
    m = len(r)
    code = np.array([p[0] for p in VS_TIMEPOINTS])[tp]
    offset = np.array([p[2] for p in VS_TIMEPOINTS])[tp]
    febrile = crs_today[r] & (code == 3)
    temp = np.where(febrile, rng.uniform(38.1, 39.6, m), rng.uniform(36.1, 37.4, m))
    sbp = np.where(febrile, rng.uniform(84, 112, m), rng.uniform(102, 142, m))
    dbp = np.minimum(sbp - 25, rng.uniform(58, 90, m))
    hr = np.where(febrile, rng.uniform(96, 128, m), rng.uniform(60, 98, m))
    spo2 = np.where(febrile, rng.uniform(90, 96, m), rng.uniform(94, 100, m))
    rows = given["subj"].to_numpy()[r]
    return text_frame({**_keys(design, b, rows),
                       "FOLDER": infusion_folder(design, given["cycle"].to_numpy()[r], given["cyday"].to_numpy()[r]),
                       "VSDAT": crf_date(given["day"].to_numpy()[r]), "REFTIM": crf_time(given["start"].to_numpy()[r]),
                       "VSTPT_CD": fmt_int(code),
                       "VSTPT": np.array([p[1] for p in VS_TIMEPOINTS], dtype=object)[tp],
                       "VSTIM": crf_time(given["start"].to_numpy()[r] + offset),
                       "TEMP": fmt_fixed(temp, 1), "TEMP_U": "C", "SYSBP": fmt_int(np.rint(sbp)),
                       "DIABP": fmt_int(np.rint(dbp)), "BP_U": "mmHg", "HR": fmt_int(np.rint(hr)),
                       "HR_U": "beats/min", "SPO2": fmt_int(np.floor(spo2).clip(0, 100)), "SPO2_U": "%"}, m)


# --------------------------------------------------------------------------------------------------- medications
def treatments(ae: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The medications given for adverse events: one row per (event, medication), numeric.

    CRS (ASTCT 2019 grade): tocilizumab from grade 2 (and for 15% of grade 1 events with persistent fever),
    dexamethasone from grade 3, anakinra at grade 4; ICANS: dexamethasone from grade 2, anakinra from grade 3;
    febrile neutropenia: filgrastim and levofloxacin; grade 3+ neutropenia: filgrastim for half of the events.
    """
    t = meddra.term_table()
    key = t["key"][ae["term"].to_numpy()]
    grade = ae["grade"].to_numpy()
    u = rng.random(len(ae))
    rules = [
        (TOCILIZUMAB, (key == "CRS") & ((grade >= 2) | (u < 0.15))),
        (DEXAMETHASONE, ((key == "CRS") & (grade >= 3)) | ((key == "ICANS") & (grade >= 2))),
        (ANAKINRA, ((key == "CRS") & (grade >= 4)) | ((key == "ICANS") & (grade >= 3))),
        (FILGRASTIM, (key == "FN") | ((key == "NEUTROPENIA") & (grade >= 3) & (u < 0.5))),
        (LEVOFLOXACIN, key == "FN"),
    ]
    aeno = ae_numbers(ae)
    parts = []
    for med, when in rules:
        i = np.flatnonzero(when)
        parts.append(pd.DataFrame({"subj": ae["subj"].to_numpy()[i], "ae": i, "aeno": aeno[i], "med": med.verbatim,
                                   "start": ae["start"].to_numpy()[i], "dur": np.where(
                                       med.freq == "ONCE", 0, np.maximum(ae["dur"].to_numpy()[i], 1) + 2)}))
    # a medication started for two events on the same day is one course (one CM record, linked to the first event)
    return pd.concat(parts, ignore_index=True).drop_duplicates(["subj", "med", "start"]).reset_index(drop=True)


def cm_form(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame, tr: pd.DataFrame,
            rng: np.random.Generator) -> pd.DataFrame:
    """Prior cancer therapy (partial dates), premedication and prophylaxis, and the treatment of adverse events
    (``CMAENO`` is the AE log line, AESPID, of the event treated)."""
    indication, prior = PRIOR_THERAPY[design.key]
    meds = {m.verbatim: m for m in [TOCILIZUMAB, DEXAMETHASONE, ANAKINRA, FILGRASTIM, LEVOFLOXACIN, ACICLOVIR,
                                    PARACETAMOL, DIPHENHYDRAMINE] + prior}
    t = meddra.term_table()
    enrolled = np.flatnonzero(b["enrolled"].to_numpy())
    consent = b["consent_day"].to_numpy()
    n_prior = 1 + (rng.random(len(enrolled)) < 0.6) + (rng.random(len(enrolled)) < 0.3)
    ps = np.repeat(enrolled, n_prior)
    pk = pd.Series(ps).groupby(ps).cumcount().to_numpy()
    p_end = consent[ps] - 30 - 150 * pk - rng.integers(0, 120, len(ps))
    p_start = p_end - rng.integers(60, 181, len(ps))
    prec = np.where(rng.random(len(ps)) < 0.2, 1, 2)
    parts = [pd.DataFrame({"subj": ps, "med": np.array([m.verbatim for m in prior], dtype=object)[
        (pk + np.repeat(rng.integers(0, len(prior), len(enrolled)), n_prior)) % len(prior)],
        "cat": "Prior cancer therapy",
        "indc": indication, "aeno": 0, "start": p_start, "sprec": prec, "end": p_end, "eprec": prec})]
    given = inf[inf["given"]]
    for med in (PARACETAMOL, DIPHENHYDRAMINE):
        parts.append(pd.DataFrame({"subj": given["subj"].to_numpy(), "med": med.verbatim, "cat": "Concomitant",
                                   "indc": "Premedication for cell infusion", "aeno": 0,
                                   "start": given["day"].to_numpy(), "sprec": 3, "end": given["day"].to_numpy(),
                                   "eprec": 3}))
    treated = np.flatnonzero(b["treated"].to_numpy())
    ld = b["ld_day"].to_numpy()[treated]
    parts.append(pd.DataFrame({"subj": treated, "med": ACICLOVIR.verbatim, "cat": "Concomitant",
                               "indc": "Antiviral prophylaxis", "aeno": 0, "start": ld, "sprec": 3,
                               "end": ld + 95, "eprec": 3}))
    parts.append(pd.DataFrame({"subj": tr["subj"].to_numpy(), "med": tr["med"].to_numpy(), "cat": "Concomitant",
                               "indc": t["pt"][ae["term"].to_numpy()[tr["ae"].to_numpy()]],
                               "aeno": tr["aeno"].to_numpy(), "start": tr["start"].to_numpy(), "sprec": 3,
                               "end": tr["start"].to_numpy() + tr["dur"].to_numpy(), "eprec": 3}))
    cm = pd.concat(parts, ignore_index=True)
    end_day = b["end_day"].to_numpy()[cm["subj"].to_numpy()]
    cm = cm[cm["start"].to_numpy() < end_day].reset_index(drop=True)
    cm = cm.sort_values(["subj", "start", "med"], kind="stable").reset_index(drop=True)
    ongoing = cm["end"].to_numpy() >= b["end_day"].to_numpy()[cm["subj"].to_numpy()]
    rows = cm["subj"].to_numpy()
    m = len(cm)
    names = cm["med"]

    def field(name: str) -> np.ndarray:
        return names.map({v: getattr(m, name) for v, m in meds.items()}).to_numpy(dtype=object)

    return text_frame({**_keys(design, b, rows), "FOLDER": "CM LOG",
                       "CMSPID": fmt_int(pd.Series(rows).groupby(rows).cumcount().to_numpy() + 1),
                       "CMCAT": cm["cat"].to_numpy(), "CMTRT": cm["med"].to_numpy(), "CMDECOD": field("decod"),
                       "CMCLAS": field("atc"), "CMCLASCD": field("atc_code"), "CMINDC": cm["indc"].to_numpy(),
                       "CMAENO": np.where(cm["aeno"].to_numpy() > 0, fmt_int(cm["aeno"].to_numpy()), ""),
                       "CMDOSE": field("dose"), "CMDOSU": field("unit"), "CMDOSFRQ": field("freq"),
                       "CMROUTE": field("route"),
                       "CMSTDAT": crf_date(cm["start"].to_numpy(), cm["sprec"].to_numpy()),
                       "CMENDAT": np.where(ongoing, "", crf_date(cm["end"].to_numpy(), cm["eprec"].to_numpy())),
                       "CMONGO": np.where(ongoing, "Y", "N")}, m)


def death_location(b: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Location of death for the subjects who died (in dd form order): mostly hospital after a fatal AE."""
    dead = np.flatnonzero(b["death_day"].to_numpy() != NO_DATE)
    cause = b["death_cause"].to_numpy()[dead]
    u = rng.random(len(dead))
    return np.where(cause == 1, np.where(u < 0.92, "Hospital", "Hospice"),
                    DEATH_LOCATION[np.searchsorted([0.45, 0.8], u, side="right")])


def safety_forms(design: StudyDesign, b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame, lab_tests: list[str],
                 conventional: bool, assess_folder: str, rng: np.random.Generator
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The lab, vital signs and medication forms of a batch, and the AE treatments (for the known answers)."""
    tr = treatments(ae, rng)
    return {"lab": lab_form(design, b, inf, ae, lab_tests, conventional, assess_folder, rng),
            "vs": vs_form(design, b, inf, ae, rng), "cm": cm_form(design, b, inf, ae, tr, rng)}, tr


def safety_summary(b: pd.DataFrame, inf: pd.DataFrame, ae: pd.DataFrame, design: StudyDesign,
                   tr: pd.DataFrame) -> dict[str, np.ndarray]:
    """Known answers per subject: total cells received, infusions not given, grade 3+ AEs, CRS events treated
    with tocilizumab, primary cause of death."""
    n = len(b)
    idx = pd.RangeIndex(n)
    cells = np.array([d.cells_e6 for d in design.dose_levels] + [0])[b["level"].to_numpy()]
    given = inf[inf["given"]]
    received = (cells[given["subj"].to_numpy()] * given["pct"].to_numpy()).astype(np.int64) * 10 ** 4
    total = pd.Series(received).groupby(given["subj"].to_numpy()).sum().reindex(idx, fill_value=0).to_numpy()
    not_given = inf[~inf["given"]].groupby("subj").size().reindex(idx, fill_value=0).to_numpy()
    g3 = ae[ae["grade"] >= 3].groupby("subj").size().reindex(idx, fill_value=0).to_numpy()
    t = meddra.term_table()
    toci = tr[tr["med"] == TOCILIZUMAB.verbatim]
    crs_toci = toci[t["key"][ae["term"].to_numpy()[toci["ae"].to_numpy()]] == "CRS"]
    n_toci = crs_toci.groupby("subj").size().reindex(idx, fill_value=0).to_numpy()
    fatal = ae[ae["fatal"]].drop_duplicates("subj").set_index("subj")["term"]
    pt = np.append(t["pt"], "")[pd.Series(np.arange(n)).map(fatal).fillna(-1).to_numpy().astype(int)]
    cause = b["death_cause"].to_numpy()
    text = np.select([cause == 0, cause == 1, cause == 2], ["DISEASE PROGRESSION", pt, "UNKNOWN"], "")
    return {"TOTAL_CELLS": total, "N_NOT_GIVEN": not_given, "AE_GRADE3PLUS": g3, "CRS_TOCILIZUMAB": n_toci,
            "DEATH_CAUSE": np.where(b["death_day"].to_numpy() != NO_DATE, text, "")}
