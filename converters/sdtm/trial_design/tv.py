"""TV (Trial Visits) from study.yaml ``visits``.

Visits are the same for every arm, so ARMCD is blank (SDTMIG 3.4 TV). The
planned day is VISITDY; the window around it (``window_before`` and
``window_after`` days) is stated in the start rule, since TV has no window
variables: ``"<TVSTRL> (day 8, window -1/+1 days)"``.  A visit without TVSTRL gets
``"Planned on day <VISITDY>"`` (TVSTRL is required).
"""
from __future__ import annotations

import pandas as pd

from converters.metadata.model import Dataset
from converters.sdtm.trial_design._common import protocol_table, rows, spec_error, text

COLUMNS = ["STUDYID", "DOMAIN", "VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL", "TVENRL"]
KEYS = ("STUDYID", "VISITNUM", "ARMCD")


def _number(value, what: str, study, line) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise spec_error(study, f"{what} must be a number, not {value!r}", line) from None


def window_text(visitdy: float | None, before, after) -> str | None:
    """``day 8, window -1/+1 days`` for a planned day and its window; None without a planned day."""
    if visitdy is None:
        return None
    day = f"day {visitdy:g}"
    if before is None and after is None:
        return day
    return f"{day}, window -{int(before or 0)}/+{int(after or 0)} days"


def trial_visit_records(study) -> list[dict]:
    """TV records in VISITNUM order; SpecError for repeated numbers or a missing start rule."""
    out = []
    for node, line in rows(study, "visits"):
        num = _number(node.get("VISITNUM"), "VISITNUM", study, line)
        visit = text(node.get("VISIT"))
        if num is None or visit is None:
            raise spec_error(study, "each visit needs VISITNUM and VISIT", line)
        day = _number(node.get("VISITDY"), f"visit {visit}: VISITDY", study, line)
        before = _number(node.get("window_before"), f"visit {visit}: window_before", study, line)
        after = _number(node.get("window_after"), f"visit {visit}: window_after", study, line)
        start = text(node.get("TVSTRL"))
        window = window_text(day, before, after)
        if start is None:
            if window is None:
                raise spec_error(study, f"visit {visit} has neither TVSTRL (start rule) nor VISITDY; TV requires "
                                        f"a start rule", line)
            start = f"Planned on {window}"
        elif window and "window" not in start.lower():
            start = f"{start} ({window})"
        out.append({"VISITNUM": num, "VISIT": visit, "VISITDY": day, "ARMCD": None, "TVSTRL": start,
                    "TVENRL": text(node.get("TVENRL"))})
    nums = [r["VISITNUM"] for r in out]
    if len(set(nums)) != len(nums):
        raise spec_error(study, "VISITNUM values repeat in 'visits'")
    names = [r["VISIT"] for r in out]
    if len(set(names)) != len(names):
        raise spec_error(study, "VISIT names repeat in 'visits'")
    return sorted(out, key=lambda r: r["VISITNUM"])


def build_tv(study) -> tuple[pd.DataFrame, Dataset]:
    """TV frame and metadata."""
    return protocol_table(study, "TV", trial_visit_records(study), COLUMNS, KEYS)
