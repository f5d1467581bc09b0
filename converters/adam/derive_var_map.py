"""derive_var_map: a variable from another by a table of values (TRT01PN from ARMCD, AVAL from AVALC, EOSSTT)."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from converters.adam.columns import stripped_text, working_copy
from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.algorithms.registry import Algorithm, register

Value = str | float | int | None


class Options(VerbOptions):
    source_var: str
    new_var: str
    values: dict[str, Value]
    other: Literal["keep", "null", "value"] = "null"  # unmapped non-null values: keep them, null, or other_value
    other_value: Value = None
    missing_value: Value = None  # value when source_var is null
    missing_var: str | None = None  # or the value of this variable when source_var is null
    type: Literal["Char", "Num"] | None = None


def derive_var_map(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.source_var], "the dataset")
    source = frame[options.source_var]
    present = source.notna()
    if not options.values and options.other == "keep" and (source.dtype == object or source.dtype.kind in "fiub"):
        mapped = source  # a copy (AVAL = LBSTRESN): no table to look values up in, so no text to compare
    else:
        key = stripped_text(source)
        mapped = key.map(options.values)
        known = key.isin(list(options.values))
        if options.other == "keep":
            mapped = mapped.where(known, source)
        elif options.other == "value":
            mapped = mapped.where(known, options.other_value)
    fallback: object = options.missing_value
    if options.missing_var:
        context.require(frame, [options.missing_var], "the dataset")
        fallback = frame[options.missing_var].astype(object).to_numpy()
    result = pd.Series(mapped.astype(object).to_numpy(), index=frame.index, dtype=object)
    result = result.where(present, pd.Series(fallback, index=frame.index, dtype=object))
    result = result.where(pd.notna(result), None)
    given = [v for v in [*options.values.values(), options.missing_value, options.other_value] if v is not None]
    numeric = options.type == "Num" or (
        options.type is None and bool(given) and all(isinstance(v, (int, float)) for v in given)
        and (options.other != "keep" or pd.api.types.is_numeric_dtype(source)))
    frame = working_copy(frame)
    frame[options.new_var] = pd.to_numeric(result, errors="coerce").astype("float64") if numeric else result
    pairs = "; ".join(f"{k!r} -> {'null' if v is None else repr(v)}" for k, v in options.values.items())
    rest = {"keep": "other values kept", "null": "other values null",
            "value": f"other values {options.other_value!r}"}[options.other]
    when_null = options.missing_var or ("null" if options.missing_value is None else repr(options.missing_value))
    if not options.values and options.other == "keep":
        context.note(options.new_var, "Derived", method=(
            f"{options.new_var} = {options.source_var}; {when_null} when {options.source_var} is null."))
        return frame
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} from {options.source_var}: {pairs}; {rest}; {when_null} when {options.source_var} "
        "is null."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_map", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_map,
    origin="Derived", summary="A variable from another by a table of values (codes, numeric versions, groupings)",
    method="{new_var} from {source_var} by the table {values}."))
