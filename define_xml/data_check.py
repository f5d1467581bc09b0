"""What the define-against-data check reads of a folder: the file headers, and the distinct values it compares.

The validator's define rules (DF0002-DF0009) look at a dataset's variable names, types, lengths and labels (the
file header) and, for DF0008, at the values of the variables the define gives a codelist: each variable with a
variable-level codelist on its own, and each value-level item with a codelist together with the variables of its
where clause.  A rule's verdict depends only on which distinct values (or distinct where-clause and value
combinations) occur, not on how often.  So instead of every record of every dataset, each XPT file is read as its
header plus, for each of those column groups, the distinct rows of the group's columns; the dataset the rules see
stacks them (the other columns blank).  The rules then see the same names, types, lengths, labels and the same
distinct values as a full read, and find the same problems; the cost follows the distinct values and the bytes of
the few columns compared, not every column of every record.

Anything this reader does not handle the way the validator's fast XPT reader does (another XPT version, several
members, non-ASCII text, NUL bytes, a numeric variable with a codelist, Dataset-JSON) is read in full by the
validator's own reader, so no file escapes the check.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from converters.metadata.model import Dataset, Variable
from converters.validate.fastxpt import read_header, read_text_cells, whole_rows


def checked_groups(define, dataset: str) -> list[tuple[str, ...]]:
    """Column groups whose distinct rows DF0008 compares with the define: each variable with a variable-level
    codelist alone, and each value-level item with a codelist after the variables of its where clause."""
    groups: dict[tuple[str, ...], None] = {}
    for name, var in define.datasets.get(dataset, {}).items():
        if var.codelist and var.codelist in define.codelists:
            groups[(name,)] = None
    for name, where, _oid in define.value_codelists(dataset):
        groups[(*dict.fromkeys(c.variable for c in where), name)] = None
    return list(groups)


def read_checked(path: Path, groups: list[tuple[str, ...]]) -> tuple[pd.DataFrame, Dataset] | None:
    """The header of an XPT file and the distinct rows of each column group, stacked (each group's rows in the
    order of their bytes); None when the file needs the validator's full reader.

    The file is mapped and read block by block by the validator's reader (:func:`~converters.validate.fastxpt.
    read_text_cells`): only the columns of the groups, each once however many groups name it, as codes into its
    distinct cells; a group's distinct rows are then found on those codes, so no record's text is copied or
    decoded."""
    from converters.validate.xptfile import _mapped

    with _mapped(path) as raw:
        try:
            head = read_header(raw)
        except (ValueError, IndexError, UnicodeDecodeError):
            head = None  # a damaged header: the validator's reader says what is wrong
        if head is None:
            return None  # another layout: the validator's reader
        if not all(b.isascii() for b in (head.name, head.label, *head.labels)):
            return None
        layout = dict(zip(head.names, head.numeric))
        if any(c not in layout or layout[c] for group in groups for c in group):
            return None  # a numeric variable compared with a codelist, or a column the file lacks: read in full
        cells = read_text_cells(raw, head, {c for group in groups for c in group})
        rows = whole_rows(raw, head.offset, head.width)
    if cells is None:
        return None  # a second member, or NUL bytes: the validator's reader
    if any((distinct >= 0x80).any() for _codes, distinct in cells.values()):
        return None  # non-ASCII text: the validator's reader decides what it means
    ranked = {name: _ranked(codes, distinct) for name, (codes, distinct) in cells.items()}
    del cells
    parts = [_distinct_rows(group, ranked) for group in groups]
    size = sum(len(next(iter(p.values()))) for p in parts)
    columns: dict[str, np.ndarray] = {}
    meta = []
    for var, label, length, numeric in zip(head.names, head.labels, head.lengths, head.numeric):
        columns[var] = np.full(size, np.nan) if numeric else np.full(size, "", dtype=object)
        meta.append(Variable(name=var, label=label.decode("ascii").rstrip(), data_type="float" if numeric else "text",
                             length=None if numeric else length or 1))
    at = 0
    for part in parts:
        n = len(next(iter(part.values())))
        for c, values in part.items():
            columns[c][at:at + n] = values
        at += n
    frame = pd.DataFrame(columns, index=pd.RangeIndex(size))
    return frame, Dataset(name=head.name.decode("ascii").strip(), label=head.label.decode("ascii").rstrip(),
                          variables=meta, records=rows)


def _ranked(codes: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's record codes, the rank of each code's cells in byte order, and its distinct texts in that order
    (trailing spaces cut)."""
    from converters.validate.fastxpt import _decode_cells

    order = np.argsort(np.ascontiguousarray(distinct).view(f"S{distinct.shape[1]}").ravel(), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ordered = distinct[order]
    texts = np.array(_decode_cells(ordered, np.zeros(len(ordered), dtype=bool), "ascii"), dtype=object)
    return codes, rank, texts


def _distinct_rows(group: tuple[str, ...],
                   ranked: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """The distinct rows of a column group, in the order of their bytes (the columns' cells one after another):
    per column its texts.  A column alone: its distinct texts (each occurs).  Fixed-width cells make that order
    the order of the columns' byte ranks, compared column by column, so a record of several columns is one
    integer (mixed radix) when the ranks fit, else a row of ranks."""
    if len(group) == 1:
        return {group[0]: ranked[group[0]][2]}
    sizes = [len(ranked[c][1]) for c in group]
    if not len(ranked[group[0]][0]):
        return {c: ranked[c][2][:0] for c in group}
    if np.prod(np.asarray(sizes, dtype=float)) < 2**62:
        key = np.zeros(len(ranked[group[0]][0]), dtype=np.int64)
        for c, size in zip(group, sizes):
            codes, rank, _texts = ranked[c]
            key = key * size + rank[codes]
        unique = np.sort(pd.unique(key))
        picked: list[np.ndarray] = []
        for size in reversed(sizes):
            unique, rank = np.divmod(unique, size)
            picked.insert(0, rank)
    else:  # pragma: no cover - more distinct combinations of cells than an int64 can number
        stacked = np.unique(np.stack([ranked[c][1][ranked[c][0]] for c in group], axis=1), axis=0)
        picked = list(stacked.T)
    return {c: ranked[c][2][rank] for c, rank in zip(group, picked)}


def load_checked(folder: Path, define):
    """The folder as the define rules see it (a validator StudyData): every dataset file, each read as
    :func:`read_checked` reads it, or in full by the validator's reader when it cannot be."""
    from converters.validate.data import DatasetData, StudyData, dataset_files, guess_standard, read_dataset, \
        why_unreadable

    files, skipped = dataset_files(folder)
    study = StudyData(datasets={}, folder=folder, skipped=skipped)
    for stem, path in sorted(files.items()):
        read = read_checked(path, checked_groups(define, stem)) if path.suffix.lower() == ".xpt" else None
        try:
            frame, meta = read if read is not None else read_dataset(path)[:2]
        except Exception as exc:  # noqa: BLE001 - reported as a problem, as the validator does
            study.problems.append((path.name, why_unreadable(exc)))
            continue
        name = (meta.name or stem).upper()
        if read is not None and name != stem:  # the groups were chosen by file name: read it in full instead
            frame, meta = read_dataset(path)[:2]
        if name not in study.datasets:
            study.datasets[name] = DatasetData(name=name, frame=frame, meta=meta, path=path,
                                               file_format=path.suffix.lower().lstrip("."))
    study.standard = guess_standard(study.datasets)
    return study
