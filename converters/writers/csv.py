"""Plain CSV copies of datasets, for review in a spreadsheet (not a submission format).

Columns in variable order with the variable names as header; text as is, missing as an empty
field; numbers in their shortest exact form; numeric dates as ISO 8601 text (what a reviewer
reads), the same text Dataset-JSON carries.  UTF-8, ``\\n`` line ends, written atomically, and
byte-identical for identical input.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from converters.metadata.model import Dataset
from converters.writers.dataset_json import column_values
from converters.writers.transport import check_columns, write_bytes_atomically


def write_csv(frame: pd.DataFrame, dataset: Dataset, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as CSV in the variable order of ``dataset``; the path written."""
    check_columns(frame, dataset)
    columns = []
    for var in dataset.variables:
        values = column_values(frame[var.name], var, dataset.name)
        columns.append(["" if v is None else v for v in values])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dataset.variable_names)
    writer.writerows(zip(*columns))
    return write_bytes_atomically(path, buffer.getvalue().encode("utf-8"), dataset.name)
