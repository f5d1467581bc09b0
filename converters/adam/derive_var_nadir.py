"""derive_var_nadir: the smallest earlier value of each group (RECIST 1.1 nadir of the sum of diameters, ADTR NADIR)."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, VerbOptions, sort_records, words
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    by_vars: list[str] = ["STUDYID", "USUBJID", "PARAMCD"]
    order: list[str] = ["ADT"]
    source_var: str = "AVAL"
    new_var: str = "NADIR"
    filter: Filter | None = None


def derive_var_nadir(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    """``new_var`` = the smallest ``source_var`` among the records of the group before this one in ``order``.

    Only records that ``filter`` keeps (e.g. ``ANL01FL: Y`` or ``AVAL: {notnull: true}``) count as earlier values,
    the baseline record included; the first record of a group, and a record with no earlier value, get null.  RECIST
    1.1 measures progression from this nadir: the smallest sum of diameters so far, the baseline sum included
    (admiralonco's ADTR NADIR).  Records tied in ``order`` count in the order read.
    """
    context.require(frame, options.by_vars + [o.lstrip("-") for o in options.order] + [options.source_var],
                    "the dataset")
    ordered = sort_records(frame, options.by_vars, options.order)
    value = pd.to_numeric(ordered[options.source_var], errors="coerce")
    counted = value.where(evaluate(ordered, options.filter).to_numpy())
    group = ordered.groupby(options.by_vars, sort=False, dropna=False).ngroup()
    running = counted.groupby(group.to_numpy()).cummin()
    running = running.groupby(group.to_numpy()).ffill()
    earlier = running.groupby(group.to_numpy()).shift(1)
    frame = working_copy(frame)
    frame[options.new_var] = earlier.reindex(frame.index).to_numpy(dtype=float)
    context.note(options.new_var, "Derived", method=(
        f"{options.new_var} = the minimum {options.source_var} of the records before this one per "
        f"{words(options.by_vars)} ordered by {words(options.order)}, among records where "
        f"{describe(options.filter)}; null on the first record and where there is no earlier value."))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_nadir", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_nadir,
    origin="Derived", summary="Nadir: the smallest earlier value of each group (RECIST 1.1 sum of diameters)",
    method=("{new_var} = the minimum {source_var} of the records before this one per {by_vars} ordered by {order} "
            "among records where {filter}; null on the first record and where there is none.")))
