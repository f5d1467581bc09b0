"""Coverage: where every collected column of every raw form went (``coverage.csv`` beside ``rejections.csv``).

Rows tell whether each raw *record* ended somewhere (the rejection log); coverage tells the same of each raw
*column*: the SDTM variables or SUPP-- qualifiers it fills, the filters, merges, conditions and derivations that
read it, the study.yaml entries (date sources, arm assignment, eligibility form, USUBJID pattern) that use it, or
``not mapped``. A data manager reads the ``not mapped`` rows to see which collected data the submission leaves out.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from converters.spec.model import BlockSpec, DomainSpec, VariableSpec
from converters.spec.study import StudyDefinition, pattern_fields

NOT_MAPPED = "not mapped"
HEADER = ("form", "column", "status", "used_by")


def _variable_reads(var: VariableSpec) -> list[str]:
    """Raw column names a variable reads (its own columns, condition columns and case columns)."""
    reads = list(var.columns)
    for case in var.cases:
        reads += case.when.columns() if case.when else []
        reads += [case.column] if case.column else []
    return reads


def _block_uses(spec: DomainSpec, block: BlockSpec, uses: dict[tuple[str, str], set[str]]) -> None:
    domain = spec.domain
    merged: dict[str, tuple[str, str]] = {}  # column name in the block -> (merged form, its column)
    for merge in block.merges:
        for left, right in zip(merge.left_on, merge.right_on):
            uses[(block.source, left)].add(f"{domain} merge key")
            uses[(merge.source, right)].add(f"{domain} merge key")
        for column in merge.columns:
            merged[merge.prefix + column] = (merge.source, column)

    def add(column: str, what: str) -> None:
        form, name = merged.get(column, (block.source, column))
        uses[(form, name)].add(what)

    if block.filter is not None:
        for column in block.filter.columns():
            add(column, f"{domain} filter")
    for var in block.variables.values():
        for column in _variable_reads(var):
            add(column, f"{domain}.{var.name}")
    for qnam, var in block.supp.items():
        for column in _variable_reads(var):
            add(column, f"SUPP{domain}.{qnam}")


def column_coverage(raw: dict, specs: list[DomainSpec], study: StudyDefinition) -> list[tuple[str, str, str, str]]:
    """(form, column, status, used_by) for every raw column, forms by name, columns in file order."""
    uses: dict[tuple[str, str], set[str]] = defaultdict(set)
    for spec in specs:
        for block in spec.blocks:
            _block_uses(spec, block, uses)
    yaml = Path(study.path).name
    for name, source in sorted(study.sources.items()):
        for column in (source.column, source.time_column, *(c for c, _ in source.where)):
            if column:
                uses[(source.form, column)].add(f"{yaml} {name}")
    for rule in study.element_dates:
        if rule.start is not None:
            for column in (rule.start.column, rule.start.time_column, *(c for c, _ in rule.start.where)):
                if column:
                    uses[(rule.start.form, column)].add(f"{yaml} element_dates TAETORD {rule.taetord}")
    if study.arm_assignment is not None:
        for column in study.arm_assignment.columns:
            uses[(study.arm_assignment.form, column)].add(f"{yaml} arm_assignment")
    ie = study.document.get("ie_source") if isinstance(study.document, dict) else None
    if isinstance(ie, dict) and ie.get("form"):
        for key in ("testcd_column", "result_column", "date_column", "visit_column", "waived_column"):
            defaults = {"result_column": "IEORRES", "date_column": "IEDAT", "visit_column": "FOLDER",
                        "waived_column": "IEWAIVED"}
            column = ie.get(key) or defaults.get(key)
            if column:
                uses[(str(ie["form"]).lower(), str(column))].add(f"{yaml} ie_source (IE)")
    identifiers = [text for is_field, text in pattern_fields(study.usubjid_pattern) if is_field]
    rows = []
    for form in sorted(raw):
        for column in raw[form].column_names():
            used = set(uses.get((form, column), set()))
            if column in identifiers:
                used.add("USUBJID")
            status = "used" if used else NOT_MAPPED
            rows.append((form, column, status, "; ".join(sorted(used))))
    return rows


def write_coverage(rows: list[tuple[str, str, str, str]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def not_mapped_count(rows: list[tuple[str, str, str, str]]) -> int:
    return sum(1 for row in rows if row[2] == NOT_MAPPED)
