"""study.yaml's shape is checked by its pydantic model (converters.spec.schema.StudyFile, the model the editor schema
comes from): every problem names study.yaml, its line and a hint, as the hand-written checks did."""
from __future__ import annotations

import pytest

from converters.errors import SpecError
from converters.spec.study import load_study

BASE = "study: {studyid: X}\n"


def _error(tmp_path, text: str) -> SpecError:
    (tmp_path / "study.yaml").write_text(BASE + text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(tmp_path)
    assert info.value.where.file == str(tmp_path / "study.yaml")
    return info.value


def test_a_misspelt_key_gets_the_close_key_of_its_own_section(tmp_path) -> None:
    error = _error(tmp_path, "usubjid:\n  patern: '{STUDYID}-{SUBJID}'\n")
    assert error.where.line == 3 and "usubjid: unknown key 'patern'" in error.message
    assert error.hint == "did you mean pattern?"


def test_an_unknown_key_with_no_close_one_lists_what_the_place_takes(tmp_path) -> None:
    error = _error(tmp_path, "usubjid: {join: {source: dm, by: SUBJID, columns: SITEID, how: left}}\n")
    assert error.where.line == 2 and "usubjid.join: unknown key 'how'" in error.message
    assert error.hint is not None and "source, by, columns" in error.hint


def test_a_missing_key_of_a_table_row_names_the_row(tmp_path) -> None:
    error = _error(tmp_path, "arms:\n  - {ARMCD: A, ARM: Arm A}\n  - {ARM: Arm B}\n")
    assert error.where.line == 4 and "arms: each entry needs 'ARMCD'" in error.message


def test_a_value_of_the_wrong_kind_says_what_it_must_be(tmp_path) -> None:
    error = _error(tmp_path, "study_end: {form: ds, column: DSDAT, pick: latest}\n")
    assert error.where.line == 2 and "pick 'latest' must be one of 'first' or 'last'" in error.message


def test_numbers_written_where_text_is_meant_are_read_as_text(tmp_path) -> None:
    (tmp_path / "study.yaml").write_text(BASE + "arms:\n  - {ARMCD: 1, ARM: 10 mg}\n", encoding="utf-8")
    assert [arm.armcd for arm in load_study(tmp_path).arms] == ["1"]
