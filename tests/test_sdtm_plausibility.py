"""Implausible data is a question, not a pass: dates after the cut-off or in the future, ages outside 0-120 and
infinite numbers are logged with their raw file, row, column and value; the record is kept as collected where
the standard allows it (an infinite number cannot be stored, so it becomes null)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from converters.sdtm.plausibility import IMPLAUSIBLE, earliest_day
from converters.sdtm.rejections import NULLED
from converters.sdtm.study import build_study
from sdtm_fixtures import write_tiny_study


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def study(tmp_path) -> Path:
    mappings = write_tiny_study(tmp_path)
    _edit(mappings / "study.yaml", "raw: {folder: raw}", 'raw: {folder: raw}\ndata_cutoff: "2025-06-30"')
    return mappings


def entries(build, action: str) -> pd.DataFrame:
    log = build.log.frame()
    return log[log["action"].eq(action)].reset_index(drop=True)


def test_a_date_after_the_data_cutoff_is_logged_and_kept(study):
    _edit(study / "raw" / "ae.csv", "Headache,Headache,N,09-JAN-2025,,10-JAN-2025", "Headache,Headache,N,09-JAN-2025,,"
          "10-JUL-2025")
    build = build_study(study, builtins=False)
    found = entries(build, IMPLAUSIBLE)
    assert found[["domain", "source", "row", "column", "value"]].astype(str).values.tolist() == [
        ["AE", "ae.csv", "1", "ENDAT", "10-JUL-2025"]]
    assert found.loc[0, "reason"] == "AEENDTC: date after the data cut-off 2025-06-30"
    ae = next(d for d in build.domains if d.name == "AE").frame
    assert "2025-07-10" in set(ae["AEENDTC"])  # kept as collected


def test_a_partial_date_counts_from_its_earliest_day(study):
    _edit(study / "raw" / "ae.csv", "Nausea,Nausea,maybe,UN-MAR-2025", "Nausea,Nausea,maybe,UN-JUL-2025")
    reasons = entries(build_study(study, builtins=False), IMPLAUSIBLE)["reason"].tolist()
    assert reasons == ["AESTDTC: date after the data cut-off 2025-06-30"]
    assert earliest_day(pd.Series(["2025-06", "2025", "2025-06-30T10:00", None])).tolist()[:3] == [
        "2025-06-01", "2025-01-01", "2025-06-30"]


def test_a_date_in_the_future_is_logged_without_a_cutoff(tmp_path):
    mappings = write_tiny_study(tmp_path)
    future = date.today().replace(year=date.today().year + 2).strftime("%d-%b-%Y").upper()
    _edit(mappings / "raw" / "ae.csv", "Cough,Cough,N,12-JAN-2025", f"Cough,Cough,N,{future}")
    _edit(mappings / "raw" / "ae.csv", "TINY-1,01,099,", "TINY-1,01,001,")
    found = entries(build_study(mappings, builtins=False), IMPLAUSIBLE)
    assert found["reason"].tolist() == ["AESTDTC: date in the future"] and found["value"].tolist() == [future]


@pytest.mark.parametrize("age", ["-1", "121", "430"])
def test_an_age_outside_0_to_120_years_is_logged_and_kept(study, age):
    _edit(study / "raw" / "dm.csv", "30-JUN-2025,54,1", f"30-JUN-2025,{age},1")
    build = build_study(study, builtins=False)
    found = entries(build, IMPLAUSIBLE)
    assert found[["domain", "row", "column", "value", "reason"]].astype(str).values.tolist() == [
        ["DM", "1", "AGE", age, "AGE: outside 0-120 years"]]
    dm = next(d for d in build.domains if d.name == "DM").frame
    assert float(age) in set(dm["AGE"])


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e400"])
def test_an_infinite_number_is_logged_and_set_to_null(study, text):
    _edit(study / "raw" / "ex.csv", "TINY-1,01,001,10-JAN-2025,5", f"TINY-1,01,001,10-JAN-2025,{text}")
    build = build_study(study, builtins=False)
    found = entries(build, NULLED)
    assert [text, "EXDOSE: infinite number (no transport format holds it)"] in \
        found[["value", "reason"]].astype(str).values.tolist()
    ex = next(d for d in build.domains if d.name == "EX").frame
    assert not pd.Series(ex["EXDOSE"], dtype="float64").abs().eq(float("inf")).any()


def test_plausible_data_logs_nothing(study):
    assert entries(build_study(study, builtins=False), IMPLAUSIBLE).empty
