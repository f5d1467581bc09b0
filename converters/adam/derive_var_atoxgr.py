"""derive_var_atoxgr: ATOXGR/ATOXGRN from the first grade present among several sources, with the grading scale.

Each source names a grade variable and its scale, read in order. The scale is either fixed for the source
(``scale: CTCAE v5.0``) or read per record from a variable (``scale_from: AETOXSCL``, the SUPPAE qualifier that
says which scale graded each AE: ASTCT 2019 for CRS and ICANS, CTCAE v5.0 otherwise). Grades are the text '1'..'5'
(a leading 'GRADE ' is dropped); anything else gives null.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import model_validator

from converters.adam.columns import per_distinct, working_copy
from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register


class GradeSource(VerbOptions):
    var: str
    scale: str | None = None
    scale_from: str | None = None

    @model_validator(mode="after")
    def _one_scale(self) -> GradeSource:
        if (self.scale is None) == (self.scale_from is None):
            raise ValueError("give the grading scale as either 'scale' (fixed) or 'scale_from' (a variable)")
        return self


class Options(VerbOptions):
    sources: list[GradeSource]
    new_var: str = "ATOXGR"
    new_var_n: str = "ATOXGRN"
    scale_var: str | None = None


def derive_var_atoxgr(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    grade = pd.Series(None, index=frame.index, dtype=object)
    scale = pd.Series(None, index=frame.index, dtype=object)
    for source in options.sources:
        if source.var not in frame.columns:
            continue  # a study may lack one of the grading scales
        text = per_distinct(frame[source.var], lambda u: u.map(
            lambda v: f"{v:g}" if isinstance(v, float) else str(v)).str.upper().str.replace("GRADE", "").str.strip())
        valid = text.isin(["0", "1", "2", "3", "4", "5"]).fillna(False).astype(bool) & grade.isna()
        grade = grade.where(~valid, text.astype(object))
        if source.scale_from is not None:
            if source.scale_from not in frame.columns:
                raise KeyError(source.scale_from)  # reported by the build with the dataset and verb
            scale = scale.where(~valid, frame[source.scale_from].astype(object))
        else:
            scale = scale.where(~valid, source.scale)
    frame = working_copy(frame)
    listed = "; else ".join(f"{s.var} ({s.scale or 'scale in ' + str(s.scale_from)})" for s in options.sources)
    method = (f"{options.new_var} = the grade (0-5) of {listed}; {options.new_var_n} its number"
              f"{f'; {options.scale_var} the grading scale it came from' if options.scale_var else ''}.")
    for name in (options.new_var, options.new_var_n, options.scale_var):
        if name:
            context.note(name, "Derived", method=method)
    frame[options.new_var] = grade
    frame[options.new_var_n] = pd.to_numeric(grade, errors="coerce").astype("float64")
    if options.scale_var:
        # numpy stubs: None is a valid (object) choice
        frame[options.scale_var] = pd.Series(np.where(grade.notna(), scale, None),  # type: ignore[call-overload]
                                             index=frame.index, dtype="object")
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_atoxgr", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_atoxgr,
    origin="Derived", summary="Analysis toxicity grade from the first grade present among sources, with its scale",
    method=("{new_var} is the first valid grade (0-5) among the sources in order {sources}; {new_var_n} its number; "
            "{scale_var} names the grading scale it came from.")))
