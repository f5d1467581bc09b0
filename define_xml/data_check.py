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
from converters.validate.fastxpt import has_later_member, read_header, whole_rows



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
    """The header of an XPT file and the distinct rows of each column group, stacked; None when the file needs
    the validator's full reader."""
    raw = path.read_bytes()
    try:
        head = read_header(raw)
    except (ValueError, IndexError, UnicodeDecodeError):
        head = None  # a damaged header: the validator's reader says what is wrong
    if head is None or has_later_member(raw, head.offset):
        return None  # another layout, or a second member: the validator's reader
    name_bytes, label_bytes = head.name, head.label
    variables = list(zip(head.names, head.labels, head.lengths, head.positions, head.numeric))
    if not all(b.isascii() for b in (name_bytes, label_bytes, *head.labels)):
        return None
    layout = {v[0]: v for v in variables}
    if any(c not in layout or layout[c][4] for group in groups for c in group):
        return None  # a numeric variable compared with a codelist, or a column the file lacks: read in full
    width = head.width
    rows = whole_rows(raw, head.offset, width)
    block = np.frombuffer(raw, dtype=np.uint8, count=rows * width, offset=head.offset).reshape(rows, width)
    parts: list[dict[str, np.ndarray]] = []
    for group in groups:
        cells = np.concatenate([block[:, layout[c][3]:layout[c][3] + layout[c][2]] for c in group], axis=1)
        if (cells == 0).any() or (cells >= 0x80).any():
            return None  # NUL bytes or non-ASCII text: the validator's reader decides what they mean
        distinct = np.unique(np.ascontiguousarray(cells).view(f"S{cells.shape[1]}").ravel())
        padded = [bytes(d).ljust(cells.shape[1], b" ") for d in distinct]  # S arrays drop trailing NULs only
        part: dict[str, np.ndarray] = {}
        start = 0
        for c in group:
            length = layout[c][2]
            part[c] = np.array([d[start:start + length].rstrip(b" ").decode("ascii") for d in padded], dtype=object)
            start += length
        parts.append(part)
    size = sum(len(next(iter(p.values()))) for p in parts)
    columns: dict[str, np.ndarray] = {}
    meta = []
    for var, label, length, _pos, numeric in variables:
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
    return frame, Dataset(name=name_bytes.decode("ascii").strip(), label=label_bytes.decode("ascii").rstrip(),
                          variables=meta, records=rows)


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
