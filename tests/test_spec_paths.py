"""Paths in a study's specs stay inside the study: ``..`` out, absolute paths and symlinks out are refused."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from converters.errors import Location, SpecError
from converters.sdtm.study import build_study
from converters.spec.paths import check_folder_entries, check_form_name, check_study_path, study_root
from sdtm_fixtures import write_tiny_study

WHERE = Location("study.yaml", 3)


def test_the_study_root_of_a_project_layout_is_the_project(tmp_path):
    assert study_root(tmp_path / "mappings" / "s1") == tmp_path.resolve()
    assert study_root(tmp_path / "elsewhere" / "s1") == (tmp_path / "elsewhere" / "s1").resolve()


def test_a_relative_path_inside_the_root_is_accepted(tmp_path):
    base = tmp_path / "mappings" / "s1"
    got = check_study_path("../../examples/s1/raw", base, tmp_path, "raw.folder", WHERE)
    assert got == (tmp_path / "examples" / "s1" / "raw").resolve()


@pytest.mark.parametrize("text", ["../../../etc", "raw/../../../../x", "/etc", "C:\\data\\raw"])
def test_paths_leading_out_or_absolute_are_refused_with_file_and_line(tmp_path, text):
    with pytest.raises(SpecError) as caught:
        check_study_path(text, tmp_path / "mappings" / "s1", tmp_path, "raw.folder", WHERE)
    assert caught.value.where == WHERE and "raw.folder" in caught.value.message


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "project"
    (root / "mappings" / "s1").mkdir(parents=True)
    os.symlink(outside, root / "mappings" / "s1" / "raw")
    with pytest.raises(SpecError, match="leads outside the study folder"):
        check_study_path("raw", root / "mappings" / "s1", root, "raw.folder", WHERE)


@pytest.mark.parametrize("name", ["../ae", "raw/ae", "..\\ae", "/etc/passwd", "..", ""])
def test_form_names_with_folder_parts_are_refused(name):
    with pytest.raises(SpecError, match="is not a raw form name"):
        check_form_name(name, "source", WHERE)


@pytest.mark.parametrize("name", ["ae", "lab_chem", "AE-log 2", "ex.v2"])
def test_plain_form_names_are_accepted(name):
    assert check_form_name(name, "source", WHERE) == name


def test_a_raw_file_linking_out_of_the_raw_folder_is_refused(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "secret.csv").write_text("A\n1\n")
    (tmp_path / "raw" / "in.csv").write_text("A\n1\n")
    os.symlink(tmp_path / "raw" / "in.csv", tmp_path / "raw" / "same.csv")  # inside: fine
    check_folder_entries(tmp_path / "raw")
    os.symlink(tmp_path / "secret.csv", tmp_path / "raw" / "ae.csv")
    with pytest.raises(SpecError, match="ae.csv is a link to .*secret.csv, outside the raw folder"):
        check_folder_entries(tmp_path / "raw")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_build_refuses_a_raw_folder_outside_the_study(tmp_path):
    mappings = write_tiny_study(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    _edit(mappings / "study.yaml", "raw: {folder: raw}", "raw: {folder: ../elsewhere}")
    with pytest.raises(SpecError, match="raw.folder '../elsewhere' leads outside the study folder") as caught:
        build_study(mappings)
    assert caught.value.where.file == str(mappings / "study.yaml") and caught.value.where.line == 3


def test_the_build_refuses_a_spec_source_that_is_a_path(tmp_path):
    mappings = write_tiny_study(tmp_path)
    _edit(mappings / "sdtm" / "ae.yaml", "source: ae", "source: ../raw/ae")
    with pytest.raises(SpecError, match="source '../raw/ae' is not a raw form name") as caught:
        build_study(mappings)
    assert caught.value.where.file.endswith("ae.yaml") and caught.value.where.line == 2


def test_the_build_refuses_a_study_yaml_date_source_form_that_is_a_path(tmp_path):
    mappings = write_tiny_study(tmp_path)
    _edit(mappings / "study.yaml", "study_end: {form: dm,", "study_end: {form: ../../dm,")
    with pytest.raises(SpecError, match="study_end form '../../dm' is not a raw form name") as caught:
        build_study(mappings)
    assert caught.value.where.line == 20


def test_the_build_refuses_a_raw_file_linking_out(tmp_path):
    mappings = write_tiny_study(tmp_path)
    (tmp_path / "secret.csv").write_text((mappings / "raw" / "ae.csv").read_text())
    (mappings / "raw" / "ae.csv").unlink()
    os.symlink(tmp_path / "secret.csv", mappings / "raw" / "ae.csv")
    with pytest.raises(SpecError, match="outside the raw folder"):
        build_study(mappings)
