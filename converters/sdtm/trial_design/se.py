"""SE (Subject Elements): the elements each subject entered, with their start and end dates.

SE is the engine's subject element timeline (``converters.sdtm.epoch.
subject_timeline``, the one EPOCH is derived from), so SE and EPOCH cannot
disagree: each element starts on the date its study.yaml ``element_dates``
rule finds, ends when the subject's next element starts, and the last ends at
the end-of-study date.  SESEQ numbers a subject's elements in time order.
Per subject, so partition-safe.
"""
from __future__ import annotations

import pandas as pd

from converters.metadata.model import Dataset
from converters.sdtm.sequence import derive_seq
from converters.sdtm.study_day import derive_study_day
from converters.sdtm.trial_design._common import DERIVED, add_identifiers, finish

COLUMNS = ["STUDYID", "DOMAIN", "USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC",
           "SESTDY", "SEENDY"]
KEYS = ("STUDYID", "USUBJID", "ETCD", "SESTDTC")


def build_se(study, timeline: pd.DataFrame, dm: pd.DataFrame) -> tuple[pd.DataFrame, Dataset]:
    """SE frame and metadata from the subject element timeline (subjects of DM only)."""
    out = timeline[timeline["USUBJID"].isin(set(dm["USUBJID"]))].copy()
    out = out[out["SESTDTC"].notna()].sort_values(["USUBJID", "TAETORD"], kind="mergesort").reset_index(drop=True)
    out["SESEQ"] = derive_seq(out, ["USUBJID"], ["SESTDTC", "TAETORD"])
    rfstdtc = dm.set_index("USUBJID")["RFSTDTC"] if "RFSTDTC" in dm else pd.Series(dtype="object")
    ref = out["USUBJID"].map(rfstdtc)
    out["SESTDY"] = derive_study_day(out["SESTDTC"], ref)
    out["SEENDY"] = derive_study_day(out["SEENDTC"], ref)
    add_identifiers(out, study, "SE")
    return finish("SE", out[COLUMNS], KEYS, {}, DERIVED)
