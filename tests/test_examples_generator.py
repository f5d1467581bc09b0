"""The example-study generator: committed files are its output, it is deterministic, it scales linearly."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from converters.examples import STUDIES, generate

ROOT = Path(__file__).resolve().parents[1]
DATE = re.compile(r"^((\d{2}|UN)-(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|UNK)-\d{4})?$")
TIME = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d)?$")


@pytest.fixture(scope="module", params=sorted(STUDIES))
def generated(request, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(request.param)
    generate(request.param, out)
    return request.param, out


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.csv"))


def test_committed_files_are_the_generator_output(generated):
    study, out = generated
    committed = ROOT / "examples" / study
    assert _files(out) == _files(committed)
    for name in _files(out):
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name


def test_same_seed_same_bytes_and_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate("carnk-sclc", a, subjects=150, seed=7)
    generate("carnk-sclc", b, subjects=150, seed=7)
    generate("carnk-sclc", c, subjects=150, seed=8)
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in _files(a))
    assert (a / "raw" / "ae.csv").read_bytes() != (c / "raw" / "ae.csv").read_bytes()


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_row_counts_scale_linearly(study, tmp_path):
    small = generate(study, tmp_path / "s", subjects=300)
    large = generate(study, tmp_path / "l", subjects=600)
    for form, rows in small.items():
        assert 1.6 < large[form] / rows < 2.4, form


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_enrolled_count_is_the_requested_size(study, tmp_path):
    generate(study, tmp_path, subjects=97)
    enrol = pd.read_csv(tmp_path / "raw" / "enrol.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    assert (enrol["ELIGYN"] == "Y").sum() == 97
    assert (enrol["ELIGYN"] == "N").sum() > 0          # screen failures come on top


def test_study_a_eligibility_form_is_cp1252_with_accents():
    raw = (ROOT / "examples" / "carnk-sclc" / "raw" / "ie.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "Núñez" in text or "Prüfarzt" in text or "Excepción" in text


def _read(study: str, form: str) -> pd.DataFrame:
    enc = "cp1252" if (study, form) == ("carnk-sclc", "ie") else "utf-8"
    return pd.read_csv(ROOT / "examples" / study / "raw" / f"{form}.csv", dtype=str, keep_default_na=False,
                       encoding=enc)


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_dates_and_times_follow_crf_conventions_except_the_deliberate_problems(study):
    problems = pd.read_csv(ROOT / "examples" / study / "expected" / "problems.csv", dtype=str)
    bad = {(p.file, int(p.row), p.column) for p in problems.itertuples() if p.problem == "impossible_date"}
    partial = 0
    for path in sorted((ROOT / "examples" / study / "raw").glob("*.csv")):
        frame = _read(study, path.stem)
        for col in frame.columns:
            if col.endswith("DAT"):
                full = frame[col].str.match(r"^\d{2}-[A-Z]{3}-\d{4}$")
                real = pd.to_datetime(frame[col].where(full), format="%d-%b-%Y", errors="coerce").notna()
                ok = frame[col].str.match(DATE) & (real | ~full)
                wrong = {(path.name, i + 1, col) for i in frame.index[~ok]}
                assert wrong == {b for b in bad if b[0] == path.name and b[2] == col}, (path.name, col)
                partial += frame[col].str.startswith("UN").sum()
            elif col.endswith("TIM"):
                assert frame[col].str.match(TIME).all(), (path.name, col)
    assert partial > 0


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_some_subjects_have_several_races_and_every_subject_is_in_the_enrolment_form(study):
    dm = _read(study, "dm")
    boxes = dm[["RACE_AMIND", "RACE_ASIAN", "RACE_BLACK", "RACE_NHPI", "RACE_WHITE", "RACE_OTH"]].astype(int)
    if study == "carnk-sclc":
        assert (boxes.sum(axis=1) > 1).any()
    assert set(dm["SUBJID"]) == set(_read(study, "enrol")["SUBJID"])


def test_expected_subjects_agree_with_the_expected_cohorts():
    for study in STUDIES:
        subjects = pd.read_csv(ROOT / "examples" / study / "expected" / "subjects.csv", dtype=str,
                               keep_default_na=False)
        cohorts = pd.read_csv(ROOT / "examples" / study / "expected" / "cohorts.csv")
        treated = subjects[subjects["STATUS"] == "TREATED"]
        assert cohorts["TREATED"].sum() == len(treated)
        assert cohorts["DLT_EVENTS"].sum() == treated["DLT_COUNT"].astype(int).sum()
        assert cohorts["SUBJECTS_WITH_DLT"].sum() == (treated["DLT_COUNT"].astype(int) > 0).sum()


def test_generate_command_writes_a_study(tmp_path):
    from click.testing import CliRunner

    from converters.cli import cli
    result = CliRunner().invoke(cli, ["generate", "cll1-aml", "--out", str(tmp_path), "--subjects", "12",
                                      "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "raw/ae.csv" in result.output
    assert (tmp_path / "expected" / "subjects.csv").exists()


def test_generate_command_refuses_a_negative_seed_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    from converters.cli import cli
    result = CliRunner().invoke(cli, ["generate", "cll1-aml", "--out", str(tmp_path), "--seed", "-1"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Invalid value for '--seed'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "raw").exists()
