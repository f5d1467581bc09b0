"""SAS datasets (``.sas7bdat``) read as text with pyreadstat.

* Character variables are kept as is (whitespace-only becomes missing).
* Numeric variables with a SAS date, datetime or time format (``DATE9.``,
  ``DATETIME20.``, ``TIME8.``, ``E8601DA.`` ...) become ISO 8601 text
  (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS``, ``HH:MM:SS``; fractions of a second
  dropped, as SAS displays them).  The conversion is done here from the numbers and
  the formats, not by pyreadstat, so it is the same for SAS7BDAT, XPT and Dataset-JSON.
* Other numbers: whole values without ``.0`` (``7``), others as the shortest decimal
  that reads back to the same double (``12.75``); missing values (``.``, ``.A``-``.Z``)
  become missing.
* ``__row__`` is the record number.  ``encoding`` overrides the file's own
  declared encoding; ``RawSource.encoding`` reports the one used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from converters.errors import DataError, Location
from converters.readers.raw import RawSource, finish_frame, form_name, frame_to_text


def read_sas7bdat(path: Path, *, encoding: str | None = None, name: str | None = None) -> RawSource:
    """Read a SAS7BDAT dataset into a :class:`RawSource` (see the module notes)."""
    import pyreadstat

    path = Path(path)
    try:
        frame, meta = pyreadstat.read_sas7bdat(str(path), disable_datetime_conversion=True, encoding=encoding or None)
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError and OSError
        raise DataError(f"cannot read the SAS dataset: {exc}", Location(file=str(path)),
                        hint="check that it is a SAS7BDAT file; if text looks garbled, declare its encoding") from exc
    formats = dict(getattr(meta, "original_variable_types", None) or {})
    text = frame_to_text(frame, formats, path)
    used = encoding or getattr(meta, "file_encoding", None)
    return finish_frame(text, path, name or form_name(path), rows=np.arange(1, len(text) + 1), encoding=used)
