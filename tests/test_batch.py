"""The SDTM build per batch of subjects: the same bytes whatever the batch size (docs/scale.md)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_fixtures import differing_files, write_unbatched
from click.testing import CliRunner

from converters.cli import cli
from converters.engine.batches import join_pieces, partition_raw, subject_forms
from converters.readers.raw import RawSource
from converters.shipped import study_mappings, study_raw
from converters.spec.study import StudyDefinition


def raw_form(name: str, frame: pd.DataFrame) -> RawSource:
    return RawSource(name, Path(f"{name}.csv"), frame.assign(__row__=range(1, len(frame) + 1)))


def study_of(pattern: str = "{STUDYID}-{SUBJID}") -> StudyDefinition:
    study = StudyDefinition.__new__(StudyDefinition)
    study.studyid, study.usubjid_pattern = "S1", pattern
    return study


def test_subject_forms_hold_every_field_of_the_usubjid_pattern():
    raw = {"ae": raw_form("ae", pd.DataFrame({"SUBJID": ["1"]})), "sites": raw_form("sites", pd.DataFrame({"SITE": ["A"]}))}
    assert subject_forms(study_of(), raw) == ["ae"]
    assert subject_forms(study_of("{STUDYID}-{SITEID}-{SUBJID}"), raw) == []


def test_batches_take_subjects_in_usubjid_order_and_keep_each_subject_whole():
    ae = pd.DataFrame({"SUBJID": ["3", "1", "2", "1", None, "3", "4"], "AETERM": list("abcdefg")})
    sites = pd.DataFrame({"SITE": ["A", "B"]})
    raw = {"ae": raw_form("ae", ae), "sites": raw_form("sites", sites)}
    batches = partition_raw(study_of(), dict(raw), 2)
    assert [b["ae"].frame["SUBJID"].fillna("-").tolist() for b in batches] == [["1", "2", "1", "-"], ["3", "3", "4"]]
    assert all(b["sites"] is raw["sites"] for b in batches)  # a form without the subject fields: whole in each
    pd.testing.assert_frame_equal(join_pieces(batches)["ae"].frame, raw["ae"].frame)


def test_partition_gives_up_the_forms_it_splits():
    raw = {"ae": raw_form("ae", pd.DataFrame({"SUBJID": ["1", "2"]}))}
    partition_raw(study_of(), raw, 1)
    assert raw == {}  # the pieces are the only copy


@pytest.mark.slow
@pytest.mark.parametrize("study", ["carnk-sclc", "cll1-aml"])
def test_every_sdtm_file_is_the_same_whatever_the_batch_size(study, tmp_path):
    expected = write_unbatched(study, tmp_path / "whole")
    out = tmp_path / "batched"
    result = CliRunner().invoke(cli, ["sdtm", str(study_mappings(study)), "--raw", str(study_raw(study)),
                                      "--out", str(out), "--batch-subjects", "7"])
    assert result.exit_code == 0, result.output
    assert "batch 2 of" in result.output  # it really ran in batches
    assert differing_files(expected, out) == []


def test_batch_subjects_must_be_positive(tmp_path):
    result = CliRunner().invoke(cli, ["sdtm", str(study_mappings("carnk-sclc")), "--out", str(tmp_path / "o"),
                                      "--batch-subjects", "0"])
    assert result.exit_code == 2 and "--batch-subjects" in result.output


def test_notes_of_the_batches_are_told_once_with_their_counts_added():
    from converters.engine.sdtm import merge_notes

    assert merge_notes(["24 record(s) at visits not in the plan", "kept", "36 record(s) at visits not in the plan",
                        "kept"]) == ["60 record(s) at visits not in the plan", "kept"]
