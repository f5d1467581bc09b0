"""derive_var_pchg: percent change from baseline, PCHG = (AVAL - BASE) / |BASE| x 100."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str = "PCHG"
    source_var: str = "AVAL"
    base_var: str = "BASE"


def derive_var_pchg(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """``new_var`` = (``source_var`` - ``base_var``) / abs(``base_var``) * 100; null where the base is 0 or null."""
    context.require(frame, [options.source_var, options.base_var], "the dataset")
    value = pd.to_numeric(frame[options.source_var], errors="coerce").to_numpy(dtype=float)
    base = pd.to_numeric(frame[options.base_var], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.where(base != 0, (value - base) / np.abs(base) * 100.0, np.nan)
    frame = working_copy(frame)
    frame[options.new_var] = pchg
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = ({options.source_var} - {options.base_var}) / abs({options.base_var}) x 100; null "
        f"where {options.base_var} is 0 or null or {options.source_var} is null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_pchg", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_pchg,
    origin="Derived", summary="Percent change from baseline (PCHG = (AVAL - BASE) / |BASE| x 100)",
    method="{new_var} = ({source_var} - {base_var}) / abs({base_var}) x 100; null where {base_var} is 0 or null."))
