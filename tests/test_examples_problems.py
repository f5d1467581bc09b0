"""Each deliberate data problem sits exactly where expected/problems.csv says (rows are 1-based data rows)."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ["carnk-sclc", "cll1-aml"]
KINDS = {"impossible_date", "unknown_subject", "duplicate", "unmapped_code", "stop_before_start"}


def _problems(study: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "examples" / study / "expected" / "problems.csv", dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=None)
def _study(study: str) -> dict:
    return yaml.safe_load((ROOT / "mappings" / study / "study.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _raw(study: str, file: str) -> pd.DataFrame:
    study_yaml = _study(study)
    enc = study_yaml["raw"]["encodings"].get(file.removesuffix(".csv"), "utf-8")
    return pd.read_csv(ROOT / "examples" / study / "raw" / file, dtype=str, keep_default_na=False, encoding=enc)


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d-%b-%Y").date()


@pytest.mark.parametrize("study", STUDIES)
def test_every_kind_of_problem_is_present(study):
    assert set(_problems(study)["problem"]) == KINDS


@pytest.mark.parametrize("study", STUDIES)
def test_each_problem_is_where_problems_csv_says(study):
    enrolled = set(_raw(study, "enrol.csv")["SUBJID"])
    for p in _problems(study).itertuples():
        frame = _raw(study, p.file)
        row = frame.iloc[int(p.row) - 1]
        if p.problem == "duplicate":
            assert p.column == "*"
            assert row.equals(frame.iloc[int(p.row) - 2]), p
            assert row["SUBJID"] == p.value
            continue
        assert row[p.column] == p.value, p
        if p.problem == "impossible_date":
            with pytest.raises(ValueError):
                _date(p.value)
        elif p.problem == "unknown_subject":
            assert p.value not in enrolled
        elif p.problem == "stop_before_start":
            start_col = p.column.replace("EN", "ST", 1)
            assert _date(row[p.column]) < _date(row[start_col])


@pytest.mark.parametrize("study", STUDIES)
def test_unmapped_codes_are_absent_from_the_study_value_maps(study):
    maps = _study(study)["value_maps"]
    known = {str(k) for table in maps.values() if isinstance(table, dict) for k in table}
    known |= {str(v) for table in maps.values() if isinstance(table, dict) for v in table.values()}
    for p in _problems(study).itertuples():
        if p.problem == "unmapped_code":
            assert p.value not in known


def test_problems_are_injected_at_any_size(tmp_path):
    from converters.examples import generate
    generate("cll1-aml", tmp_path, subjects=400, seed=3)
    problems = pd.read_csv(tmp_path / "expected" / "problems.csv", dtype=str)
    assert set(problems["problem"]) == KINDS
