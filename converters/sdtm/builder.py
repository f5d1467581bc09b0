"""Apply one domain spec to the raw sources: the record phase of a domain build.

For each record block: drop exact duplicate raw records (logged), apply the
block's filter (rows that do not pass are counted as filtered and logged as
``excluded by spec filter``, never lost),
join merged sources, then fill every record-level variable in spec order and
the supplemental qualifiers, each by the ``fill`` of the algorithm the spec
names (``converters.algorithms`` registry; the keywords live in
``converters.sdtm.keywords``, one module each).  Variables that need the whole
domain or other domains (phases ``domain`` and ``study``: visit, study_day,
epoch, seq, domain derivations) are filled later (``fill_timing`` here, the
rest by ``converters.sdtm.study``).  Problems go to the rejection log with the
raw file, row, column and value.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from converters.algorithms.registry import algorithm
from converters.errors import DataError, Location
from converters.sdtm import conditions
from converters.sdtm.ascii_text import check_block_text
from converters.sdtm.columns import distinct, distinct_text, duplicated_rows, take, trimmed
from converters.sdtm.derivations import NULL_REASON, RowContext
from converters.sdtm.finalize import describe_condition
from converters.sdtm.merge import _keys as merge_keys
from converters.sdtm.merge import merge_source
from converters.sdtm.plausibility import check_block
from converters.sdtm.rejections import DROPPED, EXCLUDED, NULLED, RejectionLog
from converters.spec.model import BlockSpec, DomainSpec, VariableSpec
from converters.standards.model_variables import allowed_variable

ROW = "__row__"
SOURCE = "__source__"
SUPP_PREFIX = "__supp__"
VISIT_PREFIX = "__visit__"  # raw columns a later-phase variable reads (the visit's collected folder), kept as text
RAW_PREFIX = "__raw__"  # collected text of datetime variables, for rejection entries made later
#: raw column and value each record's subject came from (for "subject not in DM" entries).
SUBJECT_COLUMN, SUBJECT_VALUE = "__subjcol__", "__subjval__"


@dataclass
class BuiltRecords:
    """A domain's records after the record phase, with its counts."""

    spec: DomainSpec
    frame: pd.DataFrame
    rows_read: int = 0
    filtered: int = 0
    extensions: dict[str, set[str]] = field(default_factory=dict)
    codelists: dict[str, str] = field(default_factory=dict)  # variable or QNAM -> codelist used
    raw_column: dict[str, str] = field(default_factory=dict)  # variable -> raw column it reads first
    notes: list[str] = field(default_factory=list)  # things worth telling the user (not rejections)
    merged_rows: dict[str, set[int]] = field(default_factory=dict)  # merged form -> its rows some record matched

    @property
    def domain(self) -> str:
        return self.spec.domain


def is_phase_row(var: VariableSpec) -> bool:
    """True for variables filled per record block from raw columns: the algorithm (or, through ``derive``, the
    named derivation) runs in the ``record`` phase and reads no other built domain."""
    if var.domain_refs():  # a condition on DOMAIN.VARIABLE runs once the domains are built
        return False
    return algorithm(var.derivation or var.algorithm, "SDTM").phase == "record"


@dataclass
class RecordFill:
    """What a record-phase keyword's ``fill(frame, variable, context)`` sees besides the block's raw frame."""

    spec: DomainSpec
    row: RowContext  # raw columns and the variables built so far (``resolve``), null reasons
    log: RejectionLog
    file: str  # the raw file the block reads
    result: BuiltRecords  # counts, codelists used, extensions and notes of the domain
    drop: pd.Series  # records to drop (``on_error: drop``); fills add to it through ``null``
    supp: bool = False  # filling a supplemental qualifier (not a variable of the domain)
    ascii_text: bool = False  # set by the fill: the values are text, all of it ASCII (no need to check again)
    #: set by a fill that knows the text of what it returns (the values, their trimmed object text with None for
    #: missing, all of it ASCII), worked out on its distinct values: ``_fill`` then takes it as it is
    text_of: tuple[pd.Series, pd.Series, bool] | None = None

    def resolve(self, name: str) -> pd.Series:
        return self.row.resolve(name)

    def null(self, var: VariableSpec, column: str, values: pd.Series, reason: str | pd.Series,
             mask: pd.Series) -> None:
        """Log the values of ``mask`` as not convertible (set to null, or the record dropped with ``on_error``)."""
        _log_nulled(self.spec, var, self.log, self.file, self.row.raw[ROW], column, values, reason, self.drop, mask)


@dataclass
class TimingFill:
    """What a study-phase keyword's fill (visit, study day, EPOCH) sees: the study, each subject's RFSTDTC, the
    subject element timeline, the domain's notes and a cache shared by the variables of one domain."""

    study: Any
    rfstdtc: pd.Series
    timeline: pd.DataFrame
    notes: list[str]
    cache: dict[str, Any] = field(default_factory=dict)
    #: what the timing fills of every domain of a batch share (the timeline's sorted days, each subject's RFSTDTC
    #: day), worked out once per batch by the first fill that needs it
    shared: dict[str, Any] = field(default_factory=dict)

    def shared_value(self, key: str, make: Callable[[], Any]) -> Any:
        """``shared[key]``, made by ``make()`` the first time."""
        if key not in self.shared:
            self.shared[key] = make()
        return self.shared[key]

    def days(self, frame: pd.DataFrame, column: str) -> pd.Series:
        """``date_part`` of a built date column of the domain, worked out once for all its timing variables (the
        timing fills add their own columns and never replace a date they read)."""
        key = "days:" + column
        if key not in self.cache:
            from converters.sdtm.dates import date_part

            self.cache[key] = date_part(frame[column])
        return self.cache[key]


def numeric_target(domain: str, var: VariableSpec) -> bool:
    if var.data_type:
        return var.data_type == "Num"
    known = allowed_variable(domain, var.name)
    return known is not None and known.type == "Num"  # supplemental qualifiers and sponsor variables are text


def build_records(spec: DomainSpec, raw: dict, study, log: RejectionLog) -> BuiltRecords:
    """Run every record block of ``spec`` and stack the results (record phase only)."""
    result = BuiltRecords(spec, pd.DataFrame())
    parts = []
    for block in spec.blocks:
        parts.append(_build_block(spec, block, raw, study, log, result))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    result.frame = frame
    return result


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text, blank -> missing (worked out once per distinct value)."""
    if values.dtype == "float64":
        return values.astype("string")
    return trimmed(values).rename(None)


def _text_object(values: pd.Series) -> pd.Series:
    """``_obj(_text(values))`` in one step (the text as an object column, None for missing)."""
    return _text_object_ascii(values)[0]


def _text_object_ascii(values: pd.Series) -> tuple[pd.Series, bool]:
    """``_text_object`` and whether every text it holds is ASCII (known from its distinct values)."""
    if values.dtype == "float64":
        return _obj(values.astype("string")), False
    codes, text = distinct_text(values)
    results = [value.strip() or None for value in text]
    ascii_only = all(value.isascii() for value in results if value is not None)
    return pd.Series(take(results, codes), index=values.index, dtype="object"), ascii_only


def _numbers(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` as float64, each distinct text parsed once."""
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return pd.to_numeric(values, errors="coerce")
    codes, uniques = distinct(values)
    if values.dtype == object and not all(type(u) is str for u in uniques):  # noqa: E721  (1 and 1.0: one key)
        return pd.to_numeric(values, errors="coerce")
    parsed = pd.to_numeric(pd.Series(uniques, copy=False), errors="coerce").astype("float64").to_numpy()
    return pd.Series(np.append(parsed, np.nan)[codes], index=values.index)


def _obj(values: pd.Series) -> pd.Series:
    out = values.astype("object")
    return out.where(values.notna(), None)


def _build_block(spec: DomainSpec, block: BlockSpec, raw: dict, study, log: RejectionLog,
                 result: BuiltRecords) -> pd.DataFrame:
    domain = spec.domain
    source = raw[block.source]
    file = source.path.name
    frame = source.frame.reset_index(drop=True)
    result.rows_read += len(frame)

    # exact duplicate records: the later copy is dropped
    data_cols = [c for c in frame.columns if c != ROW]
    duplicate, first_of = duplicated_rows(frame, data_cols)  # each raw column factorized once
    dup = pd.Series(duplicate, index=frame.index)
    if dup.any():
        first_row = pd.Series(frame[ROW].to_numpy()[first_of], index=frame.index)
        subj = frame["SUBJID"] if "SUBJID" in frame else pd.Series("", index=frame.index)
        log.add(domain, file, frame.loc[dup, ROW], "*", subj[dup],
                "exact duplicate of row " + first_row[dup].astype("string"), DROPPED)
        frame = frame.loc[~dup].reset_index(drop=True)

    if block.filter is not None:
        keep = conditions.evaluate(block.filter, lambda c: frame[c], frame.index)
        if not keep.all():
            log_filtered(log, domain, file, frame, ~keep, block)
        result.filtered += int((~keep).sum())
        frame = frame.loc[keep].reset_index(drop=True)

    drop = pd.Series(False, index=frame.index)
    for merge in block.merges:
        right = raw[merge.source].frame
        hit = merge_keys(right, list(merge.right_on)).isin(set(merge_keys(frame, list(merge.left_on))))
        result.merged_rows.setdefault(merge.source, set()).update(right.loc[hit.to_numpy(), ROW].astype(int))
        frame = merge_source(frame, right, left_on=list(merge.left_on), right_on=list(merge.right_on),
                             columns=list(merge.columns), prefix=merge.prefix,
                             right_name=raw[merge.source].path.name, on_duplicate=merge.on_duplicate,
                             log=log, domain=domain)
        if merge.required:
            matched = pd.Series(False, index=frame.index)
            for col in merge.columns:
                matched |= frame[merge.prefix + col].notna()
            missing = ~matched & ~drop
            if missing.any():
                key = merge.left_on[0]
                log.add(domain, file, frame.loc[missing, ROW], key, frame.loc[missing, key],
                        f"no matching record in {raw[merge.source].path.name} (subject not enrolled?)", DROPPED)
                drop |= missing

    out = pd.DataFrame(index=frame.index)

    def resolve(name: str) -> pd.Series:
        if name in frame.columns:
            return frame[name]
        if name in out.columns:
            return out[name]
        raise DataError(f"column {name!r} is neither a raw column of {file} nor a variable built so far",
                        Location(spec.file, dataset=domain))

    ctx = RowContext(raw=frame, out=out, study=study, resolve=resolve)
    supp_out = {}
    known_ascii: dict[str, pd.Series] = {}  # columns whose text is known to be ASCII, as filled
    for var, target in [(v, out) for v in block.variables.values()] + \
                       [(v, None) for v in block.supp.values()]:
        if not is_phase_row(var):
            continue
        fill = RecordFill(spec, ctx, log, file, result, drop, supp=target is None)
        values = _fill(spec, var, frame, fill)
        if fill.ascii_text:
            known_ascii[var.name if target is not None else SUPP_PREFIX + var.name] = values
        if target is not None:
            out[var.name] = values
            ctx.out = out
        else:
            supp_out[var.name] = values
        if var.columns and var.name not in result.raw_column:
            result.raw_column[var.name] = var.columns[0]

    for var in block.variables.values():  # raw columns a later phase reads (the visit's folder) are kept as text
        if not is_phase_row(var) and var.columns:
            out[VISIT_PREFIX + var.columns[0]] = _text_object(frame[var.columns[0]])
    check_block(spec, block, out, frame, frame[ROW], ~drop, study, log, file)  # implausible values logged
    for name, reasons in ctx.reasons.items():
        out[NULL_REASON + name] = reasons
    out[ROW] = frame[ROW].to_numpy()
    out[SOURCE] = file
    subj_var = block.variables.get("USUBJID")
    subj_col = subj_var.columns[0] if subj_var is not None and subj_var.columns else None
    out[SUBJECT_COLUMN] = subj_col or "USUBJID"
    out[SUBJECT_VALUE] = _obj(frame[subj_col]) if subj_col in frame else out.get("USUBJID")
    for qnam, values in supp_out.items():
        out[SUPP_PREFIX + qnam] = values
    check_block_text(spec, block, out, frame, frame[ROW], ~drop, log, file, SUPP_PREFIX, known_ascii)  # non-ASCII
    return out.loc[~drop].reset_index(drop=True)


def filter_place(block: BlockSpec) -> str:
    """``sdtm/<spec>.yaml:<line>`` of a block's filter (folder and file name only, so logs do not depend on
    where the study lives)."""
    place = block.filter.place if block.filter is not None and block.filter.place else block.place
    path = Path(place.file)
    return f"{path.parent.name}/{path.name}:{place.line}"


def log_filtered(log: RejectionLog, domain: str, file: str, frame: pd.DataFrame, mask: pd.Series,
                 block: BlockSpec) -> None:
    """Log the raw rows a block's filter leaves out (``excluded by spec filter``), naming the filter."""
    if block.filter is None:
        raise ValueError(f"the {block.source} block has no filter to log")
    column = block.filter.columns()[0]
    reason = f"{filter_place(block)}: the filter ({describe_condition(block.filter)}) does not hold"
    log.add(domain, file, frame.loc[mask, ROW], column, frame.loc[mask, column], reason, EXCLUDED)


def _log_nulled(spec, var, log, file, rows, column, values, reason, drop, mask) -> None:
    action = DROPPED if var.on_error == "drop" else NULLED
    log.add(spec.domain, file, rows[mask], column, values[mask], reason if isinstance(reason, str) else reason[mask],
            action)
    if var.on_error == "drop":
        drop |= mask


def _fill(spec: DomainSpec, var: VariableSpec, frame: pd.DataFrame, fill: RecordFill) -> pd.Series:
    """Values of one variable for the block's records: the fill of the algorithm the spec names, then the
    variable's type (numbers for Num variables, non-numbers logged; text trimmed, blank as null)."""
    rows = frame[ROW]
    index = frame.index
    log, file, drop = fill.log, fill.file, fill.drop
    if var.codelist:  # the codelist the values are checked against (assign_ct records the one it mapped to)
        fill.result.codelists[var.name] = var.codelist
    values = algorithm(var.algorithm, "SDTM").fill(frame, var, fill)
    if numeric_target(spec.domain, var):
        num = _numbers(values) if values.dtype != "float64" else values
        bad = values.notna() & pd.Series(num, index=index).isna()
        if bad.any():
            col = var.columns[0] if var.columns else var.name
            _log_nulled(spec, var, log, file, rows, col, values.astype("string"),
                        f"{var.name}: not a number", drop, bad)
        return pd.Series(num, index=index, dtype="float64")
    if values.dtype == "float64":
        return values
    if fill.text_of is not None and fill.text_of[0] is values:
        _, text, fill.ascii_text = fill.text_of
        return text
    text, fill.ascii_text = _text_object_ascii(values)
    return text


def fill_timing(rec: BuiltRecords, study: Any, rfstdtc: pd.Series, timeline: pd.DataFrame,
                shared: dict[str, Any] | None = None) -> None:
    """Visit, study day and EPOCH variables of one domain: each study-phase keyword the spec names, in spec order,
    by its registered fill (they read DM's RFSTDTC and the subject element timeline, so they run once the domains
    and their derivations are built).  ``shared``: one dict for all domains of a batch (``TimingFill.shared``)."""
    context = TimingFill(study, rfstdtc, timeline, rec.notes, shared={} if shared is None else shared)
    frame = rec.frame
    for name, var in rec.spec.variable_specs().items():
        entry = algorithm(var.algorithm, "SDTM")
        if entry.keyword and entry.phase == "study":
            frame[name] = entry.fill(frame, var, context)
    rec.frame = frame
