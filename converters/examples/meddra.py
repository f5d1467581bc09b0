"""Adverse-event term table for the example studies, coded MedDRA-style.

Names follow MedDRA's hierarchy (LLT, PT, HLT, HLGT, primary SOC).  The codes
are realistic-looking 8-digit numbers for demonstration; a real study codes
with the licensed MedDRA release of its choice.

Each row also says how the generator uses the term: ``kind`` (``crs``,
``icans``, ``irr`` infusion reaction, ``cyto`` cytopenia, ``inf`` infection,
``other``), the relative frequency in each study and the grade probabilities
(grades 1..5).
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: MedDRA version the example coding claims.
MEDDRA_VERSION = "27.1"

SOC = {
    "BLOOD": ("Blood and lymphatic system disorders", "10005329"),
    "GASTRO": ("Gastrointestinal disorders", "10017947"),
    "GENERAL": ("General disorders and administration site conditions", "10018065"),
    "IMMUNE": ("Immune system disorders", "10021428"),
    "INFECT": ("Infections and infestations", "10021881"),
    "INJURY": ("Injury, poisoning and procedural complications", "10022117"),
    "INVEST": ("Investigations", "10022891"),
    "METAB": ("Metabolism and nutrition disorders", "10027433"),
    "NERV": ("Nervous system disorders", "10029205"),
    "RESP": ("Respiratory, thoracic and mediastinal disorders", "10038738"),
    "SKIN": ("Skin and subcutaneous tissue disorders", "10040785"),
    "VASC": ("Vascular disorders", "10047065"),
}

# key, kind, verbatim terms (|-separated), LLT, LLT code, PT, PT code, HLT, HLT code, HLGT, HLGT code, SOC key,
# weight study A, weight study B, grade probabilities 1..5
_ROWS = [
    ("CRS", "crs", "CRS|Cytokine release syndrome|cytokine release syndrome", "Cytokine release syndrome", "10052015",
     "Cytokine release syndrome", "10052015", "Immune and associated conditions NEC", "10027665",
     "Immune disorders NEC", "10027664", "IMMUNE", 0, 0, (0.55, 0.33, 0.09, 0.03, 0.0)),
    ("ICANS", "icans", "ICANS|Immune effector cell-associated neurotoxicity|neurotoxicity (ICANS)",
     "Immune effector cell-associated neurotoxicity syndrome", "10082452",
     "Immune effector cell-associated neurotoxicity syndrome", "10082452", "Encephalopathies NEC", "10014627",
     "Encephalopathies", "10014623", "NERV", 0, 0, (0.6, 0.28, 0.1, 0.02, 0.0)),
    ("IRR", "irr", "Infusion reaction|Infusion related reaction|infusion-related reaction",
     "Infusion related reaction", "10051792", "Infusion related reaction", "10051792",
     "Non-site specific procedural complications", "10069888", "Procedural related injuries and complications NEC",
     "10069889", "INJURY", 0, 0, (0.6, 0.35, 0.05, 0.0, 0.0)),
    ("NEUTROPENIA", "cyto", "Neutropenia|neutropenia|Low neutrophils", "Neutropenia", "10029354", "Neutropenia",
     "10029354", "Neutropenias", "10029366", "White blood cell disorders", "10047954", "BLOOD", 10, 12,
     (0.05, 0.15, 0.35, 0.45, 0.0)),
    ("ANAEMIA", "cyto", "Anaemia|Anemia|low haemoglobin", "Anaemia", "10002034", "Anaemia", "10002034",
     "Anaemias NEC", "10002086", "Anaemias nonhaemolytic and marrow depression", "10002042", "BLOOD", 9, 10,
     (0.2, 0.4, 0.38, 0.02, 0.0)),
    ("THROMBO", "cyto", "Thrombocytopenia|Low platelets|thrombocytopenia", "Thrombocytopenia", "10043554",
     "Thrombocytopenia", "10043554", "Thrombocytopenias", "10043555", "Platelet disorders", "10035534", "BLOOD", 8, 11,
     (0.2, 0.25, 0.3, 0.25, 0.0)),
    ("FN", "cyto", "Febrile neutropenia|Neutropenic fever|febrile neutropenia", "Febrile neutropenia", "10016288",
     "Febrile neutropenia", "10016288", "Neutropenias", "10029366", "White blood cell disorders", "10047954", "BLOOD",
     4, 9, (0.0, 0.0, 0.85, 0.14, 0.01)),
    ("LYMPHOPENIA", "cyto", "Lymphopenia|Lymphocyte count low", "Lymphopenia", "10025327", "Lymphopenia", "10025327",
     "Lymphopenias", "10025328", "White blood cell disorders", "10047954", "BLOOD", 6, 3, (0.05, 0.15, 0.4, 0.4, 0.0)),
    ("PNEUMONIA", "inf", "Pneumonia|Chest infection|pneumonia", "Pneumonia", "10035664", "Pneumonia", "10035664",
     "Lower respiratory tract and lung infections", "10024970", "Infections - pathogen unspecified", "10021879",
     "INFECT", 3, 5, (0.0, 0.3, 0.55, 0.1, 0.05)),
    ("SEPSIS", "inf", "Sepsis|Septicaemia", "Sepsis", "10040047", "Sepsis", "10040047",
     "Sepsis, bacteraemia, viraemia and fungaemia NEC", "10040049", "Infections - pathogen unspecified", "10021879",
     "INFECT", 1, 3, (0.0, 0.0, 0.5, 0.35, 0.15)),
    ("URTI", "inf", "Upper respiratory tract infection|URTI|Common cold", "Upper respiratory tract infection",
     "10046306", "Upper respiratory tract infection", "10046306", "Upper respiratory tract infections", "10046309",
     "Infections - pathogen unspecified", "10021879", "INFECT", 3, 3, (0.5, 0.45, 0.05, 0.0, 0.0)),
    ("FATIGUE", "other", "Fatigue|Tiredness|fatigue", "Fatigue", "10016256", "Fatigue", "10016256",
     "Asthenic conditions", "10003550", "General system disorders NEC", "10018073", "GENERAL", 9, 6,
     (0.55, 0.37, 0.08, 0.0, 0.0)),
    ("PYREXIA", "other", "Fever|Pyrexia|fever", "Fever", "10016558", "Pyrexia", "10037660", "Febrile disorders",
     "10016286", "Body temperature conditions", "10005908", "GENERAL", 6, 6, (0.6, 0.35, 0.05, 0.0, 0.0)),
    ("CHILLS", "other", "Chills|Rigors", "Chills", "10008531", "Chills", "10008531", "Feelings and sensations NEC",
     "10016336", "General system disorders NEC", "10018073", "GENERAL", 3, 2, (0.8, 0.2, 0.0, 0.0, 0.0)),
    ("NAUSEA", "other", "Nausea|nausea|Feeling sick", "Nausea", "10028813", "Nausea", "10028813",
     "Nausea and vomiting symptoms", "10028817", "Gastrointestinal signs and symptoms", "10018012", "GASTRO", 7, 6,
     (0.65, 0.3, 0.05, 0.0, 0.0)),
    ("VOMITING", "other", "Vomiting|vomiting|Emesis", "Vomiting", "10047700", "Vomiting", "10047700",
     "Nausea and vomiting symptoms", "10028817", "Gastrointestinal signs and symptoms", "10018012", "GASTRO", 3, 3,
     (0.7, 0.27, 0.03, 0.0, 0.0)),
    ("DIARRHOEA", "other", "Diarrhoea|Diarrhea|loose stools", "Diarrhoea", "10012735", "Diarrhoea", "10012735",
     "Diarrhoea (excl infective)", "10012736", "Gastrointestinal motility and defaecation conditions", "10017977",
     "GASTRO", 4, 4, (0.65, 0.3, 0.05, 0.0, 0.0)),
    ("CONSTIPATION", "other", "Constipation|constipation", "Constipation", "10010774", "Constipation", "10010774",
     "Gastrointestinal atonic and hypomotility disorders NEC", "10017933",
     "Gastrointestinal motility and defaecation conditions", "10017977", "GASTRO", 3, 2, (0.75, 0.25, 0.0, 0.0, 0.0)),
    ("HEADACHE", "other", "Headache|headache", "Headache", "10019211", "Headache", "10019211", "Headaches NEC",
     "10019233", "Headaches", "10019231", "NERV", 4, 4, (0.75, 0.23, 0.02, 0.0, 0.0)),
    ("HYPOTENSION", "other", "Hypotension|Low blood pressure", "Hypotension", "10021097", "Hypotension", "10021097",
     "Vascular hypotensive disorders", "10047139", "Decreased and nonspecific blood pressure disorders and shock",
     "10011954", "VASC", 3, 3, (0.4, 0.4, 0.18, 0.02, 0.0)),
    ("APPETITE", "other", "Decreased appetite|Loss of appetite|Anorexia", "Appetite decreased", "10003028",
     "Decreased appetite", "10061428", "Appetite disorders", "10003018", "Appetite and general nutritional disorders",
     "10003019", "METAB", 5, 3, (0.6, 0.35, 0.05, 0.0, 0.0)),
    ("HYPOKALAEMIA", "other", "Hypokalaemia|Low potassium", "Hypokalaemia", "10021015", "Hypokalaemia", "10021015",
     "Potassium imbalance", "10036447", "Electrolyte and fluid balance conditions", "10014412", "METAB", 3, 4,
     (0.5, 0.3, 0.18, 0.02, 0.0)),
    ("COUGH", "other", "Cough|cough|Dry cough", "Cough", "10011224", "Cough", "10011224",
     "Coughing and associated symptoms", "10011232", "Respiratory disorders NEC", "10038716", "RESP", 4, 2,
     (0.75, 0.25, 0.0, 0.0, 0.0)),
    ("DYSPNOEA", "other", "Dyspnoea|Shortness of breath|Dyspnea", "Dyspnoea", "10013968", "Dyspnoea", "10013968",
     "Breathing abnormalities", "10006334", "Respiratory disorders NEC", "10038716", "RESP", 4, 2,
     (0.4, 0.4, 0.17, 0.02, 0.01)),
    ("ALT", "other", "ALT increased|Raised ALT|Transaminases increased", "ALT increased", "10001551",
     "Alanine aminotransferase increased", "10001551", "Liver function analyses", "10024690",
     "Hepatobiliary investigations", "10019805", "INVEST", 3, 3, (0.6, 0.3, 0.1, 0.0, 0.0)),
    ("RASH", "other", "Rash|Skin rash|rash", "Rash", "10037844", "Rash", "10037844",
     "Rashes, eruptions and exanthems NEC", "10037868", "Epidermal and dermal conditions", "10014982", "SKIN", 2, 2,
     (0.7, 0.28, 0.02, 0.0, 0.0)),
]

COLUMNS = ["key", "kind", "verbatims", "llt", "lltcd", "pt", "ptcd", "hlt", "hltcd", "hlgt", "hlgtcd", "soc_key",
           "weight_a", "weight_b", "grades"]


def term_table() -> dict[str, Any]:
    """The term table as column arrays (row order fixed), with SOC names and codes resolved."""
    cols: dict[str, Any] = {name: np.array([row[i] for row in _ROWS], dtype=object) for i, name in enumerate(COLUMNS)}
    cols["soc"] = np.array([SOC[k][0] for k in cols["soc_key"]], dtype=object)
    cols["soccd"] = np.array([SOC[k][1] for k in cols["soc_key"]], dtype=object)
    cols["grade_cum"] = np.cumsum(np.array([row[-1] for row in _ROWS], dtype=float), axis=1)
    cols["verbatim_list"] = [row[2].split("|") for row in _ROWS]
    return cols


def key_index(key: str) -> int:
    """Row index of a term key (e.g. ``"CRS"``)."""
    for i, row in enumerate(_ROWS):
        if row[0] == key:
            return i
    raise KeyError(key)
