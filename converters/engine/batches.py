"""Raw forms partitioned by subject: the batches of a build's per-batch plan.

A form is a *subject form* when it holds every raw field of the study's USUBJID pattern (after the
``usubjid.join``); its rows are split by the USUBJID they make, in batches of ``size`` subjects taken in
USUBJID order (rows without a subject go with the first batch). Other forms (lookups merged by other keys) are
study-level: every batch sees them whole. A batch's rows keep their order and index, so the pieces of a form put
back together are the form as read (``join_pieces``).

Forms held compactly (``engine.compact.CompactSource``, as ``converters.sdtm.raw_forms`` reads them) are split
as codes: the batch numbers read only the USUBJID fields, the pieces stay codes until ``run_batch`` makes them
object frames, and study-level forms are made once and shared by every batch.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from converters.engine.compact import CompactSource, Form, raw_columns, raw_source
from converters.readers.raw import RawSource
from converters.sdtm.reference_dates import usubjids
from converters.spec.study import StudyDefinition, pattern_fields

def subject_fields(study: StudyDefinition) -> list[str]:
    """The raw columns the USUBJID pattern reads (STUDYID comes from study.yaml)."""
    return [text for is_field, text in pattern_fields(study.usubjid_pattern) if is_field and text != "STUDYID"]


def subject_forms(study: StudyDefinition, raw: dict[str, Form]) -> list[str]:
    """Forms whose rows each belong to one subject (they hold every field of the USUBJID pattern)."""
    fields = subject_fields(study)
    out = []
    for name, src in raw.items():
        columns = set(raw_columns(src))
        if fields and all(f in columns for f in fields):
            out.append(name)
    return out


def subject_keys(study: StudyDefinition, src: Form) -> pd.Series:
    """The USUBJID each row of a form makes (missing where a field is); of a compact form only the USUBJID fields
    are made into text."""
    if isinstance(src, CompactSource):
        return usubjids(study, src.subframe(subject_fields(study)))
    return usubjids(study, src.frame)


def batch_numbers(study: StudyDefinition, raw: dict[str, Form], forms: list[str], size: int
                  ) -> tuple[dict[str, np.ndarray], int]:
    """Per subject form, the batch of each row; and the number of batches (at least one)."""
    keys = {name: subject_keys(study, raw[name]) for name in forms}
    distinct = pd.Index(pd.concat([k.dropna() for k in keys.values()], ignore_index=True).unique()) if keys \
        else pd.Index([], dtype="string")
    subjects = distinct.sort_values()
    count = max(1, -(-len(subjects) // size))
    out = {}
    for name in list(keys):
        key = keys.pop(name)
        position = subjects.get_indexer(pd.Index(key.astype(object).where(key.notna(), None)))
        out[name] = np.where(position < 0, 0, position // size).astype(np.int64)
    return out, count


def partition_raw(study: StudyDefinition, raw: dict[str, Form], size: int, used: bool = False
                  ) -> list[dict[str, Form]]:
    """The raw forms as batches of ``size`` subjects (subject forms split, the others whole in every batch).

    Each subject form is dropped from ``raw`` once split, so the pieces are the only copy of it. A compact
    subject form is split into compact pieces (``used``: each piece keeps only the text values its rows use, for
    pieces sent to other processes); a compact study-level form is made an object frame once, shared by every
    batch (and put back in ``raw``'s place for the caller)."""
    forms = subject_forms(study, raw)
    numbers, count = batch_numbers(study, raw, forms, size)
    batches: list[dict[str, Form]] = [{} for _ in range(count)]
    for name in list(raw):
        src = raw[name]
        if name not in numbers:
            whole = raw_source(src)
            raw[name] = whole
            for batch in batches:
                batch[name] = whole
            continue
        number = numbers.pop(name)
        order = np.argsort(number, kind="stable")
        bounds = np.searchsorted(number[order], np.arange(count + 1))
        del number
        for b, batch in enumerate(batches):
            rows = order[bounds[b]:bounds[b + 1]]
            batch[name] = src.take(rows, used) if isinstance(src, CompactSource) else \
                replace(src, frame=src.frame.iloc[rows])
        del raw[name], src
    return batches


def join_pieces(batches: Iterable[dict[str, Form]]) -> dict[str, RawSource]:
    """The raw forms put back together from their batches (subject forms in their original row order)."""
    pieces: dict[str, list[Form]] = {}
    for batch in batches:
        for name, src in batch.items():
            pieces.setdefault(name, []).append(src)
    out = {}
    for name, parts in pieces.items():
        if all(p is parts[0] for p in parts):
            out[name] = raw_source(parts[0])
        else:
            frames = [raw_source(p) for p in parts]
            out[name] = replace(frames[0], frame=pd.concat([p.frame for p in frames]).sort_index(kind="stable"))
    return out
