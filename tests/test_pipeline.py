"""The stage registry of `run`: stages in order, and outside stages that plug in by import path."""
from __future__ import annotations

from converters.pipeline import STAGES, extensions
from converters.pipeline.stages import stage


def test_the_stages_run_in_the_order_the_issue_names():
    assert [s.name for s in STAGES] == ["sdtm", "adam", "define", "validate", "package"]
    assert all(s.writes for s in STAGES)


def test_an_outside_stage_is_available_only_when_its_function_is_installed(monkeypatch):
    monkeypatch.setattr(extensions, "ADAM_BUILDER", "converters.no_such_package.adam:build_adam")
    assert not stage("adam").available()
    monkeypatch.setattr(extensions, "ADAM_BUILDER", "converters.pipeline.extensions:no_such_function")
    assert not stage("adam").available()
    monkeypatch.setattr(extensions, "ADAM_BUILDER", "converters.pipeline.extensions:load")
    assert stage("adam").available()
    monkeypatch.setattr(extensions, "DEFINE_WRITER", lambda folder, *, created: [])
    assert stage("define").available()


def test_our_own_stages_are_always_available():
    assert all(stage(name).available() for name in ("sdtm", "validate", "package"))


def test_run_refuses_a_folder_that_is_not_a_package_before_any_work(tmp_path):
    from click.testing import CliRunner

    from converters.cli import cli
    from converters.shipped import study_mappings

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(study_mappings("carnk-sclc")), "--out", str(out)])
    assert result.exit_code == 2
    assert "not a package cdisc-convert wrote" in result.output
    assert "[1/5]" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_broken_study_yaml_stops_run_without_leaving_folders(tmp_path):
    from click.testing import CliRunner

    from converters.cli import cli

    mappings = tmp_path / "mappings" / "broken"
    mappings.mkdir(parents=True)
    (mappings / "study.yaml").write_text("study: {studyid: X}\ndata_cutoff: 31-12-2025\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(mappings), "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 2
    assert "data_cutoff" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mappings"]
