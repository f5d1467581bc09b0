"""derive_vars_constant: variables that hold one value on every record (PARAMCD, PARAM, AVALU of a parameter)."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    set_values_to: dict[str, str | float | int]


def derive_vars_constant(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    frame = working_copy(frame)
    for name, value in options.set_values_to.items():
        frame[name] = float(value) if isinstance(value, (int, float)) else value
        context.note(name, "Assigned")
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_constant", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_constant,
    origin="Assigned", summary="Variables set to one value on every record (e.g. PARAMCD, PARAM)",
    method="Set {set_values_to}."))
