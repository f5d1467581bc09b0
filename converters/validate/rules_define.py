"""Define-XML against data: datasets, variables, types, lengths, labels and codelist values agree;
the define is schema-valid.  These run only when ``--define`` is given."""
from __future__ import annotations

import numpy as np

from converters.metadata.model import NUMERIC_TYPES
from converters.validate.data import DatasetData, StudyData
from converters.validate.model import Hits, rule, rows_of

DEFINE = "Define-XML 2.1 specification"


def _define(study: StudyData):
    """The define, or None without one or when it is not Define-XML 2.1 (rule DX0001 says so instead)."""
    define = getattr(study, "define", None)
    return define if define is not None and getattr(define, "supported", True) else None


def _described(study: StudyData, ds: DatasetData) -> dict | None:
    """The define's variables for ``ds`` (name -> define variable); None without a define or without ``ds`` in it."""
    define = _define(study)
    return None if define is None else define.datasets.get(ds.name)


@rule("DF0001", "Error", "Define not schema-valid", "The define does not validate against the Define-XML 2.1 "
      "schema: {error}", f"{DEFINE} 2.1; define2-1-0.xsd", applies_to=("study",), standard="define")
def check_schema(study, _):
    define = _define(study)
    if define is None:
        return
    for error in define.schema_errors:
        yield Hits(dataset="DEFINE", params={"error": error}, value=error)


@rule("DF0002", "Error", "Dataset in define but not in the folder", "The define describes {dataset} but the "
      "folder has no such dataset", f"{DEFINE} 3.4.2 (ItemGroupDef)", applies_to=("study",), standard="define")
def check_define_datasets(study, _):
    define = _define(study)
    if define is None or not study.datasets:  # a define checked on its own has no folder to compare with
        return
    for name in sorted(define.datasets):
        if study.get(name) is None:
            yield Hits(dataset=name, value=name)


@rule("DF0003", "Error", "Dataset not in the define", "{dataset} is not described in the define",
      f"{DEFINE} 3.4.2 (ItemGroupDef)", standard="define")
def check_dataset_in_define(study, ds: DatasetData):
    define = _define(study)
    if define is not None and ds.name not in define.datasets:
        yield Hits(dataset=ds.name, value=ds.name)


@rule("DF0004", "Error", "Variable in define but not in data", "The define lists {variable} but {dataset} has no "
      "such variable", f"{DEFINE} 3.4.3 (ItemRef)", standard="define")
def check_define_variables(study, ds: DatasetData):
    for name in _described(study, ds) or ():
        if name not in ds.frame.columns:
            yield Hits(dataset=ds.name, variables=(name,), value=name)


@rule("DF0005", "Error", "Variable not in the define", "{variable} is not listed for {dataset} in the define",
      f"{DEFINE} 3.4.3 (ItemRef)", standard="define")
def check_variables_in_define(study, ds: DatasetData):
    described = _described(study, ds)
    if described is None:
        return
    for name in ds.columns:
        if name not in described:
            yield Hits(dataset=ds.name, variables=(name,), value=name)


@rule("DF0006", "Error", "Type differs from the define", "{variable} is {actual} in the data but {expected} in "
      "the define", f"{DEFINE} 3.4.4 (ItemDef DataType)", standard="define")
def check_define_types(study, ds: DatasetData):
    for name, var in (_described(study, ds) or {}).items():
        if name in ds.frame.columns:
            numeric_define = var.data_type in NUMERIC_TYPES
            if numeric_define != ds.is_numeric(name):
                yield Hits(dataset=ds.name, variables=(name,), value=var.data_type,
                           params={"actual": "Num" if ds.is_numeric(name) else "Char", "expected": var.data_type})


@rule("DF0007", "Error", "Length differs from the define", "{variable} is {actual} bytes in the data but the "
      "define says {expected}", f"{DEFINE} 3.4.4 (ItemDef Length)", standard="define")
def check_define_lengths(study, ds: DatasetData):
    for name, var in (_described(study, ds) or {}).items():
        meta = ds.variable_meta(name)
        if meta is None or var.length is None or ds.is_numeric(name) or meta.length is None:
            continue
        if meta.length != var.length:
            yield Hits(dataset=ds.name, variables=(name,), value=str(meta.length),
                       params={"actual": meta.length, "expected": var.length})


@rule("DF0008", "Error", "Value not in the define's codelist", "{variable} value is not in codelist {codelist} "
      "that the define names for it", f"{DEFINE} 3.4.5 (CodeList)", standard="define")
def check_define_codelists(study, ds: DatasetData):
    define = _define(study)
    for name, var in (_described(study, ds) or {}).items():
        if name not in ds.frame.columns or not var.codelist or var.codelist not in define.codelists:
            continue
        cl_name, values = define.codelists[var.codelist]
        mask = ds.filled(name).to_numpy() & ds.unique_mask(name, lambda u, v=values: ~u.isin(v))
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,), params={"codelist": cl_name})
    # value-level items (e.g. LBSTRESC where LBTESTCD is a qualitative test): the records the where clause selects
    for name, where, oid in define.value_codelists(ds.name) if define is not None else ():
        rows = _where_rows(ds, where)
        if name not in ds.frame.columns or rows is None:
            continue
        cl_name, values = define.codelists[oid]
        mask = rows & ds.filled(name).to_numpy() & ds.unique_mask(name, lambda u, v=values: ~u.isin(v))
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,), params={"codelist": cl_name})


def _where_rows(ds: DatasetData, where) -> np.ndarray | None:
    """Records a value-level where clause selects (EQ, IN, NE, NOTIN on the dataset's own variables), evaluated per
    distinct value; None when a condition names another dataset, a missing variable or another comparator."""
    rows = np.ones(len(ds), dtype=bool)
    for cond in where:
        if cond.dataset.upper() != ds.name or cond.variable not in ds.frame.columns or \
                cond.comparator not in ("EQ", "IN", "NE", "NOTIN"):
            return None
        hit = ds.unique_mask(cond.variable, lambda u, v=cond.values: u.isin(v))
        rows &= hit if cond.comparator in ("EQ", "IN") else ~hit
    return rows


@rule("DF0009", "Warning", "Label differs from the define", "Label of {variable} is '{actual}' in the data but "
      "'{expected}' in the define", f"{DEFINE} 3.4.4 (ItemDef Description)", standard="define")
def check_define_labels(study, ds: DatasetData):
    for name, var in (_described(study, ds) or {}).items():
        meta = ds.variable_meta(name)
        if meta is not None and var.label and (meta.label or "") != var.label:
            yield Hits(dataset=ds.name, variables=(name,), value=meta.label,
                       params={"actual": meta.label, "expected": var.label})
