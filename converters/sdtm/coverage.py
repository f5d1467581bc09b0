"""Coverage: where every collected column of every raw form went (``coverage.csv`` beside ``rejections.csv``).

Rows tell whether each raw *record* ended somewhere (the rejection log); coverage tells the same of each raw
*column*: the SDTM variables or SUPP-- qualifiers it fills, the filters, merges, conditions and derivations that
read it, the study.yaml entries (date sources, arm assignment, eligibility form, USUBJID pattern) that use it, or
``not mapped``. A data manager reads the ``not mapped`` rows to see which collected data the submission leaves out.

Three things are read without being named by a spec, and coverage says where they went:

- the subject identifiers of the USUBJID pattern (``{STUDYID}`` is study.yaml's studyid, not a raw column), on the
  forms something reads, and the columns ``usubjid.join`` gives other forms;
- a decode beside its code (``AEREL`` beside ``AEREL_CD``): when one of the two is mapped and the data pair them
  one to one, the other went to the same place (``AE.AEREL (via AEREL_CD)``); a pair that disagrees stays
  ``not mapped``, since the text then says something the code does not;
- the criterion text and category of the eligibility form (``IETEST``, ``IECAT``): IE takes them from TI by
  IETESTCD, so they went there when every row agrees with TI.
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from converters.sdtm.columns import normalized
from converters.spec.model import BlockSpec, DomainSpec, VariableSpec
from converters.spec.study import StudyDefinition, pattern_fields

NOT_MAPPED = "not mapped"
HEADER = ("form", "column", "status", "used_by")
CODE_SUFFIX = "_CD"  # the code column of a code/decode pair: AEREL_CD (code) beside AEREL (its decode)
TI_TEXT = ("IETEST", "IECAT", "IESCAT")  # eligibility-form columns IE takes from TI by IETESTCD


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
    counter = CoverageCounter(specs, study)
    for name, source in raw.items():
        counter.add_form(name, source)
    return counter.rows()


class CoverageCounter:
    """Coverage measured form by form as the forms are read (``converters.sdtm.raw_forms``): what a form's data
    decide (decodes one to one with their codes, the eligibility form's text against TI) is measured when the form
    is added, so no form need be held as read; :meth:`rows` then gives what :func:`column_coverage` gives."""

    def __init__(self, specs: list[DomainSpec], study: StudyDefinition) -> None:
        self.study = study
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
        self.ie_form: str | None = None
        self.ie_testcd = ""
        if isinstance(ie, dict) and ie.get("form"):
            for key in ("testcd_column", "result_column", "date_column", "visit_column", "waived_column"):
                defaults = {"result_column": "IEORRES", "date_column": "IEDAT", "visit_column": "FOLDER",
                            "waived_column": "IEWAIVED"}
                column = ie.get(key) or defaults.get(key)
                if column:
                    uses[(str(ie["form"]).lower(), str(column))].add(f"{yaml} ie_source (IE)")
            self.ie_form, self.ie_testcd = str(ie["form"]).lower(), str(ie.get("testcd_column") or "")
        self.uses = uses
        self.read = {form for form, _column in uses}  # forms something reads (their identifiers are used)
        self.identifiers = [text for is_field, text in pattern_fields(study.usubjid_pattern)
                            if is_field and text != "STUDYID"]
        self.columns: dict[str, list[str]] = {}  # form -> its frame's columns (``__row__`` included)
        self.names: dict[str, list[str]] = {}  # form -> its raw columns in file order
        self.pairs: dict[str, dict[tuple[str, str], bool]] = {}  # form -> (code, decode) -> one to one

    def add_form(self, form: str, source: Any) -> None:
        """Measure what coverage needs of one form's data (``source``: a ``RawSource`` as collected, before any
        join; or a ``CompactSource``, held as codes: each column measured is then made alone)."""
        from converters.engine.compact import CompactSource, raw_columns, raw_source

        names = raw_columns(source)
        if form == self.ie_form:
            _ti_text_uses(raw_source(source), self.ie_testcd, self.study, self.uses)
        if form in self.read:  # the USUBJID pattern's raw columns on the forms something reads
            for column in self.identifiers:
                if column in names:
                    self.uses[(form, column)].add("USUBJID")
        self.columns[form] = names
        self.names[form] = source.column_names()
        join = self.study.subject_join
        pairs = _code_pairs(names)

        def values_of(column: str) -> pd.Series:  # (one column made at a time of a form held as codes)
            return source.data.column(column) if isinstance(source, CompactSource) else source.frame[column]

        shared = Counter(column for pair in pairs for column in pair)
        self.pairs[form] = {}
        for code, decode in pairs:
            # measured when it can decide (one of the two used, not the other), when a later step may still
            # change the uses (usubjid.join adds some to its source form) or when the pair shares a column
            # with another pair (then an earlier pair's outcome changes the uses this one sees)
            known = (join is None or form != join.source) and shared[code] == 1 and shared[decode] == 1
            if known and bool(self.uses.get((form, code))) == bool(self.uses.get((form, decode))):
                continue
            self.pairs[form][(code, decode)] = _one_to_one(values_of(code), values_of(decode))

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(form, column, status, used_by) for every column of the forms added, forms by name, columns in file
        order."""
        uses = self.uses
        self._join_uses()
        for form in sorted(self.columns):  # a decode beside its code went where the one a spec reads went
            for code, decode in _code_pairs(self.columns[form]):
                code_uses, decode_uses = uses.get((form, code), set()), uses.get((form, decode), set())
                if bool(code_uses) == bool(decode_uses) or not self.pairs[form][(code, decode)]:
                    continue
                source, target = (code, decode) if code_uses else (decode, code)
                uses[(form, target)] = {f"{use} (via {source})" for use in uses[(form, source)]}
        rows = []
        for form in sorted(self.names):
            for column in self.names[form]:
                used = uses.get((form, column), set())
                status = "used" if used else NOT_MAPPED
                rows.append((form, column, status, "; ".join(sorted(used))))
        return rows

    def _join_uses(self) -> None:
        """The columns ``usubjid.join`` takes from its source form, for the forms something reads that lack them."""
        join = self.study.subject_join
        if join is None:
            return
        joined = sorted(form for form in self.read if form != join.source and form in self.columns
                        and all(c in self.columns[form] for c in join.by)
                        and not all(c in self.columns[form] for c in join.columns))
        if joined:
            for column in (*join.by, *join.columns):
                self.uses[(join.source, column)].add(f"usubjid.join ({', '.join(joined)})")


def _code_pairs(columns: Any) -> list[tuple[str, str]]:
    """(code, decode) of every code column with its decode beside it (``AEREL_CD`` and ``AEREL``), in column
    order."""
    present = set(columns)
    out = []
    for code in columns:
        decode = code[: -len(CODE_SUFFIX)] if code.endswith(CODE_SUFFIX) else ""
        if decode and decode in present:
            out.append((code, decode))
    return out


def _text(series: pd.Series) -> pd.Series:
    """Values compared as text: trimmed, upper case, inner spaces collapsed; blank is missing."""
    return normalized(series)


def _one_to_one(left: pd.Series, right: pd.Series) -> bool:
    """True when the two columns pair their values one to one on every row (both blank or both filled)."""
    a, b = _text(left), _text(right)
    if bool((a.isna() != b.isna()).any()):
        return False
    both = pd.DataFrame({"a": a, "b": b}).dropna()
    return bool(both.groupby("a")["b"].nunique().le(1).all() and both.groupby("b")["a"].nunique().le(1).all())


def _ti_text_uses(source: Any, testcd: str, study: StudyDefinition, uses: dict[tuple[str, str], set[str]]) -> None:
    """IETEST/IECAT/IESCAT of the eligibility form went to IE (from TI by IETESTCD) when every row agrees with TI."""
    document = study.document if isinstance(study.document, dict) else {}
    criteria = document.get("inclusion_exclusion") or []
    if source is None or testcd not in source.frame or not isinstance(criteria, list):
        return
    frame = source.frame
    codes = _text(frame[testcd])
    for column in TI_TEXT:
        if column not in frame or uses.get((source.name, column)):
            continue
        ti = {str(c.get("IETESTCD", "")).strip().upper(): c.get(column) for c in criteria if isinstance(c, dict)}
        expected = _text(pd.Series([ti.get(code) if isinstance(code, str) else None for code in codes],
                                   index=frame.index, dtype="object"))
        collected = _text(frame[column])
        if bool(collected.notna().any()) and bool((collected.fillna("") == expected.fillna("")).all()):
            uses[(source.name, column)].add(f"IE.{column} (from TI by {testcd})")


def write_coverage(rows: list[tuple[str, str, str, str]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def not_mapped_count(rows: list[tuple[str, str, str, str]]) -> int:
    return sum(1 for row in rows if row[2] == NOT_MAPPED)
