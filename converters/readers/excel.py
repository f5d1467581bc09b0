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
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from converters.errors import DataError, Location
from converters.readers.raw import RawSource, finish_frame, form_name, objects_to_text


#: Most stored cells read from one sheet; past it the form is refused (save it as CSV instead).
MAX_CELLS = 20_000_000
#: Excel's own sheet limits: a sheet declaring more is damaged or hostile.
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384


def read_excel(path: Path, *, sheet: str | int | None = None, name: str | None = None) -> RawSource:
    """Read one sheet of a workbook into a :class:`RawSource` (see the module notes)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError,
            zlib.error, SyntaxError, NotImplementedError, IndexError, AttributeError) as exc:
        raise DataError(f"cannot open the workbook: {_reason(exc)}", Location(file=str(path)),
                        hint="save the export as an .xlsx workbook (not .xls, not password-protected)") from exc
    try:
        ws = _sheet(book, sheet, path)
        check_dimensions(ws, path)
        cells = read_cells(ws, path)
    finally:
        book.close()
    return cells_to_source(cells, path, name or form_name(path))


def check_dimensions(ws, path: Path) -> None:
    """Refuse a sheet whose declared size is past Excel's limits, before any row is read.

    The declaration is not trusted further: rows are streamed and only stored cells are kept, so a
    tiny file declaring (or holding) one far cell costs nothing.
    """
    try:
        rows, columns = ws.max_row or 0, ws.max_column or 0
    except (ValueError, TypeError, AttributeError):
        return
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise DataError(f"sheet {ws.title!r} declares {rows:,} rows x {columns:,} columns, past Excel's limits",
                        Location(file=str(path)), hint="the workbook is damaged; save the export again")


def read_cells(ws, path: Path) -> dict[int, dict[int, object]]:
    """The sheet's stored values: sheet row number -> {column number: value}, only rows holding a value."""
    cells: dict[int, dict[int, object]] = {}
    count, number = 0, 0
    try:
        ws.reset_dimensions()  # stream what is stored; never pad to a declared (possibly huge) size
        for number, row in enumerate(ws.iter_rows(), start=1):
            values = {cell.column: cell.value for cell in row if cell.value is not None}
            if values:
                cells[number] = values
                count += len(values)
                if count > MAX_CELLS:
                    raise DataError(f"sheet {ws.title!r} holds more than {MAX_CELLS:,} cells", Location(
                        file=str(path), row=number), hint="save this form as CSV; it reads faster and lighter")
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, OSError, zlib.error, SyntaxError,
            AttributeError, IndexError, NotImplementedError) as exc:
        after = f"after sheet row {number}" if number else "at its start"
        raise DataError(f"sheet {ws.title!r} is damaged {after}: {_reason(exc)}",
                        Location(file=str(path)), hint="open the workbook in Excel and save it again, "
                                                       "or export the form as CSV") from exc
    return cells


def cells_to_source(cells: dict[int, dict[int, object]], path: Path, name: str) -> RawSource:
    """The raw frame from stored cells: first row with a non-blank value is the header, rows numbered below it."""
    head = next((number for number, values in cells.items()
                 if any(not isinstance(v, str) or v.strip() for v in values.values())), None)
    if head is None:
        raise DataError("the sheet is empty", Location(file=str(path)),
                        hint="export the form again with its header row")
    columns = sorted({col for values in cells.values() for col in values})
    body = [number for number in cells if number > head]
    header = objects_to_text(pd.Series([cells[head].get(col) for col in columns], dtype=object))
    for col, title in zip(columns, header.tolist()):
        if title is pd.NA or not str(title).strip():
            rows = [number for number in body if col in cells[number] and str(cells[number][col]).strip()]
            if rows:
                from openpyxl.utils import get_column_letter

                letter = get_column_letter(col)
                raise DataError(f"column {letter} has no name in the header (sheet row {head}) but holds a value "
                                f"in sheet row {rows[0]}", Location(file=str(path), row=rows[0] - head, column=letter),
                                hint="give every column with values a name in the export, or clear the stray cell")
    data = {pos: objects_to_text(pd.Series([cells[number].get(col) for number in body], dtype=object))
            for pos, col in enumerate(columns)}
    text = pd.DataFrame(data, index=pd.RangeIndex(len(body)))
    text = text.set_axis(header.astype(object).fillna("").tolist(), axis=1)
    return finish_frame(text, path, name, rows=np.asarray(body, dtype=np.int64) - head)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _sheet(book, sheet: str | int | None, path: Path):
    names = book.sheetnames
    if not book.worksheets:
        raise DataError("the workbook has no worksheet", Location(file=str(path)),
                        hint="export the form again as an .xlsx workbook with its data on the first sheet")
    if sheet is None:
        return book.worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return book.worksheets[sheet]
    if isinstance(sheet, str) and sheet in names:
        return book[sheet]
    raise DataError(f"the workbook has no sheet {sheet!r}", Location(file=str(path)),
                    hint="sheets: " + ", ".join(names) + " (or a 0-based sheet number)")
