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
