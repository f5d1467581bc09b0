"""derive_var_chg: change from baseline, CHG = AVAL - BASE."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str = "CHG"
    source_var: str = "AVAL"
    base_var: str = "BASE"


def derive_var_chg(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """``new_var`` = ``source_var`` - ``base_var``; null where either is null."""
    context.require(frame, [options.source_var, options.base_var], "the dataset")
    value = pd.to_numeric(frame[options.source_var], errors="coerce")
    base = pd.to_numeric(frame[options.base_var], errors="coerce")
    frame = working_copy(frame)
    frame[options.new_var] = (value - base).astype(float)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = {options.source_var} - {options.base_var}; null where either is null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_chg", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_chg,
    origin="Derived", summary="Change from baseline (CHG = AVAL - BASE)",
    method="{new_var} = {source_var} - {base_var}; null where either is null."))
