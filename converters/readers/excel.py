"""Excel workbooks (``.xlsx``, ``.xlsm``) read as text, one sheet per form.

The sheet (first by default) is read with openpyxl in read-only mode with the
cached cell values (formulas give their last computed value).  openpyxl is used
directly rather than through ``pandas.read_excel`` so that empty rows keep their
place and row numbers stay true to the sheet.

* The first non-empty row is the header; ``__row__`` 1 is the row below it (so
  ``__row__`` + header row number = the sheet's row number).  Empty rows are dropped.
* Cells become text: strings as is (not trimmed; whitespace-only is missing);
  whole numbers without ``.0`` (``7``), other numbers as their shortest decimal;
  date cells as ``YYYY-MM-DD``, or ``YYYY-MM-DDTHH:MM:SS`` when the time is not
  midnight; time cells as ``HH:MM:SS``; booleans as ``TRUE``/``FALSE``; error cells
  as their code (``#N/A``), so nothing is dropped silently.
* Unnamed columns with no values (formatted but empty cells) are ignored.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import DataError, Location
from converters.readers.raw import RawSource, finish_frame, form_name, objects_to_text


def read_excel(path: Path, *, sheet: str | int | None = None, name: str | None = None) -> RawSource:
    """Read one sheet of a workbook into a :class:`RawSource` (see the module notes)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"cannot open the workbook: {exc}", Location(file=str(path)),
                        hint="save the export as an .xlsx workbook (not .xls, not password-protected)") from exc
    try:
        ws = _sheet(book, sheet, path)
        rows = list(ws.iter_rows(values_only=True))
    finally:
        book.close()
    table = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    filled = table.notna() & (table.astype(str).apply(lambda c: c.str.strip()) != "") if len(table) else table
    nonempty = np.flatnonzero(filled.any(axis=1).to_numpy()) if len(table) else np.array([], dtype=int)
    if not len(nonempty):
        raise DataError("the sheet is empty", Location(file=str(path)),
                        hint="export the form again with its header row")
    head = int(nonempty[0])
    header = objects_to_text(table.iloc[head].astype(object)).astype(object).fillna("").tolist()
    body = table.iloc[head + 1:].reset_index(drop=True)
    text = pd.DataFrame({pos: objects_to_text(body[pos]) for pos in body.columns}, index=body.index)
    text = text.set_axis(header, axis=1)
    return finish_frame(text, path, name or form_name(path), rows=np.arange(1, len(text) + 1))


def _sheet(book, sheet: str | int | None, path: Path):
    names = book.sheetnames
    if sheet is None:
        return book.worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return book.worksheets[sheet]
    if isinstance(sheet, str) and sheet in names:
        return book[sheet]
    raise DataError(f"the workbook has no sheet {sheet!r}", Location(file=str(path)),
                    hint="sheets: " + ", ".join(names) + " (or a 0-based sheet number)")
