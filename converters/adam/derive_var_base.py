"""derive_var_base: the baseline value (BASE, BASEC, BNRIND, BTOXGRN ...) of each group, on every record of it."""
from __future__ import annotations

import numpy as np
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
    keep = evaluate(frame, options.filter)
    values = baseline_values(frame, np.asarray(keep, dtype=bool), options.by_vars, options.source_var)
    if values is None:
        values = _merged_baseline(frame, keep, options, context)
    frame = working_copy(frame)
    frame[options.new_var] = values
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = {options.source_var} of the record where {describe(options.filter)} within "
        f"{words(options.by_vars)}; null when the group has no such record."))
    return frame


def _merged_baseline(frame: pd.DataFrame, keep: pd.Series, options: Options, context: AdamContext) -> np.ndarray:
    """The baseline value per record by a join of the records on their baseline records (nulls in the keys, other
    column types), or the error naming the first groups with more than one baseline record."""
    baseline = frame.loc[keep, options.by_vars + [options.source_var]]
    twice = baseline.duplicated(subset=options.by_vars, keep=False)
    if twice.any():
        groups = baseline.loc[twice, options.by_vars].drop_duplicates().head(3).astype(str).agg(" / ".join, axis=1)
        raise DataError(f"{context.dataset_name}: derive_var_base found more than one baseline record per "
                        f"{words(options.by_vars)} (e.g. {'; '.join(groups)})", Location(context.spec_file, context.line),
                        hint="flag one baseline record per group first (derive_var_extreme_flag with a filter)")
    looked_up = frame[options.by_vars].merge(baseline.rename(columns={options.source_var: "__base__"}),
                                            on=options.by_vars, how="left", validate="many_to_one")
    return looked_up["__base__"].to_numpy()


def group_codes(keys: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Per record, the number of its group of equal ``keys`` values (first appearance order), and the groups."""
    codes = np.zeros(len(keys), dtype=np.int64)
    groups = 1
    for name in keys.columns:
        column, uniques = pd.factorize(keys[name])
        codes, found = pd.factorize(codes * len(uniques) + column)
        groups = len(found)
    return codes, groups if len(keys) else 0


def baseline_values(frame: pd.DataFrame, keep: np.ndarray, by_vars: list[str], source_var: str) -> np.ndarray | None:
    """``source_var`` of each record's group baseline record (the one ``keep`` marks), as the left join of the
    records on the baseline records gives it (NaN, NaT where a group has none), found from the groups' codes
    without the join; None when that join is needed: a null key, a column type other than float, object or
    datetime, or a group with two baseline records (the error is the join's path to give)."""
    source = frame[source_var]
    if not isinstance(source.dtype, np.dtype) or source.dtype.kind not in "fOM":
        return None
    keys = frame[by_vars]
    if keys.isna().to_numpy().any():
        return None
    codes, groups = group_codes(keys)
    rows = np.flatnonzero(keep)
    if (np.bincount(codes[rows], minlength=groups) > 1).any():
        return None
    at = np.full(groups, -1, dtype=np.int64)
    at[codes[rows]] = rows
    at = at[codes]
    values = source.to_numpy()
    absent = at < 0
    if not absent.any():
        return values[at]
    out = values[np.where(absent, 0, at)]
    out[absent] = np.datetime64("NaT") if source.dtype.kind == "M" else np.nan
    return out


register(Algorithm(
    subject_local=True,
    name="derive_var_base", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_base,
    origin="Derived", summary="Baseline value of each group (BASE, BASEC, BNRIND ...) from its baseline record",
    method="{new_var} = {source_var} of the record where {filter} within {by_vars}; null when there is none."))
