"""derive_vars_merged: add variables from another dataset, one record per ``by_vars`` (first/last by ``order``)."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import Filter, Mode, VerbOptions, pick_extreme
from converters.adam.where import describe, evaluate
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    filter_add: Filter | None = None
    order: list[str] = []
    mode: Mode | None = None
    new_vars: dict[str, str] | None = None  # new name -> variable of dataset_add (all when omitted)
    exist_flag: str | None = None


def derive_vars_merged(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    add = context.dataset(options.dataset_add)
    if options.filter_add:
        add = add[evaluate(add, options.filter_add)]
    new_vars = options.new_vars or {c: c for c in add.columns if c not in options.by_vars and c not in frame}
    context.require(add, options.by_vars + list(new_vars.values()) + [o.lstrip("-") for o in options.order],
                    options.dataset_add)
    context.require(frame, options.by_vars, "the dataset")
    add = add[list(dict.fromkeys([*options.by_vars, *new_vars.values(), *(o.lstrip("-") for o in options.order)]))]
    if options.mode:
        add = pick_extreme(add, options.by_vars, options.order, options.mode)
    elif add.duplicated(subset=options.by_vars).any():
        from converters.errors import DataError, Location

        raise DataError(f"derive_vars_merged: {options.dataset_add} has more than one record per "
                        f"{', '.join(options.by_vars)}", Location(context.spec_file, context.line),
                        hint="give order and mode (first or last) to pick one record, or a filter_add")
    add = add[options.by_vars + list(new_vars.values())].copy()
    add.columns = options.by_vars + list(new_vars.keys())
    if options.exist_flag:
        add[options.exist_flag] = "Y"
    frame = frame.drop(columns=[c for c in new_vars if c in frame.columns]).merge(add, on=options.by_vars, how="left")
    direct = options.filter_add is None and options.mode is None
    for new, old in new_vars.items():
        if direct:
            context.note(new, "Predecessor", predecessor=f"{options.dataset_add.upper()}.{old}")
        else:
            pick = f"the {options.mode} record by {', '.join(options.order)}" if options.mode else "the record"
            context.note(new, "Derived", method=f"{new} = {options.dataset_add.upper()}.{old} from {pick} per "
                         f"{', '.join(options.by_vars)} where {describe(options.filter_add)}.",
                         sources=(f"{options.dataset_add.upper()}.{old}",))
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_vars_merged", standards=("ADaM",), phase="dataset", options=Options, fill=derive_vars_merged,
    origin="Derived", summary="Add variables from another dataset (first/last record per subject by an order)",
    method="Variables {new_vars} merged from {dataset_add} by {by_vars} where {filter_add}, {mode} by {order}."))
