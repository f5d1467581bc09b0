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

import re

import numpy as np
import pandas as pd

from converters.sdtm.columns import collapse_upper, distinct_text, normalized, take
from converters.sdtm.dates import date_part
from converters.spec.study import PlannedVisit


#: An unplanned visit whose label carries its number (``Unscheduled 4.1``, ``UNS 4.01``, ``Unscheduled visit 7``)
#: keeps it as VISITNUM; other unplanned visits are numbered after the subject's previous visit.
UNSCHEDULED_LABEL = r"^UNS(?:CHEDULED)?(?: VISIT)? ?(\d+(?:\.\d+)?)$"
_UNSCHEDULED = re.compile(UNSCHEDULED_LABEL)


def _per_record(flags: list[bool], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A flag of each distinct value, per record (False for missing)."""
    return pd.Series(np.array([*flags, False], dtype=bool)[codes], index=index)


def _norm(values: pd.Series) -> pd.Series:
    return normalized(values)


def assign_visit(collected: pd.Series, dtc: pd.Series, usubjid: pd.Series,
                 plan: list[PlannedVisit]) -> pd.DataFrame:
    """Frame with VISIT, VISITNUM, VISITDY (VISITDY only for planned visits) and PLANNED (bool)."""
    table = {}
    for v in plan:
        for label in (v.visit, *v.aliases):
            table[" ".join(str(label).split()).upper()] = v
    codes, text = distinct_text(collected)  # each distinct collected name looked up once
    names = [collapse_upper(value) or None for value in text]
    planned_visits = [table.get(key) if key is not None else None for key in names]
    is_planned = [v is not None and v.visitnum is not None for v in planned_visits]
    labels = [_UNSCHEDULED.search(key) if key is not None and not planned_one else None
              for key, planned_one in zip(names, is_planned)]
    carried = [found.group(1) if found is not None else None for found in labels]
    nums = [float(v.visitnum) if v is not None and v.visitnum is not None else np.nan for v in planned_visits]
    visit_names = [f"UNSCHEDULED {c}" if c is not None else v.visit if v is not None else None
                   for c, v in zip(carried, planned_visits)]
    visit_days = [float(v.visitdy) if v is not None and v.visitdy is not None else np.nan for v in planned_visits]
    index = collected.index
    has_number = _per_record([c is not None for c in carried], codes, index)
    num = pd.Series(np.array([*nums, np.nan], dtype="float64")[codes], index=index)
    # the number a label carries, parsed as pandas parses text (a nullable number: VISITNUM takes its dtype)
    carried_num = pd.to_numeric(pd.Series([*carried, None], dtype="string"), errors="coerce").array
    num = num.where(~has_number, pd.Series(carried_num.take(np.where(codes < 0, len(carried), codes)), index=index))
    vdy = pd.Series(np.array([*visit_days, np.nan], dtype="float64")[codes], index=index)
    planned = _per_record(is_planned, codes, index)
    unplanned = ~planned & ~has_number & _per_record([key is not None for key in names], codes, index)
    out = pd.DataFrame({"VISIT": pd.Series(take(visit_names, codes), index=index, dtype="object"), "VISITNUM": num,
                        "VISITDY": vdy, "PLANNED": planned}, index=index)
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
