"""VISIT and VISITNUM from the study's visit plan (the ``visit`` algorithm).

Collected visit names are matched to the plan (name or any alias, case- and
space-insensitively).  A visit that is not in the plan is unplanned and is
numbered by the usual convention: the VISITNUM of the subject's latest
planned visit on or before its date plus .01 for the first unplanned visit
after it, .02 for the second, and so on; VISIT is ``UNSCHEDULED <VISITNUM>``.
Unplanned visits on the same date share a number.  An unplanned visit whose
label carries its number (``Unscheduled 4.1``) keeps it: VISITNUM 4.1, VISIT
``UNSCHEDULED 4.1``.  Per subject, so partition-safe.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from converters.sdtm.dates import date_part
from converters.spec.study import PlannedVisit


#: An unplanned visit whose label carries its number (``Unscheduled 4.1``, ``UNS 4.01``, ``Unscheduled visit 7``)
#: keeps it as VISITNUM; other unplanned visits are numbered after the subject's previous visit.
UNSCHEDULED_LABEL = r"^UNS(?:CHEDULED)?(?: VISIT)? ?(\d+(?:\.\d+)?)$"


def _norm(values: pd.Series) -> pd.Series:
    # pandas-stubs: replace() takes pd.NA
    return values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.upper().replace("", pd.NA)  # type: ignore[call-overload]


def assign_visit(collected: pd.Series, dtc: pd.Series, usubjid: pd.Series,
                 plan: list[PlannedVisit]) -> pd.DataFrame:
    """Frame with VISIT, VISITNUM, VISITDY (VISITDY only for planned visits) and PLANNED (bool)."""
    table = {}
    for v in plan:
        for label in (v.visit, *v.aliases):
            table[" ".join(str(label).split()).upper()] = v
    keys = _norm(collected)
    num = keys.map({k: v.visitnum for k, v in table.items()}, na_action="ignore").astype("float64")
    name = keys.map({k: v.visit for k, v in table.items()}, na_action="ignore")
    vdy = keys.map({k: v.visitdy for k, v in table.items()}, na_action="ignore").astype("float64")
    planned = num.notna()
    carried = keys.str.extract(UNSCHEDULED_LABEL, expand=False).where(~planned)
    has_number = carried.notna().fillna(False).astype(bool)
    num = num.where(~has_number, pd.to_numeric(carried, errors="coerce"))
    name = name.where(~has_number, "UNSCHEDULED " + carried)
    unplanned = ~planned & ~has_number & keys.notna()
    out = pd.DataFrame({"VISIT": name.astype("object"), "VISITNUM": num, "VISITDY": vdy, "PLANNED": planned},
                       index=collected.index)
    if unplanned.any():
        when = date_part(dtc)
        frame = pd.DataFrame({"USUBJID": usubjid.astype("object"), "date": when, "num": num,
                              "pos": np.arange(len(collected))}, index=collected.index)
        frame["USUBJID"] = frame["USUBJID"].astype("string")
        anchors = frame[(planned | has_number) & when.notna()].sort_values("date", kind="mergesort")
        probe = frame[unplanned].copy()
        probe["date"] = probe["date"].fillna(pd.Timestamp.max.normalize())
        probe = probe.sort_values("date", kind="mergesort")
        hit = pd.merge_asof(probe, anchors[["USUBJID", "date", "num"]].rename(columns={"num": "base"}),
                            on="date", by="USUBJID", direction="backward")
        hit["base"] = hit["base"].fillna(0.0)
        hit = hit.sort_values(["USUBJID", "base", "date", "pos"], kind="mergesort")
        first_of_date = ~hit.duplicated(["USUBJID", "base", "date"])
        hit["k"] = first_of_date.groupby([hit["USUBJID"], hit["base"]]).cumsum()
        hit["VISITNUM"] = (hit["base"] + hit["k"] / 100).round(2)
        values = hit.set_index("pos")["VISITNUM"]
        idx = collected.index[values.index.to_numpy()]
        out.loc[idx, "VISITNUM"] = values.to_numpy()
        out.loc[idx, "VISIT"] = np.char.add("UNSCHEDULED ", np.char.mod("%.2f", values.to_numpy(dtype=float)))
    out["VISIT"] = out["VISIT"].where(out["VISIT"].notna(), None)
    return out
