"""derive_vars_cat: a grouping of a numeric variable by breaks (AGEGR1/AGEGR1N, dose groups)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import model_validator

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, words
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    source_var: str
    new_var: str
    new_var_n: str | None = None
    breaks: list[float]
    labels: list[str]

    @model_validator(mode="after")
    def _counts(self) -> Options:
        if len(self.labels) != len(self.breaks) + 1:
            raise ValueError(f"{len(self.breaks)} breaks make {len(self.breaks) + 1} groups: give as many labels")
        if sorted(self.breaks) != self.breaks:
            raise ValueError("breaks must increase")
        return self


def derive_vars_cat(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.source_var], "the dataset")
    value = pd.to_numeric(frame[options.source_var], errors="coerce")
    index = np.searchsorted(np.asarray(options.breaks, dtype=float), value.to_numpy(dtype=float), side="right")
    frame = working_copy(frame)
    bounds = [f"{b:g}" for b in options.breaks]
    text = (f"{options.new_var} groups {options.source_var} at {words(bounds)} (a group includes its lower bound) "
            f"into {words([repr(label) for label in options.labels])}"
            f"{f'; {options.new_var_n} numbers the groups 1, 2, ...' if options.new_var_n else ''}.")
    context.note(options.new_var, "Derived", method=text)
    if options.new_var_n:
        context.note(options.new_var_n, "Derived", method=text)
    labels = np.asarray(options.labels, dtype=object)
    # numpy stubs: None is a valid (object) choice
    frame[options.new_var] = pd.Series(np.where(value.notna(), labels[np.minimum(index, len(labels) - 1)], None),  # type: ignore[call-overload]
                                       index=frame.index, dtype="object")
    if options.new_var_n:
        frame[options.new_var_n] = np.where(value.notna(), index + 1.0, np.nan)
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_cat", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_cat,
    origin="Derived", summary="Groups of a numeric variable by breaks (lower bound included), with a numeric code",
    method=("{new_var} groups {source_var} at the breaks {breaks} (each group includes its lower bound) into "
            "{labels}; {new_var_n} numbers the groups 1, 2, ...")))
