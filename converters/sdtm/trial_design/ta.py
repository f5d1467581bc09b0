"""TA (Trial Arms) from study.yaml ``arms``, ``elements`` and ``trial_arms``.

One record per planned element per arm, in TAETORD order: the element (ETCD,
ELEMENT), the epoch it belongs to (CDISC CT EPOCH), and where the arm
branches (TABRANCH) or a subject may skip or repeat elements (TATRANS).
"""
from __future__ import annotations

import pandas as pd

from converters.metadata.model import Dataset
from converters.sdtm.trial_design._common import protocol_table, spec_error, text
from converters.standards import ct

COLUMNS = ["STUDYID", "DOMAIN", "ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "TATRANS", "EPOCH"]
KEYS = ("STUDYID", "ARMCD", "TAETORD")
ARMCD_MAX = 20


def trial_arm_records(study) -> list[dict]:
    """TA records of every arm in ``arms`` order; SpecError for arms without elements or non-CT epochs."""
    elements = {e.etcd: e.element for e in study.elements}
    epochs = ct.codelist("EPOCH").submission_values
    out = []
    for arm in study.arms:
        if len(arm.armcd) > ARMCD_MAX:
            raise spec_error(study, f"ARMCD {arm.armcd!r} is longer than {ARMCD_MAX} characters")
        planned = sorted(study.trial_arms.get(arm.armcd, []), key=lambda e: e.taetord)
        if not planned:
            raise spec_error(study, f"arm {arm.armcd} has no elements in 'trial_arms'",
                             hint="list its elements in TAETORD order under trial_arms")
        orders = [e.taetord for e in planned]
        if len(set(orders)) != len(orders):
            raise spec_error(study, f"arm {arm.armcd}: TAETORD values repeat ({orders})")
        for e in planned:
            if e.epoch not in epochs:
                raise spec_error(study, f"arm {arm.armcd} TAETORD {e.taetord}: EPOCH {e.epoch!r} is not a term "
                                        f"of CDISC codelist EPOCH (C99079)")
            out.append({"ARMCD": arm.armcd, "ARM": arm.arm, "TAETORD": float(e.taetord), "ETCD": e.etcd,
                        "ELEMENT": elements[e.etcd], "TABRANCH": text(e.tabranch), "TATRANS": text(e.tatrans),
                        "EPOCH": e.epoch})
    return out


def build_ta(study) -> tuple[pd.DataFrame, Dataset]:
    """TA frame and metadata."""
    return protocol_table(study, "TA", trial_arm_records(study), COLUMNS, KEYS)
