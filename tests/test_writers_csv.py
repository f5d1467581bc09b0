"""CSV review copies: variable order, ISO dates for numeric dates, blanks for missing, stable bytes."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.csv import write_csv


def dataset() -> Dataset:
    return Dataset("ADSL", "Subject-Level Analysis Dataset", variables=[
        Variable("USUBJID", "Unique Subject Identifier"),
        Variable("AGE", "Age", "integer"),
        Variable("TRTSDT", "Date of First Exposure to Treatment", "integer", display_format="DATE9."),
        Variable("BMIBL", "Baseline BMI", "float"),
    ])


def test_csv_has_variable_order_iso_dates_and_blank_missing(tmp_path):
    frame = pd.DataFrame({"BMIBL": [22.5, np.nan], "TRTSDT": [dt.date(2020, 1, 2), None],
                          "AGE": [34, None], "USUBJID": ["S1-001", "S1, \"two\""]})
    path = write_csv(frame, dataset(), tmp_path / "adsl.csv")
    assert path.read_text(encoding="utf-8") == (
        "USUBJID,AGE,TRTSDT,BMIBL\n"
        "S1-001,34,2020-01-02,22.5\n"
        '"S1, ""two""",,,\n'
    )
    assert write_csv(frame, dataset(), tmp_path / "again.csv").read_bytes() == path.read_bytes()


def test_csv_needs_every_variable(tmp_path):
    with pytest.raises(TransportError, match="lacks columns"):
        write_csv(pd.DataFrame({"USUBJID": ["S1-001"]}), dataset(), tmp_path / "adsl.csv")
    assert list(tmp_path.iterdir()) == []
