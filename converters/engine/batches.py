"""Raw forms partitioned by subject: the batches of a build's per-batch plan.

A form is a *subject form* when it holds every raw field of the study's USUBJID pattern (after the
``usubjid.join``); its rows are split by the USUBJID they make, in batches of ``size`` subjects taken in
USUBJID order (rows without a subject go with the first batch). Other forms (lookups merged by other keys) are
study-level: every batch sees them whole. A batch's rows keep their order and index, so the pieces of a form put
back together are the form as read (``join_pieces``).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from converters.readers.raw import RawSource
from converters.sdtm.reference_dates import usubjids
from converters.spec.study import StudyDefinition, pattern_fields


def subject_fields(study: StudyDefinition) -> list[str]:
    """The raw columns the USUBJID pattern reads (STUDYID comes from study.yaml)."""
    return [text for is_field, text in pattern_fields(study.usubjid_pattern) if is_field and text != "STUDYID"]


def subject_forms(study: StudyDefinition, raw: dict[str, RawSource]) -> list[str]:
    """Forms whose rows each belong to one subject (they hold every field of the USUBJID pattern)."""
    fields = subject_fields(study)
    return [name for name, src in raw.items() if fields and all(f in src.frame.columns for f in fields)]


def batch_numbers(study: StudyDefinition, raw: dict[str, RawSource], forms: list[str], size: int
                  ) -> tuple[dict[str, np.ndarray], int]:
    """Per subject form, the batch of each row; and the number of batches (at least one)."""
    keys = {name: usubjids(study, raw[name].frame) for name in forms}
    distinct = pd.Index(pd.concat([k.dropna() for k in keys.values()], ignore_index=True).unique()) if keys \
        else pd.Index([], dtype="string")
    subjects = distinct.sort_values()
    count = max(1, -(-len(subjects) // size))
    out = {}
    for name, key in keys.items():
        position = subjects.get_indexer(pd.Index(key.astype(object).where(key.notna(), None)))
        out[name] = np.where(position < 0, 0, position // size).astype(np.int64)
    return out, count


def partition_raw(study: StudyDefinition, raw: dict[str, RawSource], size: int) -> list[dict[str, RawSource]]:
    """The raw forms as batches of ``size`` subjects (subject forms split, the others whole in every batch).

    Each subject form is dropped from ``raw`` once split, so the pieces are the only copy of it."""
    forms = subject_forms(study, raw)
    numbers, count = batch_numbers(study, raw, forms, size)
    batches: list[dict[str, RawSource]] = [{} for _ in range(count)]
    for name in list(raw):
        src = raw[name]
        if name not in numbers:
            for batch in batches:
                batch[name] = src
            continue
        order = np.argsort(numbers[name], kind="stable")
        bounds = np.searchsorted(numbers[name][order], np.arange(count + 1))
        for b, batch in enumerate(batches):
            batch[name] = replace(src, frame=src.frame.iloc[order[bounds[b]:bounds[b + 1]]])
        del raw[name], src
    return batches


def join_pieces(batches: Iterable[dict[str, RawSource]]) -> dict[str, RawSource]:
    """The raw forms put back together from their batches (subject forms in their original row order)."""
    pieces: dict[str, list[RawSource]] = {}
    for batch in batches:
        for name, src in batch.items():
            pieces.setdefault(name, []).append(src)
    out = {}
    for name, parts in pieces.items():
        if all(p is parts[0] for p in parts):
            out[name] = parts[0]
        else:
            out[name] = replace(parts[0], frame=pd.concat([p.frame for p in parts]).sort_index(kind="stable"))
    return out
