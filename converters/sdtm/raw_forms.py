"""The raw forms of a build read one at a time, each measured and then held compactly until the batches.

What the build needs of the raw exports before it partitions them by subject is taken form by form, as each is
read (``read_forms``): its coverage (``coverage.CoverageCounter``, of the columns as collected), the columns
``usubjid.join`` gives it (from a lookup built from the join's source form), the study.yaml date sources whose
``where`` matches none of its rows, and its column names (``check_spec_sources``, ``check_date_sources``). The
form is then held as codes into its distinct values (``engine.compact.CompactSource``) before the next is read,
so the study holds at most one raw form as object columns at a time; the batches split the codes and make each
batch's pieces object frames only when the batch runs (``engine.batches``, ``engine.sdtm.run_batch``).

A form that needs the join but is read before the join's source form waits (as codes) for the lookup; errors of
the join are raised once every form is read, as when the forms were read whole first.

A large CSV form comes already as codes (``readers.csv.read_csv_form`` reads it in blocks): its coverage, date
sources and column names are then taken a column at a time, and it is made whole as read only for the join (as
the join's source or as a form that gets its columns) or for a build that holds its forms as read.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from converters.engine.compact import CompactSource, Form, compact_source, raw_columns, raw_source
from converters.errors import Location, SpecError
from converters.readers.raw import ROW, RawSource
from converters.sdtm.coverage import CoverageCounter
from converters.sdtm.reference_dates import date_sources, where_misses
from converters.spec.model import DomainSpec
from converters.spec.study import StudyDefinition

@dataclass
class ReadForms:
    """The raw forms read (each as read, or held compactly), with what the steps before the batches took of them."""

    raw: dict[str, Form]
    coverage: list[tuple[str, str, str, str]]
    #: study.yaml date sources whose ``where`` value matches no row of their form (with the study.yaml line)
    warnings: list[str] = field(default_factory=list)

    def columns(self) -> dict[str, set[str]]:
        """Each form's raw column names (after the join), for ``check_spec_sources`` and ``check_date_sources``."""
        return {name: set(raw_columns(src)) - {ROW} for name, src in self.raw.items()}


class SubjectJoin:
    """study.yaml ``usubjid.join``: every form that lacks part of USUBJID gets those columns from the join's
    source form, by its ``by`` columns (first row per key, compared trimmed and case-insensitively, as merges
    compare; a left join, so no row is added or lost)."""

    def __init__(self, study: StudyDefinition) -> None:
        join = study.subject_join
        assert join is not None
        self.join = join
        self.where = Location(str(study.path), join.line or None)
        self.keys = [f"__join__{c}" for c in join.by]
        self.lookup: pd.DataFrame | None = None
        self.error: SpecError | None = None

    def needs(self, name: str, columns: Iterable[str]) -> bool:
        """True when form ``name`` (with these columns) gets columns from the join."""
        present = set(columns)
        return name != self.join.source and all(c in present for c in self.join.by) \
            and not all(c in present for c in self.join.columns)

    def use_source(self, source: RawSource) -> None:
        """Build the lookup from the join's source form (a missing column is kept as the error to raise)."""
        missing = [c for c in (*self.join.by, *self.join.columns) if c not in source.frame]
        if missing:
            self.error = SpecError(f"usubjid.join: {', '.join(missing)} not in raw form {self.join.source}",
                                   self.where)
            return
        self.lookup = self._keyed(source.frame)[[*self.keys, *self.join.columns]].drop_duplicates(self.keys)

    def apply(self, form: RawSource) -> RawSource:
        """The form with the columns it lacks from the lookup (rows, order and index kept)."""
        assert self.lookup is not None
        frame = form.frame
        wanted = [c for c in self.join.columns if c not in frame]
        merged = self._keyed(frame).merge(self.lookup[[*self.keys, *wanted]], on=self.keys, how="left",
                                          sort=False).drop(columns=self.keys)
        merged.index = frame.index
        return replace(form, frame=merged)

    def check(self, forms: Iterable[str]) -> None:
        """Raise the join's error, if any: its source form is not among ``forms``, or lacks a column."""
        if self.lookup is None and self.error is None:
            raise SpecError(f"usubjid.join: raw form {self.join.source!r} not found", self.where,
                            f"raw forms: {', '.join(sorted(forms))}")
        if self.error is not None:
            raise self.error

    def _keyed(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{k: frame[c].astype("string").str.strip().str.upper()
                               for k, c in zip(self.keys, self.join.by)})


def date_where_misses(study: StudyDefinition, name: str, form: Form) -> dict[int, list[str]]:
    """For the study.yaml date sources that read form ``name``: their position among the date sources and the
    warnings for ``where`` values that match no row of the form (held either way: only the ``where`` columns
    are made of a form held as codes)."""
    out: dict[int, list[str]] = {}
    wanted = [(position, label, source) for position, (label, source) in enumerate(date_sources(study))
              if source.form == name and source.where]
    if not wanted:
        return out
    if isinstance(form, CompactSource):
        where = (source.where.items() if isinstance(source.where, dict) else source.where for _p, _l, source in wanted)
        frame = form.subframe(list(dict.fromkeys(str(column) for pairs in where for column, _value in pairs)))
    else:
        frame = form.frame
    for position, label, source in wanted:
        out[position] = [f"{Path(study.path).name}:{source.line}: {label}: where {miss} matches no row of "
                         f"{source.form}" for miss in where_misses(frame, source.where)]
    return out


def read_forms(study: StudyDefinition, specs: list[DomainSpec], forms: Iterable[tuple[str, Form]],
               compact: bool = True) -> ReadForms:
    """Take the raw forms one at a time (``forms``: name and form, e.g. ``readers.raw.iter_raw_folder``): coverage
    of the columns as collected, the ``usubjid.join`` columns, the date-source warnings; then hold each as codes
    (``compact``) before the next is taken. Gives the forms in the order taken."""
    coverage = CoverageCounter(specs, study)
    join = SubjectJoin(study) if study.subject_join is not None else None
    raw: dict[str, Form] = {}
    waiting: list[str] = []  # forms that need the join, read before its source form
    misses: dict[int, list[str]] = {}

    def held(form: Form) -> Form:
        if isinstance(form, CompactSource):
            return form if compact else form.source()
        return compact_source(form) if compact else form

    def hold(name: str, form: Form) -> None:
        misses.update(date_where_misses(study, name, form))
        raw[name] = held(form)

    for name, form in forms:
        coverage.add_form(name, form)
        if join is not None and name == join.join.source:
            join.use_source(raw_source(form))
            hold(name, form)
            if join.lookup is not None:
                for other in waiting:  # one at a time back to object columns, joined, held again
                    hold(other, join.apply(raw_source(raw[other])))
                waiting.clear()
        elif join is not None and join.needs(name, raw_columns(form)):
            if join.lookup is not None:
                hold(name, join.apply(raw_source(form)))
            else:
                waiting.append(name)
                raw[name] = held(form)
        else:
            hold(name, form)
        del form
    if join is not None:
        join.check(raw)
    warnings = [text for position in sorted(misses) for text in misses[position]]
    return ReadForms(raw, coverage.rows(), warnings)
