"""CDISC Dataset-JSON 1.1 files (``.json``, and ``.ndjson``: metadata line, then one row per line).

Column data types follow Dataset-JSON 1.1 and the CDISC examples:

* text variables are ``string`` with their ``length``; character ISO 8601 variables keep their
  Define-XML type (``date``, ``datetime``, ``time``) and have no length; ``URI`` stays ``URI``;
  the other partial/duration types are ``string``;
* ``integer`` variables are JSON integers;
* ``float`` variables are JSON numbers (``float``), except when the metadata states significant
  digits: then they are exchanged as exact decimal text (``dataType``/``targetDataType``
  ``decimal``), the shortest text that reads back as the same number;
* numeric dates (SAS numbers with a date, datetime or time format) are ISO 8601 text with
  ``dataType`` ``date``/``datetime``/``time``, ``targetDataType`` ``integer`` and the
  ``displayFormat``, so a receiver can turn them back into SAS numbers;
* missing values are ``null``.

Output is deterministic: a fixed key order, compact separators, and a creation timestamp from
the ``created`` argument (default 1970-01-01T00:00:00), never from the clock.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from converters import __version__
from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.text_facts import TextFacts, dataset_text_facts, facts_for, text_facts
from converters.writers.transport import (
    DEFAULT_CREATED_ISO,
    atomic_file,
    check_columns,
    fail,
    first_true,
    item_oid,
    numeric_values,
    present_or_none,
    sas_to_iso,
    text_values,
    to_sas_numbers,
)

DATASET_JSON_VERSION = "1.1.0"
#: Define-XML character types that keep their own name as Dataset-JSON dataType.
_KEPT_TYPES = {"date": "date", "datetime": "datetime", "time": "time", "URI": "URI"}


def column_data_type(var: Variable) -> tuple[str, str | None]:
    """Dataset-JSON ``(dataType, targetDataType)`` of a variable."""
    if var.is_numeric:
        kind = var.temporal_kind
        if kind:
            return kind, "integer"
        if var.data_type == "integer":
            return "integer", None
        if var.significant_digits is not None:
            return "decimal", "decimal"
        return "float", None
    return _KEPT_TYPES.get(var.data_type, "string"), None


def dataset_json_columns(frame: pd.DataFrame, dataset: Dataset, *,
                         facts: Mapping[str, TextFacts] | None = None) -> list[dict[str, object]]:
    """The ``columns`` array: itemOID, name, label, dataType, targetDataType, length, displayFormat, keySequence.

    ``facts``: text facts already measured on this frame (lengths are read from them).
    """
    keys = {name: pos for pos, name in enumerate(dataset.keys, start=1)}
    columns = []
    for var in dataset.variables:
        data_type, target = column_data_type(var)
        column: dict[str, object] = {
            "itemOID": item_oid(dataset, var),
            "name": var.name,
            "label": var.label or "",
            "dataType": data_type,
        }
        if target:
            column["targetDataType"] = target
        if data_type in ("string", "URI"):
            series = frame[var.name].reset_index(drop=True)
            column["length"] = _text_length(facts_for(facts, series, dataset.name, var.name), var, dataset.name)
        if var.display_format:
            column["displayFormat"] = var.display_format
        key = var.key_sequence if var.key_sequence is not None else keys.get(var.name)
        if key is not None:
            column["keySequence"] = int(key)
        columns.append(column)
    return columns


def _text_length(facts: TextFacts, var: Variable, ds: str) -> int:
    """The ``length`` of a text column: the metadata length (checked against the values) or the longest value."""
    if var.length is None:
        return max(facts.max_bytes, 1)
    bad = facts.first_row(facts.nbytes > var.length)
    if bad is not None:
        code = facts.codes[bad]
        raise fail(f"value is {facts.nbytes[code]} bytes, longer than the variable's length {var.length}: "
                   f"{facts.values[code]!r}", ds, var.name, bad + 1,
                   hint="raise the length in the metadata or correct the value")
    return int(var.length)


def column_values(series: pd.Series, var: Variable, ds: str) -> list[Any]:
    """One column's values in their Dataset-JSON form (None for missing)."""
    series = series.reset_index(drop=True)
    data_type, _ = column_data_type(var)
    if not var.is_numeric:
        return text_values(series, ds, var.name).tolist()
    kind = var.temporal_kind
    if kind:
        return sas_to_iso(to_sas_numbers(series, kind, ds, var.name), kind, ds, var.name)
    values = numeric_values(series, ds, var.name)
    present = ~np.isnan(values)
    if data_type == "integer":
        bad = first_true(present & (values != np.floor(values)))
        if bad is not None:
            raise fail(f"integer variable holds a fractional value {values[bad]!r}", ds, var.name, bad + 1,
                       hint="round the value in the derivation or declare the variable float")
        return present_or_none(present, values[present].astype("int64"))
    if data_type == "decimal":
        codes, uniques = pd.factorize(values[present].view("int64"))  # each distinct number (bit pattern) once
        text = np.array([np.format_float_positional(v, unique=True, trim="-") for v in uniques.view("float64")],
                        dtype=object)
        return present_or_none(present, text[codes])
    return present_or_none(present, values[present])


def dataset_json_metadata(frame: pd.DataFrame, dataset: Dataset, *, study_oid: str, metadata_version_oid: str,
                          originator: str = "cdisc-convert",
                          source_system: tuple[str, str] = ("cdisc-convert", __version__),
                          created: datetime | None = None, define_ref: str = "define.xml",
                          file_oid: str | None = None, db_last_modified: datetime | None = None,
                          facts: Mapping[str, TextFacts] | None = None, records: int | None = None
                          ) -> dict[str, object]:
    """The top-level Dataset-JSON object without ``rows``, keys in the order of the CDISC examples
    (``records``: the dataset's records when ``frame`` is its first piece, ``DatasetJsonPieces``)."""
    meta: dict[str, object] = {
        "datasetJSONCreationDateTime": _iso_moment(created) if created else DEFAULT_CREATED_ISO,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": file_oid or f"{study_oid}/{metadata_version_oid}/{dataset.name}",
    }
    if db_last_modified is not None:
        meta["dbLastModifiedDateTime"] = _iso_moment(db_last_modified)
    meta.update({
        "originator": originator,
        "sourceSystem": {"name": source_system[0], "version": source_system[1]},
        "studyOID": study_oid,
        "metaDataVersionOID": metadata_version_oid,
        "metaDataRef": define_ref,
        "itemGroupOID": dataset.oid,
        "records": int(len(frame) if records is None else records),
        "name": dataset.name,
        "label": dataset.label or "",
        "columns": dataset_json_columns(frame, dataset, facts=facts),
    })
    return meta


def _iso_moment(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def dataset_json_rows(frame: pd.DataFrame, dataset: Dataset) -> list[list[object]]:
    """The ``rows`` array: one list per record, values in variable order."""
    columns = [column_values(frame[var.name], var, dataset.name) for var in dataset.variables]
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]


def column_tokens(series: pd.Series, var: Variable, ds: str) -> np.ndarray:
    """One column's values as JSON text (``null`` for missing), each distinct value encoded once.

    The text is exactly what encoding the value inside its row would give.  Numbers are told
    apart by bit pattern, so ``-0.0`` and ``0.0`` (equal, but written differently) keep their own text.
    """
    codes, table = column_token_table(series, var, ds)
    return table[codes]


def column_token_table(series: pd.Series, var: Variable, ds: str, facts: TextFacts | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, table)``: each record's position in ``table``, the JSON text of each distinct value.

    ``null`` is the table's last entry, so missing records have code -1.  Text columns use their
    text facts (``facts`` when already measured); numbers are keyed by bit pattern and converted,
    checked and encoded once per distinct value.
    """
    series = series.reset_index(drop=True)
    if not var.is_numeric:
        text = facts if facts is not None and facts.records == len(series) else text_facts(series, ds, var.name)
        return text.codes, text.json_tokens(_dumps)
    data_type, _ = column_data_type(var)
    kind = var.temporal_kind
    numbers = to_sas_numbers(series, kind, ds, var.name) if kind else numeric_values(series, ds, var.name)
    present = ~np.isnan(numbers)
    codes = np.full(len(numbers), -1, dtype=np.int32 if len(numbers) < 2**31 - 1 else np.intp)
    codes[present], uniques = pd.factorize(numbers[present].view("int64"))  # each bit pattern once
    distinct = np.asarray(uniques, dtype=np.int64).view("float64")
    if kind:
        try:
            iso_text = sas_to_iso(distinct, kind, ds, var.name)
        except TransportError as exc:  # name the first record holding the value, not its distinct position
            if exc.where.row is not None:
                exc.where.row = int(np.argmax(codes == exc.where.row - 1)) + 1
            raise
        tokens = [_dumps(t) for t in iso_text]
    elif data_type == "integer":
        bad = first_true(distinct != np.floor(distinct))
        if bad is not None:
            row = int(np.argmax(codes == bad))
            raise fail(f"integer variable holds a fractional value {distinct[bad]!r}", ds, var.name, row + 1,
                       hint="round the value in the derivation or declare the variable float")
        tokens = [_dumps(v) for v in distinct.astype("int64").tolist()]
    elif data_type == "decimal":
        tokens = [_dumps(np.format_float_positional(v, unique=True, trim="-")) for v in distinct]
    else:
        tokens = [_dumps(v) for v in distinct.tolist()]
    return codes, np.array(tokens + ["null"], dtype=object)


#: Records joined per step when the rows text is assembled and written (bounds the temporary arrays).
_ROWS_PER_STEP = 20_000


def _rows_chunks(tokens: list[tuple[np.ndarray, np.ndarray]], records: int, row_end: str,
                 last_end: str) -> Iterator[str]:
    """Rows as ``[tok,tok,...]`` each followed by ``row_end`` (the last by ``last_end``), in steps of records.

    The punctuation around a value goes into its column's token table (``[`` or ``,`` before, ``row_end`` after
    the last column's), once per distinct value, so a row is as many pieces as it has columns."""
    if not tokens:
        for start in range(0, records, _ROWS_PER_STEP):
            stop = min(records, start + _ROWS_PER_STEP)
            yield ("[" + row_end) * (stop - start - 1) + "[" + (last_end if stop == records else row_end)
        return
    last = len(tokens) - 1
    tables = [np.array([("[" if pos == 0 else ",") + token + (row_end if pos == last else "")
                        for token in table.tolist()], dtype=object)
              for pos, (_codes, table) in enumerate(tokens)]
    for start in range(0, records, _ROWS_PER_STEP):
        stop = min(records, start + _ROWS_PER_STEP)
        grid = np.empty((stop - start, len(tokens)), dtype=object)
        for pos, (codes, _table) in enumerate(tokens):
            grid[:, pos] = tables[pos][codes[start:stop]]
        if stop == records:
            codes, table = tokens[last]
            grid[-1, -1] = ("[" if last == 0 else ",") + table[codes[stop - 1]] + last_end
        yield "".join(grid.ravel().tolist())


def write_dataset_json(frame: pd.DataFrame, dataset: Dataset, path: str | os.PathLike[str], *, study_oid: str,
                       metadata_version_oid: str, originator: str = "cdisc-convert",
                       source_system: tuple[str, str] = ("cdisc-convert", __version__),
                       created: datetime | None = None, define_ref: str = "define.xml",
                       ndjson: bool | None = None, file_oid: str | None = None,
                       db_last_modified: datetime | None = None,
                       facts: Mapping[str, TextFacts] | None = None) -> Path:
    """Write ``frame`` as a Dataset-JSON 1.1 file described by ``dataset``; the path written.

    ``ndjson`` writes the NDJSON form (metadata object on the first line, then one row array per
    line); None picks it from a ``.ndjson`` suffix.  ``created`` becomes
    ``datasetJSONCreationDateTime`` (default 1970-01-01T00:00:00).  ``fileOID`` defaults to
    ``<studyOID>/<metaDataVersionOID>/<dataset>``.  ``facts``: text facts already measured on this
    frame, shared with another writer.  Every value is converted and checked before anything is
    written; the rows then go to a temporary file beside ``path`` in steps of records (the file is
    never held whole in memory) and it is renamed into place.
    """
    check_columns(frame, dataset)
    if facts is None:
        facts = dataset_text_facts(frame, dataset)
    meta = dataset_json_metadata(frame, dataset, study_oid=study_oid, metadata_version_oid=metadata_version_oid,
                                 originator=originator, source_system=source_system, created=created,
                                 define_ref=define_ref, file_oid=file_oid, db_last_modified=db_last_modified,
                                 facts=facts)
    target = Path(path)
    if ndjson is None:
        ndjson = target.suffix.lower() == ".ndjson"
    try:
        tokens = [column_token_table(frame[var.name], var, dataset.name, facts.get(var.name))
                  for var in dataset.variables]
        head = _dumps(meta)
    except ValueError as exc:  # allow_nan=False: a non-finite number slipped through
        raise fail(f"value cannot be written as JSON: {exc}", dataset.name) from exc
    records = len(frame)
    with atomic_file(target, dataset.name) as tmp, open(tmp, "wb") as handle:
        if ndjson:
            handle.write((head + "\n").encode("utf-8"))
            pieces = _rows_chunks(tokens, records, "]\n", "]\n")
        elif not records:
            handle.write((head[:-1] + ',"rows":[]}\n').encode("utf-8"))
            pieces = iter(())
        else:  # one JSON object; each row on a line of its own so files diff well
            handle.write((head[:-1] + ',"rows":[\n').encode("utf-8"))
            pieces = _rows_chunks(tokens, records, "],\n", "]\n")
        for piece in pieces:
            handle.write(piece.encode("utf-8"))
        if records and not ndjson:
            handle.write(b"]}\n")
    return target


class DatasetJsonPieces:
    """A Dataset-JSON file written from a dataset's pieces in record order (a domain finished per batch of
    subjects), ``records`` in all: the metadata from the first piece (every text variable needs its ``length``),
    then each piece's rows, checked and converted as :func:`write_dataset_json` does (a violation names its
    record in the whole dataset), so one piece is held at a time and the bytes are those of the whole."""

    def __init__(self, dataset: Dataset, handle: BinaryIO, records: int, *, study_oid: str,
                 metadata_version_oid: str, created: datetime | None = None, ndjson: bool = False) -> None:
        missing = [v.name for v in dataset.variables if column_data_type(v)[0] in ("string", "URI") and v.length is None]
        if missing:
            raise ValueError(f"{dataset.name}: written in pieces, every text variable needs a length "
                             f"({', '.join(missing)} have none)")
        self.dataset, self.handle, self.records, self.ndjson = dataset, handle, records, ndjson
        self.meta = {"study_oid": study_oid, "metadata_version_oid": metadata_version_oid, "created": created}
        self.written = 0

    def write(self, frame: pd.DataFrame, facts: Mapping[str, TextFacts] | None = None) -> None:
        """Check and write the next piece's rows (the metadata before the first)."""
        check_columns(frame, self.dataset)
        facts = facts if facts is not None else dataset_text_facts(frame, self.dataset)
        try:
            if not self.written:
                meta = dataset_json_metadata(frame, self.dataset, facts=facts, records=self.records,
                                             **self.meta)  # type: ignore[arg-type]
                self._head(meta)
            else:
                for var in self.dataset.variables:
                    if column_data_type(var)[0] in ("string", "URI"):
                        _text_length(facts_for(facts, frame[var.name].reset_index(drop=True), self.dataset.name,
                                               var.name), var, self.dataset.name)
            tokens = [column_token_table(frame[var.name], var, self.dataset.name, facts.get(var.name))
                      for var in self.dataset.variables]
        except TransportError as exc:
            if exc.where.row is not None:
                exc.where.row += self.written
            raise
        except ValueError as exc:  # allow_nan=False: a non-finite number slipped through
            raise fail(f"value cannot be written as JSON: {exc}", self.dataset.name) from exc
        last = self.written + len(frame) >= self.records
        if self.ndjson:
            chunks = _rows_chunks(tokens, len(frame), "]\n", "]\n")
        else:
            chunks = _rows_chunks(tokens, len(frame), "],\n", "]\n" if last else "],\n")
        for chunk in chunks:
            self.handle.write(chunk.encode("utf-8"))
        self.written += len(frame)

    def close(self) -> None:
        """End the file (the metadata when no piece came); the pieces must have held ``records`` rows."""
        if self.written != self.records:
            raise ValueError(f"{self.dataset.name}: {self.written} rows written in pieces, {self.records} expected")
        if not self.written:
            empty = pd.DataFrame({v.name: pd.Series(dtype="float64" if v.is_numeric else object)
                                  for v in self.dataset.variables})
            self._head(dataset_json_metadata(empty, self.dataset, **self.meta))  # type: ignore[arg-type]
        elif not self.ndjson:
            self.handle.write(b"]}\n")

    def _head(self, meta: dict[str, object]) -> None:
        try:
            head = _dumps(meta)
        except ValueError as exc:
            raise fail(f"value cannot be written as JSON: {exc}", self.dataset.name) from exc
        if self.ndjson:
            self.handle.write((head + "\n").encode("utf-8"))
        elif not self.records:
            self.handle.write((head[:-1] + ',"rows":[]}\n').encode("utf-8"))
        else:
            self.handle.write((head[:-1] + ',"rows":[\n').encode("utf-8"))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _dumps(obj: object) -> str:
    return _ENCODER.encode(obj)
