"""Subject element timeline and EPOCH (the ``epoch`` algorithm).

``subject_timeline`` gives one row per subject and element entered: USUBJID,
ETCD, ELEMENT, EPOCH, TAETORD, SESTDTC, SEENDTC.  Start dates come from
study.yaml ``element_dates`` (a date source per TAETORD, or an offset after
earlier elements); the element at a TAETORD and its EPOCH come from the
subject's arm in ``trial_arms`` (the first arm for subjects without one).
Each element ends when the subject's next element starts; the last ends at
``study_end`` (SDTMIG 3.4 section 5.3.2: SE elements are contiguous).  Both
EPOCH and the SE domain read this one timeline.

EPOCH of a record is the EPOCH of the element whose start is the latest on or
before the record's date; dates before the first element, after the last
element's end, and partial dates get no EPOCH.  Dates are compared on the
calendar day.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from converters.errors import Location, SpecError
from converters.sdtm.dates import date_part
from converters.sdtm.reference_dates import source_dates

TIMELINE_COLUMNS = ["USUBJID", "ETCD", "ELEMENT", "EPOCH", "TAETORD", "SESTDTC", "SEENDTC"]


def duration_days(text: str, file: str = "study.yaml") -> int:
    """Days in an ISO 8601 duration of days or weeks (``P42D``, ``P6W``)."""
    m = re.fullmatch(r"P(\d+)([DW])", str(text).strip().upper())
    if not m:
        raise SpecError(f"offset {text!r} must be an ISO 8601 duration in days or weeks (P42D, P6W)",
                        Location(file))
    return int(m.group(1)) * (7 if m.group(2) == "W" else 1)


def subject_timeline(study, raw: dict, armcd: pd.Series) -> pd.DataFrame:
    """The element timeline of every subject in ``armcd`` (ARMCD per USUBJID index; blank = no arm)."""
    subjects = pd.Index(armcd.index.astype("object"))
    starts: dict[int, pd.Series] = {}
    end = source_dates(study, raw, study.sources["study_end"]) if "study_end" in study.sources else pd.Series(
        dtype="object")
    end_day = date_part(end) if len(end) else pd.Series(dtype="datetime64[ns]")
    for rule in sorted(study.element_dates, key=lambda r: r.taetord):
        if rule.start is not None:
            got = source_dates(study, raw, rule.start)
        else:
            base = pd.Series(dtype="object")
            for t in rule.after_taetord:
                if t in starts:
                    base = base.combine_first(starts[t]) if len(base) else starts[t]
            if not len(base):
                continue
            day = date_part(base) + pd.Timedelta(days=duration_days(rule.offset or "P0D", str(study.path)))
            got = day.dt.strftime("%Y-%m-%d").astype("object")
            limit = end_day.reindex(got.index)
            got = got[~(day > limit).fillna(False).astype(bool)].dropna()
        starts[rule.taetord] = got[got.index.isin(subjects)]
    parts = [pd.DataFrame({"USUBJID": s.index.astype("object"), "TAETORD": t, "SESTDTC": s.to_numpy()})
             for t, s in starts.items() if len(s)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TIMELINE_COLUMNS})
    frame = pd.concat(parts, ignore_index=True)
    first_arm = study.arms[0].armcd if study.arms else None
    arm = frame["USUBJID"].map(armcd).astype("object")
    frame["ARMCD"] = arm.where(arm.notna() & (arm.astype("string") != ""), first_arm)
    ta = pd.DataFrame([(e.armcd, e.taetord, e.etcd, e.epoch) for rows in study.trial_arms.values() for e in rows],
                      columns=["ARMCD", "TAETORD", "ETCD", "EPOCH"])
    frame = frame.merge(ta, on=["ARMCD", "TAETORD"], how="inner", validate="many_to_one")
    names = {e.etcd: e.element for e in study.elements}
    frame["ELEMENT"] = frame["ETCD"].map(names)
    frame = frame.sort_values(["USUBJID", "TAETORD"], kind="mergesort").reset_index(drop=True)
    # an element ends where the next starts; the last one at the end of study (open when the subject has none: a
    # batch of subjects all still in the study maps to no date at all, so both sides are taken as objects)
    following = frame.groupby("USUBJID", sort=False)["SESTDTC"].shift(-1).astype("object")
    frame["SEENDTC"] = following.where(following.notna(), frame["USUBJID"].map(end).astype("object"))
    frame["TAETORD"] = frame["TAETORD"].astype("float64")
    for col in ("SESTDTC", "SEENDTC"):
        frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
    return frame[TIMELINE_COLUMNS]


def derive_epoch(dtc: pd.Series, usubjid: pd.Series, timeline: pd.DataFrame) -> pd.Series:
    """EPOCH per record from its ISO date and the subject element timeline (partition-safe)."""
    out = pd.Series(None, index=dtc.index, dtype="object")
    when = date_part(dtc)
    probe = pd.DataFrame({"USUBJID": usubjid.astype("object").to_numpy(), "__date__": when.to_numpy(),
                          "__pos__": np.arange(len(dtc))})
    probe = probe.dropna(subset=["__date__"])
    if probe.empty or timeline.empty:
        return out
    probe["USUBJID"] = probe["USUBJID"].astype("string")
    tl = timeline.assign(__start__=date_part(timeline["SESTDTC"]), __end__=date_part(timeline["SEENDTC"]))
    tl = tl.dropna(subset=["__start__"])[["USUBJID", "__start__", "__end__", "EPOCH"]]
    tl["USUBJID"] = tl["USUBJID"].astype("string")
    probe = probe.sort_values("__date__", kind="mergesort")
    tl = tl.sort_values("__start__", kind="mergesort")
    hit = pd.merge_asof(probe, tl, left_on="__date__", right_on="__start__", by="USUBJID", direction="backward")
    # after the end of the subject's last element: no epoch; a last element still open (subject ongoing) or
    # ending on a partial date has no known end, so every later date stays in it
    ends = timeline.assign(__start__=date_part(timeline["SESTDTC"]), __end__=date_part(timeline["SEENDTC"]))
    ends = ends.sort_values(["USUBJID", "__start__"], kind="mergesort").drop_duplicates("USUBJID", keep="last")
    last_end = ends.set_index(ends["USUBJID"].astype("string"))["__end__"]
    after = (hit["__date__"] > hit["USUBJID"].map(last_end)).fillna(False).astype(bool)
    hit.loc[after, "EPOCH"] = None
    values = hit.set_index("__pos__")["EPOCH"]
    arr = out.to_numpy(copy=True)
    arr[values.index.to_numpy()] = values.to_numpy()
    return pd.Series(arr, index=dtc.index, dtype="object").where(lambda s: s.notna(), None)
