"""TE (Trial Elements) from study.yaml ``elements``: each element with its start and end rules."""
from __future__ import annotations

import re

import pandas as pd

from converters.metadata.model import Dataset
from converters.sdtm.trial_design._common import protocol_table, spec_error, text

COLUMNS = ["STUDYID", "DOMAIN", "ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"]
KEYS = ("STUDYID", "ETCD")
ETCD_MAX = 8
_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def trial_element_records(study) -> list[dict]:
    """TE records in ``elements`` order; SpecError for a missing start rule or a bad duration."""
    out = []
    seen = set()
    for e in study.elements:
        if len(e.etcd) > ETCD_MAX:
            raise spec_error(study, f"ETCD {e.etcd!r} is longer than {ETCD_MAX} characters")
        if e.etcd in seen:
            raise spec_error(study, f"element {e.etcd} is listed twice")
        seen.add(e.etcd)
        if not text(e.testrl):
            raise spec_error(study, f"element {e.etcd} has no TESTRL (start rule); TE requires one")
        duration = text(e.tedur)
        if duration is not None and not _DURATION.match(duration):
            raise spec_error(study, f"element {e.etcd}: TEDUR {duration!r} is not an ISO 8601 duration")
        out.append({"ETCD": e.etcd, "ELEMENT": e.element, "TESTRL": text(e.testrl), "TEENRL": text(e.teenrl),
                    "TEDUR": duration})
    return out


def build_te(study) -> tuple[pd.DataFrame, Dataset]:
    """TE frame and metadata."""
    return protocol_table(study, "TE", trial_element_records(study), COLUMNS, KEYS)
