"""CTCAE v5.0 grades of laboratory values: the decreased blood counts (cytopenias).

The criteria are data: per LBTESTCD the unit they are stated in (SDTM standard units) and the upper bound
of each grade (a value below the bound has at least that grade).  Grade 1 starts below the lower limit of
normal (LLN); a value at or above LLN is grade 0.  Anaemia has no grade 4 by value (CTCAE: life-threatening
consequences), so its last bound is grade 3.  Source: Common Terminology Criteria for Adverse Events
(CTCAE) v5.0, NCI, 27 November 2017, "Investigations" and "Blood and lymphatic system disorders".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from converters.sdtm.columns import distinct_text

#: Toxicity scale named in TS (SEVCRIT) and in LBTOX / SUPPAE.
CTCAE = "CTCAE v5.0"


@dataclass(frozen=True)
class LabCriterion:
    """One CTCAE term graded from a lab value below limits: grade n when value < bounds[n - 2] (n >= 2)."""

    term: str
    unit: str
    bounds: tuple[float, ...]   # upper bounds of grades 2, 3, 4 ... (exclusive), decreasing


CYTOPENIAS: dict[str, LabCriterion] = {
    "NEUT": LabCriterion("Neutrophil count decreased", "10^9/L", (1.5, 1.0, 0.5)),
    "PLAT": LabCriterion("Platelet count decreased", "10^9/L", (75.0, 50.0, 25.0)),
    "WBC": LabCriterion("White blood cell decreased", "10^9/L", (3.0, 2.0, 1.0)),
    "LYM": LabCriterion("Lymphocyte count decreased", "10^9/L", (0.8, 0.5, 0.2)),
    "HGB": LabCriterion("Anemia", "g/L", (100.0, 80.0)),
}


def grade_decrease(testcd: pd.Series, value: pd.Series, lln: pd.Series, unit: pd.Series | None = None
                   ) -> pd.Series:
    """CTCAE v5.0 grade ("0".."4") of each result of a graded test; blank for other tests, blank values or
    results in another unit than the criterion's."""
    out = pd.Series(None, index=value.index, dtype="object")
    number = pd.to_numeric(value, errors="coerce")
    low = pd.to_numeric(lln, errors="coerce")
    codes, tests = distinct_text(testcd)  # each distinct test code and unit compared once
    tests = [value.strip().upper() for value in tests]
    if unit is not None:
        unit_codes, units = distinct_text(unit)
        units = [value.strip() for value in units]
    for code, crit in CYTOPENIAS.items():
        sel = np.array([test == code for test in tests] + [False])[codes] & number.notna().to_numpy()
        if unit is not None:
            sel &= np.array([u == crit.unit for u in units] + [False])[unit_codes]
        if not sel.any():
            continue
        v = number.to_numpy()[sel]
        grade = np.where(v < np.nan_to_num(low.to_numpy()[sel], nan=np.inf), 1, 0)
        for n, bound in enumerate(crit.bounds, start=2):
            grade = np.where(v < bound, n, grade)
        out.iloc[np.flatnonzero(sel)] = grade.astype(str)
    return out.astype("object").where(out.notna(), None)
