"""derive_vars_param: PARAMCD and PARAM of a BDS dataset from the test code, name and unit of each findings record.

Written for datasets that take every test of a findings domain (ADLB from LB): no list of today's tests, so a
test added to LB later becomes a parameter without a spec change. PARAMCD is the test code; PARAM is the test name
with the standard unit, ``Neutrophils (10^9/L)``. A ``qualifiers`` table keeps apart results of one test that are
different parameters (blasts in bone marrow and in blood): ``{LBSPEC: {BONE MARROW: BM}}`` gives PARAMCD
``<test code><BM>`` (the test code cut so that the whole is at most 8 characters) and PARAM
``<test name>, Bone Marrow (<unit>)``. Whole-column and per-record, so any subset of subjects gives the same answer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.adam.columns import stripped_text, working_copy
from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    testcd_var: str = "LBTESTCD"
    test_var: str = "LBTEST"
    unit_var: str | None = "LBSTRESU"
    qualifiers: dict[str, dict[str, str]] = {}


def derive_vars_param(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """PARAMCD and PARAM of every record from its test code, test name, unit and qualifiers."""
    names = [options.testcd_var, options.test_var, *([options.unit_var] if options.unit_var else []),
             *options.qualifiers]
    context.require(frame, names, "the dataset")
    # each distinct combination of test code, name, unit and qualifiers worked out once, its records take the result
    columns = list(dict.fromkeys(names))
    groups = frame[columns].groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(groups, return_index=True)
    paramcd, param = _parameters(frame[columns].iloc[first].reset_index(drop=True), options)
    frame = working_copy(frame)
    frame["PARAMCD"] = pd.Series(paramcd.to_numpy(dtype=object)[groups], index=frame.index, dtype=object)
    frame["PARAM"] = pd.Series(param.to_numpy(dtype=object)[groups], index=frame.index, dtype=object)
    qualified = "; ".join(f"{var} = {raw!r}: PARAMCD + {suffix!r}, PARAM + ', {raw.title()}'"
                          for var, table in options.qualifiers.items() for raw, suffix in table.items())
    unit_text = f" ({options.unit_var})" if options.unit_var else ""
    context.note("PARAMCD", "Derived", method=(
        f"PARAMCD = {options.testcd_var}" + (f"; {qualified} (cut to 8 characters)" if qualified else "") + "."))
    context.note("PARAM", "Derived", method=f"PARAM = {options.test_var}{unit_text}" + (
        f"; {qualified}." if qualified else "."))
    return frame


def _parameters(frame: pd.DataFrame, options: Options) -> tuple[pd.Series, pd.Series]:
    """(PARAMCD, PARAM) of each record of ``frame``, from its own values only."""
    code = stripped_text(frame[options.testcd_var]).astype(object)
    name = stripped_text(frame[options.test_var]).astype(object)
    param = name.copy()
    for var, table in options.qualifiers.items():
        value = stripped_text(frame[var])
        for raw, suffix in table.items():
            hit = value.eq(raw.strip()).to_numpy(dtype=bool)
            if not hit.any():
                continue
            code = code.where(~hit, code.astype(str).str.slice(0, 8 - len(suffix)) + suffix)
            param = param.where(~hit, param.astype(str) + ", " + raw.strip().title())
    if options.unit_var:
        unit = stripped_text(frame[options.unit_var])
        param = param.where(unit.isna(), param.astype(str) + " (" + unit.astype(str) + ")")
    return code.astype(object).where(code.notna(), None), param.astype(object).where(name.notna(), None)


register(Algorithm(
    subject_local=True,
    name="derive_vars_param", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_param,
    origin="Derived",
    summary="PARAMCD and PARAM from each findings record's test code, name and standard unit (every test, no list)",
    method=("PARAMCD = {testcd_var}, PARAM = {test_var} ({unit_var}); results whose {qualifiers} differ are "
            "parameters of their own.")))
