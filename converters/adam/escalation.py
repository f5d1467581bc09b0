"""The dose-escalation summary: per arm and dose level, subjects treated, DLT-evaluable, with a DLT, DLT events,
and the 3+3 decision those counts imply. Read from ADSL and ADAE (so it agrees with them by construction) as
``mappings/<study>/adam/escalation.yaml`` configures:

    arm_var: ARMCD                 # ADSL variables that define a row
    dose_var: DOSELVL
    treated: {SAFFL: Y}            # ADSL filters
    evaluable: {DLTEVLFL: Y}
    expansion: {PART: EXPANSION}   # rows whose subjects are all expansion get no 3+3 decision
    events: {dataset: ADAE, filter: {DLTFL: Y}}

3+3 (modified, as the protocols describe): fewer than 3 evaluable: keep enrolling; 0 with a DLT among 3 to 5:
escalate; 1 among 3 to 5: expand to 6; at most 1 in 6 (or at most one sixth of more): the level is cleared;
2 or more: the MTD is exceeded (de-escalate).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from converters.adam.options import Filter
from converters.adam.where import evaluate
from converters.errors import Location, SpecError
from converters.spec.yaml_lines import load_yaml_file

COLUMNS = ["arm", "dose_level", "treated", "dlt_evaluable", "subjects_with_dlt", "dlt_events", "decision"]


class EventSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = "ADAE"
    filter: Filter


class EscalationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    adsl: str = "ADSL"
    arm_var: str
    dose_var: str
    treated: Filter
    evaluable: Filter
    expansion: Filter | None = None
    events: EventSpec


@dataclass
class EscalationSummary:
    rows: list[dict[str, object]]


def load_escalation_spec(path: str | Path) -> EscalationSpec:
    raw = load_yaml_file(path)
    try:
        return EscalationSpec.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SpecError(f"escalation summary: {where}", Location(str(path), getattr(raw, "line", 1))) from None


def decision(evaluable: int, with_dlt: int, expansion: bool) -> str:
    """The 3+3 decision the counts of one dose level imply."""
    if expansion:
        return "expansion cohort: no escalation decision"
    if with_dlt >= 2 and with_dlt * 6 > evaluable:
        return f"MTD exceeded ({with_dlt}/{evaluable} with a DLT): de-escalate"
    if evaluable < 3:
        return f"keep enrolling ({evaluable} DLT-evaluable, 3 needed)"
    if evaluable < 6:
        if with_dlt == 0:
            return f"escalate (0/{evaluable} with a DLT)"
        return f"expand to 6 ({with_dlt}/{evaluable} with a DLT)"
    return f"dose level cleared ({with_dlt}/{evaluable} with a DLT): escalate or declare RP2D"


def escalation_summary(spec: EscalationSpec, datasets: dict[str, pd.DataFrame]) -> EscalationSummary:
    """The summary rows from the built ADSL and the events dataset."""
    adsl = datasets[spec.adsl]
    treated = adsl[evaluate(adsl, spec.treated)].copy()
    treated["__eval__"] = evaluate(treated, spec.evaluable)
    treated["__exp__"] = evaluate(treated, spec.expansion) if spec.expansion else False
    events = datasets[spec.events.dataset]
    events = events[evaluate(events, spec.events.filter) & events["USUBJID"].isin(treated["USUBJID"])]
    counts = events.groupby("USUBJID").size()
    treated["__events__"] = treated["USUBJID"].map(counts).fillna(0).astype(int)
    rows = []
    keys = [spec.arm_var, spec.dose_var]
    for (arm, dose), part in treated.groupby(keys, sort=False, dropna=False):
        n_eval = int(part["__eval__"].sum())
        with_dlt = int((part["__events__"] > 0).sum())
        rows.append({"arm": arm, "dose_level": dose, "treated": len(part), "dlt_evaluable": n_eval,
                     "subjects_with_dlt": with_dlt, "dlt_events": int(part["__events__"].sum()),
                     "decision": decision(n_eval, with_dlt, bool(part["__exp__"].all()))})
    rows.sort(key=lambda r: (str(r["arm"]), str(r["dose_level"])))
    return EscalationSummary(rows)


def write_escalation_csv(summary: EscalationSummary, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(summary.rows)
