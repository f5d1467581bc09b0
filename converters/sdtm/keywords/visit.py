"""``visit``: VISIT, VISITNUM or VISITDY from the collected folder and the study.yaml visit plan (unplanned visits
keep the number their label carries, else are numbered after the previous planned visit; ``converters.sdtm.visits``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from converters.algorithms.registry import Algorithm, register
from converters.errors import DataError, Location
from converters.sdtm.builder import VISIT_PREFIX, TimingFill
from converters.sdtm.columns import distinct_text
from converters.sdtm.visits import assign_visit
from converters.spec.loader import _Reader
from converters.spec.model import VariableSpec
from converters.spec.schema import VariableOptions
from converters.spec.yaml_lines import LineDict

TARGETS = ("VISIT", "VISITNUM", "VISITDY")


class VisitOptions(VariableOptions):
    visit: str
    date: str | None = None


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at = spec.name, spec.place.line
    if name not in TARGETS:
        raise r.fail(f"{name}: the visit algorithm fills VISIT, VISITNUM or VISITDY", at)
    spec.columns = r.names(node["visit"], f"{name}: visit", at)[:1]
    if "date" in node:
        spec.target_refs = (str(node["date"]).upper(),)


def fill(frame: pd.DataFrame, var: VariableSpec, context: TimingFill) -> pd.Series:
    """The visit plan lookup is made once per domain (its VISIT, VISITNUM and VISITDY come from one lookup)."""
    visit = context.cache.get("visit")
    if visit is None:
        dtc = frame[var.target_refs[0]] if var.target_refs else pd.Series(None, index=frame.index)
        collected = frame.get(VISIT_PREFIX + var.columns[0])
        if collected is None:
            raise DataError(f"{var.name}: collected visit column {var.columns[0]} was not kept",
                            Location(var.place.file, var.place.line))
        # log forms (AE log, end of study ...) carry no visit
        skip = {" ".join(f.split()).upper() for f in context.study.non_visit_folders}
        codes, text = distinct_text(collected)
        log_form = np.array([value.strip().upper() in skip for value in text] + [False])[codes]
        collected = collected.where(~log_form, None)
        visit = assign_visit(collected, dtc, frame["USUBJID"], context.study.visits)
        unplanned = collected.notna() & ~visit["PLANNED"].astype(bool)
        if unplanned.any():
            folders = ", ".join(sorted(set(collected[unplanned].astype(str)))[:5])
            context.notes.append(f"{int(unplanned.sum())} record(s) at visits not in the visit plan ({folders}) "
                                 "numbered as unscheduled visits (the number a label carries is kept)")
        context.cache["visit"] = visit
    return visit[var.name]


def describe(var: VariableSpec) -> str:
    return ("Planned visits from the visit plan (TV) by the collected visit name; unplanned visits get the "
            "VISITNUM of the preceding planned visit plus .01, .02 ... and VISIT 'UNSCHEDULED <VISITNUM>'.")


VISIT = register(Algorithm(
    name="visit", standards=("SDTM",), phase="study", options=VisitOptions, fill=fill, origin="Derived",
    summary="VISIT, VISITNUM or VISITDY from the collected folder through the study.yaml visit plan; unplanned "
            "visits keep the number their label carries (`Unscheduled 4.1`), else the previous planned visit's "
            "number plus .01, .02 ...",
    keyword=True, kinds={"visit": "name", "date": "name"}, read=read, describe=describe))
