"""Exit status is the same for every command: 2 user error (no traceback), 3 a bug (one line + crash report)."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from converters.cli import cli
from converters.crash import CRASH_DIR_ENV
from sdtm_fixtures import write_tiny_study


def test_an_unexpected_exception_exits_3_with_one_line_and_a_crash_report(tmp_path, monkeypatch):
    import converters.sdtm.output as output

    def broken(*args, **kwargs):
        raise KeyError("a bug\nover two lines")

    monkeypatch.setattr(output, "_write_into", broken)
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path / "crashes"))
    study = write_tiny_study(tmp_path)
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    last = lines[-1]
    assert last.startswith("internal error in sdtm (a bug, not your data): KeyError: ")
    assert "crash report: " in last
    reports = list((tmp_path / "crashes").iterdir())
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "broken" in text and str(reports[0]) in last
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_user_error_exits_2_and_never_1(tmp_path):
    result = CliRunner().invoke(cli, ["sdtm", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_usage_error_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["sdtm", str(tmp_path)])
    assert result.exit_code == 2 and "Missing option '--out'" in result.output


def test_the_crash_report_folder_falls_back_when_it_cannot_be_written(tmp_path, monkeypatch):
    from converters.crash import write_crash_report

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(CRASH_DIR_ENV, str(blocker / "sub"))
    assert write_crash_report(RuntimeError("x"), ["cdisc-convert"]) is None
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path))
    assert Path(write_crash_report(RuntimeError("x"), ["cdisc-convert"])).is_file()


def test_sdtm_quiet_prints_nothing_on_success_but_still_names_a_user_error(tmp_path):
    study = write_tiny_study(tmp_path)
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0 and result.output == ""
    assert (tmp_path / "out" / "dm.xpt").is_file()
    result = CliRunner().invoke(cli, ["sdtm", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2"), "--quiet"])
    assert result.exit_code == 2 and "nowhere" in result.output
