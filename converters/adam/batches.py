"""An ADaM dataset derived per batch of subjects, so memory follows the batch, not the study (issue 17).

A dataset whose steps are all subject-local (``Algorithm.subject_local``, with USUBJID among their ``by_vars``)
gives each subject the same records, in the same order among that subject's records, whatever other subjects are
present.  Such a dataset is derived batch by batch: every dataset it reads (its source, the SDTM datasets and the
ADaM datasets built earlier that its steps read, ADSL among them) is split by USUBJID, the subjects taken in
USUBJID order, ``batch_subjects`` at a time; each batch's result is held compactly
(:func:`converters.engine.compact.compact_frame`) and the results are put together in batch order.  That is the
whole derivation's result when its records come out in subject order: the last step that sets their order sorts
by USUBJID first (``derive_var_obs_number``), or no step adds records and the source is in USUBJID order.

Anything else is derived whole, as before, and :func:`plan_batches` says why: a step that is not subject-local or
groups without USUBJID, records not in subject order, a dataset read with records without USUBJID, or a study in
one batch.  So is a dataset whose batches do not agree on a column's type or a variable's origin text (a column
all empty in one batch may take another type there), or one batch of which stops with an error (a batch without
the records a step needs): the whole derivation decides, and its error, if any, is the one reported.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from converters.adam.context import Provenance
from converters.adam.sources import SdtmFolder, nulls_for_blanks
from converters.adam.spec import AdamSpec
from converters.errors import CdiscConvertError
from converters.engine.compact import CompactFrame, compact_frame, concat_compact

#: The result of a derivation: (frame, provenance per variable, source records), as ``derive_dataset`` gives it.
Derived = tuple[pd.DataFrame, dict[str, Provenance], int]
#: The same put together from batches: the frame compact (text as codes) when the batches agree on its columns.
PutTogether = tuple[pd.DataFrame | CompactFrame, dict[str, Provenance], int]


def steps_not_batchable(spec: AdamSpec) -> str | None:
    """Why the spec's steps cannot run per batch of subjects (None when they can): a step that is not
    subject-local, one that groups without USUBJID, or records that do not come out in subject order."""
    ordered: bool | None = None  # None: in the source's order (checked on the data)
    for step in spec.steps:
        verb = step.verb
        if not verb.subject_local:
            return f"{verb.name} (line {step.line}) compares records across subjects"
        by_vars = getattr(step.options, "by_vars", None)
        if by_vars is not None and "USUBJID" not in by_vars:
            return f"{verb.name} (line {step.line}) groups by {', '.join(by_vars) or 'nothing'}, not by subject"
        if verb.record_order == "appended":
            ordered = False
        elif verb.record_order == "sorted":
            ordered = by_vars is not None and list(by_vars[:1]) == ["USUBJID"]
    if ordered is False:
        return "its records do not end sorted by USUBJID first (no derive_var_obs_number by USUBJID after the last " \
               "step that adds or sorts records)"
    return None


def batch_numbers(subjects: pd.Series, ordered: np.ndarray, batch_subjects: int) -> np.ndarray:
    """Per record, the batch of its subject: its place among ``ordered`` (every subject, sorted), divided by the
    batch size; the subjects' distinct values are looked up once."""
    codes, uniques = pd.factorize(subjects.to_numpy(dtype=object))
    places = np.searchsorted(ordered, np.asarray(uniques, dtype=object))
    return (places // batch_subjects)[codes]


@dataclass
class SubjectSplit:
    """The records of each dataset read, split into batches of ``batch_subjects`` subjects in USUBJID order."""

    subjects: np.ndarray  # every subject of the datasets read, sorted
    batch_subjects: int

    @property
    def batches(self) -> int:
        return -(-len(self.subjects) // self.batch_subjects)

    def rows(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Per batch, the positions of ``frame``'s records of its subjects, in the frame's order."""
        numbers = batch_numbers(frame["USUBJID"], self.subjects, self.batch_subjects)
        order = np.argsort(numbers, kind="stable")
        bounds = np.searchsorted(numbers[order], np.arange(self.batches + 1))
        return [order[bounds[b]:bounds[b + 1]] for b in range(self.batches)]


def take(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The records at ``rows`` with a fresh RangeIndex (as every dataset a verb reads has)."""
    return frame.take(rows).reset_index(drop=True)


class BatchSdtm(SdtmFolder):
    """The SDTM folder as one batch of subjects sees it: each dataset prepared (blanks to nulls, SUPP-- merged)
    holds that batch's records only.  File metadata, labels and the datasets' variables are the whole folder's.

    A dataset without SUPP-- is prepared from the batch's records as read (codes), so the whole dataset is never
    held as text; one with SUPP-- is prepared whole once (the qualifiers' columns are the whole study's) and cut.
    """

    def __init__(self, whole: SdtmFolder, split: SubjectSplit, number: int, rows: dict[str, list[np.ndarray]]):
        super().__init__(whole.folder, whole.frames, whole.metas)
        self.whole = whole
        self.split = split
        self.number = number
        self._rows = rows  # shared by the batches: each dataset split once

    def dataset(self, name: str) -> pd.DataFrame:
        name = name.upper()
        if name not in self._merged:
            if f"SUPP{name}" in self.frames:
                frame = self.whole.dataset(name)
            else:
                frame = self.frames[name]
            if "USUBJID" not in frame:
                prepared = self.whole.dataset(name)  # study-level: every batch reads it whole
            else:
                if name not in self._rows:
                    self._rows[name] = self.split.rows(frame)
                part = take(frame, self._rows[name][self.number])
                prepared = part if f"SUPP{name}" in self.frames else nulls_for_blanks(part)
            self._merged[name] = prepared
        return self._merged[name]

    def release(self, name: str, files: bool = False) -> None:
        """The batch lets go of its own copy only; the whole folder's datasets are the build's to release."""
        self._merged.pop(name.upper(), None)


def study_subjects(frames: list[pd.DataFrame]) -> np.ndarray | str:
    """Every subject of ``frames``, sorted, or why they cannot be split (a record without USUBJID)."""
    found: list[np.ndarray] = []
    for frame in frames:
        if "USUBJID" not in frame:
            continue
        column = frame["USUBJID"]
        values = np.asarray(column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype)
                            else pd.unique(column.to_numpy(dtype=object)), dtype=object)
        used = column.cat.codes.to_numpy() if isinstance(column.dtype, pd.CategoricalDtype) else None
        if used is not None:
            values = values[np.unique(used[used >= 0])]
            if (used < 0).any():
                return "a dataset it reads has records without USUBJID"
        if any(not isinstance(v, str) or not v.strip() for v in values):
            return "a dataset it reads has records without USUBJID"
        found.append(values)
    if not found:
        return "it reads no dataset with USUBJID"
    return np.unique(np.concatenate(found))


def derive_in_batches(spec: AdamSpec, sdtm: SdtmFolder, built: dict[str, pd.DataFrame], reads: set[str],
                      batch_subjects: int, derive: Callable[[SdtmFolder, dict[str, pd.DataFrame]], Derived],
                      say: Callable[[str], None]) -> PutTogether | None:
    """The dataset derived per batch of subjects and put together, or None (after saying why) when it is to be
    derived whole.  ``reads``: the datasets the spec may read (source included); ``derive(sdtm, built)`` runs the
    spec on one batch's view of them.  The frame is given compact (:meth:`CompactFrame.frame` makes it whole)."""
    why = steps_not_batchable(spec)
    frames: dict[str, pd.DataFrame] = {}
    if why is None:
        for name in sorted(reads):
            if name in built:
                frames[name] = built[name]
            elif sdtm.has(name):
                frames[name] = sdtm.dataset(name) if f"SUPP{name}" in sdtm.frames else sdtm.frames[name]
        found = study_subjects(list(frames.values()))
        source_name = spec.source.dataset.upper() if spec.source is not None else ""
        source = frames.get(source_name)
        if isinstance(found, str):
            why = found
        elif source is not None and "USUBJID" not in source:
            why = f"its source {source_name} has no USUBJID"
        elif len(found) <= batch_subjects:
            why = f"the study's {len(found)} subjects make one batch"
        elif source is not None and not _subject_ordered(source) and \
                all(step.verb.record_order == "kept" for step in spec.steps):
            why = f"its source {source_name} is not in USUBJID order"
        else:
            subjects = found
    if why is not None:
        say(f"{spec.dataset}: derived whole: {why}")
        return None
    split = SubjectSplit(subjects, batch_subjects)
    say(f"{spec.dataset}: derived in {split.batches} batches of up to {batch_subjects} subjects")
    built_rows = {name: split.rows(frames[name]) for name in built if name in frames and "USUBJID" in frames[name]}
    sdtm_rows: dict[str, list[np.ndarray]] = {}
    pieces: list[CompactFrame] = []
    model: tuple[pd.DataFrame, dict[str, Provenance]] | None = None  # the first batch with records
    source_records = 0
    for number in range(split.batches):
        view = BatchSdtm(sdtm, split, number, sdtm_rows)
        part_built = {name: take(frame, built_rows[name][number]) if name in built_rows else frame
                      for name, frame in built.items()}
        try:
            frame, provenance, records = derive(view, part_built)
        except CdiscConvertError as exc:  # e.g. a batch without the records a step needs: the whole build decides
            say(f"{spec.dataset}: derived whole: batch {number + 1} stopped ({str(exc).splitlines()[0]})")
            return None
        source_records += records
        if len(frame):
            if model is None:
                model = (frame.iloc[:0], provenance)
            mismatch = _disagreement(model, frame, provenance)
            if mismatch:
                say(f"{spec.dataset}: derived whole: the batches disagree on {mismatch}")
                return None
            pieces.append(compact_frame(frame))
        del frame, view, part_built
    if model is None:
        say(f"{spec.dataset}: derived whole: no batch has records")
        return None
    return concat_compact(pieces), model[1], source_records


def _subject_ordered(frame: pd.DataFrame) -> bool:
    """Whether the records are in USUBJID order (the order a batch-by-batch build gives them)."""
    column = frame["USUBJID"]
    text = column.astype(object) if isinstance(column.dtype, pd.CategoricalDtype) else column
    return bool(pd.Series(text.to_numpy(dtype=object)).is_monotonic_increasing)


def _disagreement(first: tuple[pd.DataFrame, dict[str, Provenance]], frame: pd.DataFrame,
                  provenance: dict[str, Provenance]) -> str | None:
    """What a batch's result says differently from the first with records (column types, origins), or None."""
    model = first[0]
    if list(model.columns) != list(frame.columns):
        return "the variables"
    for name in frame.columns:
        if model[name].dtype != frame[name].dtype:
            return f"the type of {name} ({model[name].dtype} and {frame[name].dtype})"
    if provenance != first[1]:
        changed = sorted(k for k in set(provenance) | set(first[1]) if provenance.get(k) != first[1].get(k))
        return f"the origin of {', '.join(changed[:3])}"
    return None
