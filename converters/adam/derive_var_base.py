"""derive_var_base: the baseline value (BASE, BASEC, BNRIND, BTOXGRN ...) of each group, on every record of it."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, words
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.errors import DataError, Location
from converters.adam.columns import working_copy


class Options(VerbOptions):
    by_vars: list[str] = ["STUDYID", "USUBJID", "PARAMCD"]
    source_var: str = "AVAL"
    new_var: str = "BASE"
    filter: Filter = {"ABLFL": "Y"}


def derive_var_base(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """``new_var`` = ``source_var`` of the group's baseline record (the one ``filter`` keeps), else null.

    A group with two baseline records is an error naming the first groups (admiral refuses it too): flag the
    baseline with derive_var_extreme_flag first.
    """
    context.require(frame, options.by_vars + [options.source_var], "the dataset")
    baseline = frame.loc[evaluate(frame, options.filter), options.by_vars + [options.source_var]]
    twice = baseline.duplicated(subset=options.by_vars, keep=False)
    if twice.any():
        groups = baseline.loc[twice, options.by_vars].drop_duplicates().head(3).astype(str).agg(" / ".join, axis=1)
        raise DataError(f"{context.dataset_name}: derive_var_base found more than one baseline record per "
                        f"{words(options.by_vars)} (e.g. {'; '.join(groups)})", Location(context.spec_file, context.line),
                        hint="flag one baseline record per group first (derive_var_extreme_flag with a filter)")
    looked_up = frame[options.by_vars].merge(baseline.rename(columns={options.source_var: "__base__"}),
                                            on=options.by_vars, how="left", validate="many_to_one")
    frame = working_copy(frame)
    frame[options.new_var] = looked_up["__base__"].to_numpy()
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = {options.source_var} of the record where {describe(options.filter)} within "
        f"{words(options.by_vars)}; null when the group has no such record."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_base", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_base,
    origin="Derived", summary="Baseline value of each group (BASE, BASEC, BNRIND ...) from its baseline record",
    method="{new_var} = {source_var} of the record where {filter} within {by_vars}; null when there is none."))
