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
from dataclasses import dataclass

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


@dataclass
class TimelineDays:
    """The subject element timeline as sorted arrays, worked out once for every EPOCH of a batch.

    ``keys``: one per element with a full start date, ``subject code * span + start day``, in order of subject, start
    and timeline row (the order ``merge_asof`` on stably sorted starts would see); ``epochs`` the EPOCH of each;
    ``last_end``: per subject code the end day of the element that starts last (a partial start counts as last), NaT
    when that element is still open or ends on a partial date."""

    subjects: pd.Index
    keys: np.ndarray
    codes: np.ndarray
    epochs: np.ndarray
    last_end: np.ndarray
    base: int
    span: int


def _days(iso: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 of full ISO dates (int64), NaT as the int64 minimum."""
    return date_part(iso).to_numpy().astype("datetime64[D]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def timeline_days(timeline: pd.DataFrame) -> TimelineDays:
    """``TimelineDays`` of a subject element timeline (``subject_timeline``)."""
    codes, subjects = pd.factorize(timeline["USUBJID"].astype("string").to_numpy(dtype=object), use_na_sentinel=True)
    start, end = _days(timeline["SESTDTC"]), _days(timeline["SEENDTC"])
    rows = np.arange(len(timeline))
    last_end = np.full(len(subjects), _NAT, dtype=np.int64)
    if len(subjects):
        latest = np.where(start == _NAT, np.iinfo(np.int64).max, start)  # a partial start sorts last
        order = np.lexsort((rows, latest, codes))
        order = order[codes[order] >= 0]
        last = order[np.append(codes[order][1:] != codes[order][:-1], True)]
        last_end[codes[last]] = end[last]
    dated = (start != _NAT) & (codes >= 0)
    known = start[dated]
    base = int(known.min()) if len(known) else 0
    span = int(known.max()) - base + 1 if len(known) else 1
    order = np.lexsort((rows[dated], known, codes[dated]))
    picked = np.flatnonzero(dated)[order]
    keys = codes[picked].astype(np.int64) * span + (start[picked] - base)
    epochs = timeline["EPOCH"].to_numpy(dtype=object)[picked]
    return TimelineDays(pd.Index(subjects, dtype=object), keys, codes[picked], epochs, last_end, base, span)


def derive_epoch(dtc: pd.Series, usubjid: pd.Series, timeline: pd.DataFrame,
                 days: TimelineDays | None = None, dated: pd.Series | None = None) -> pd.Series:
    """EPOCH per record from its ISO date and the subject element timeline (partition-safe): the EPOCH of the
    subject's element that starts latest on or before the date (by binary search on the sorted timeline), none
    after the end of the subject's last element.  ``days``: ``timeline_days(timeline)``, and ``dated``:
    ``date_part(dtc)``, when already worked out."""
    if not len(dtc) or timeline.empty:
        return pd.Series(None, index=dtc.index, dtype="object")
    when = (dated if dated is not None else date_part(dtc)).to_numpy().astype("datetime64[D]").astype(np.int64)
    if (when == _NAT).all():  # no full date to look up
        return pd.Series(None, index=dtc.index, dtype="object")
    out = np.full(len(dtc), None, dtype=object)
    days = days if days is not None else timeline_days(timeline)
    subject = days.subjects.get_indexer(pd.Index(usubjid.astype("string").to_numpy(dtype=object), dtype=object))
    probe = np.flatnonzero((when != _NAT) & (subject >= 0))
    if len(probe) and len(days.keys):
        code, day = subject[probe].astype(np.int64), when[probe]
        # dates outside the timeline's span are clipped to its edges: the element found is the same
        offset = np.clip(day - days.base, -1, days.span - 1)
        found = np.searchsorted(days.keys, code * days.span + offset, side="right") - 1
        hit = found >= 0
        hit[hit] = days.codes[found[hit]] == code[hit]
        ends = days.last_end[code]
        hit &= ~((ends != _NAT) & (day > ends))  # after the end of the subject's last element: no epoch
        out[probe[hit]] = days.epochs[found[hit]]
    return pd.Series(out, index=dtc.index, dtype="object").where(lambda s: s.notna(), None)
