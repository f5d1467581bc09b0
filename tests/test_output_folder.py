"""Output folders are ours or empty: ``--out`` and ``--report-dir`` never delete a file the tool did not write.

One test per protected location (a foreign folder, the raw folder, the study folder, the current directory,
the home directory, a folder holding an input), then the marker, interrupted runs and SIGKILL/SIGTERM.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.writers.output_folder import MARKER, check_output_folder, read_marker, write_output_folder
from sdtm_fixtures import write_tiny_study


@pytest.fixture
def study(tmp_path) -> Path:
    return write_tiny_study(tmp_path)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256: what must survive a refused run."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def sdtm(study: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(out), *extra])


def refused(result) -> str:
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_folder_with_a_users_files_is_refused_and_left_alone(study, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.docx").write_bytes(b"an unrelated document")
    before = snapshot(out)
    text = refused(sdtm(study, out))
    assert "is not empty and was not written by this tool (notes.docx)" in text and "--force" in text
    assert snapshot(out) == before


@pytest.mark.parametrize("force", [False, True])
def test_the_raw_folder_is_refused_even_with_force(study, force):
    raw = study / "raw"
    before = snapshot(raw)
    text = refused(sdtm(study, raw, *(["--force"] if force else [])))
    assert "is an input of this run" in text
    assert snapshot(raw) == before


def test_the_study_folder_is_refused_even_with_force(study):
    before = snapshot(study)
    text = refused(sdtm(study, study, "--force"))
    assert "is an input of this run" in text
    assert snapshot(study) == before


def test_the_current_directory_is_refused_even_with_force(study, tmp_path, monkeypatch):
    here = tmp_path / "work"
    here.mkdir()
    (here / "report.docx").write_bytes(b"unrelated")
    monkeypatch.chdir(here)
    text = refused(sdtm(study, Path("."), "--force"))
    assert "the current directory" in text
    assert (here / "report.docx").read_bytes() == b"unrelated"


def test_the_home_directory_is_refused_even_with_force(study, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("# mine")
    monkeypatch.setenv("HOME", str(home))
    text = refused(sdtm(study, home, "--force"))
    assert "the home directory" in text
    assert (home / ".bashrc").read_text() == "# mine"


def test_a_folder_holding_an_input_is_refused_even_with_force(study, tmp_path):
    before = snapshot(tmp_path)
    text = refused(sdtm(study, tmp_path, "--force"))
    assert f"holds {study.resolve()}" in text
    assert snapshot(tmp_path) == before


def test_a_raw_folder_given_with_raw_is_protected_too(study, tmp_path):
    raw = tmp_path / "exports"
    (study / "raw").rename(raw)
    before = snapshot(raw)
    refused(sdtm(study, raw, "--raw", str(raw), "--force"))
    assert snapshot(raw) == before


def test_new_empty_and_previous_outputs_are_written(study, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sdtm(study, empty).exit_code == 0
    marker = read_marker(empty)
    assert marker is not None and marker["kind"] == "sdtm" and "dm.xpt" in marker["files"]
    first = snapshot(empty)
    assert sdtm(study, empty).exit_code == 0  # its own previous output: replaced
    assert snapshot(empty) == first
    assert sdtm(study, tmp_path / "new" / "sdtm").exit_code == 0


def test_a_users_file_put_into_a_previous_output_is_not_deleted(study, tmp_path):
    out = tmp_path / "out"
    assert sdtm(study, out).exit_code == 0
    (out / "my-review.xlsx").write_bytes(b"review notes")
    text = refused(sdtm(study, out))
    assert "holds files this tool did not write (my-review.xlsx)" in text
    assert (out / "my-review.xlsx").read_bytes() == b"review notes"


def test_force_replaces_a_foreign_folder(study, tmp_path):
    out = tmp_path / "old-output"
    out.mkdir()
    (out / "dm.xpt").write_bytes(b"from another tool")
    result = sdtm(study, out, "--force")
    assert result.exit_code == 0, result.output
    assert read_marker(out) is not None and (out / "dm.xpt").read_bytes() != b"from another tool"


def test_an_output_folder_that_is_a_file_is_refused(study, tmp_path):
    out = tmp_path / "file"
    out.write_text("keep")
    assert "is a file" in refused(sdtm(study, out))
    assert out.read_text() == "keep"


def test_a_forged_marker_from_another_tool_does_not_count(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text('{"tool": "other"}')
    (out / "a.txt").write_text("a")
    with pytest.raises(Exception, match="not written by this tool"):
        check_output_folder(out, "sdtm")


# --- validate --report-dir ---------------------------------------------------------------------------------

@pytest.fixture
def built(study, tmp_path) -> Path:
    out = tmp_path / "sdtm"
    assert sdtm(study, out).exit_code == 0
    return out


def validate(folder: Path, *extra: str):
    return CliRunner().invoke(cli, ["validate", str(folder), *extra])


def test_report_dir_with_a_users_files_is_refused(built, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "plan.pdf").write_bytes(b"plan")
    refused(validate(built, "--report-dir", str(reports)))
    assert (reports / "plan.pdf").read_bytes() == b"plan"


def test_report_dir_on_the_validated_folder_is_refused_even_with_force(built):
    before = snapshot(built)
    assert "is an input of this run" in refused(validate(built, "--report-dir", str(built), "--force"))
    assert snapshot(built) == before


def test_report_dir_is_rewritten_as_a_whole_with_a_marker(built, tmp_path):
    reports = tmp_path / "reports"
    first = validate(built, "--report-dir", str(reports))
    assert first.exit_code in (0, 1), first.output
    assert read_marker(reports)["kind"] == "validation"
    second = validate(built, "--report-dir", str(reports), "--format", "csv")
    assert second.exit_code in (0, 1), second.output
    assert sorted(p.name for p in reports.iterdir()) == [MARKER, "findings.csv", "summary.csv"]
    assert f"Reports: {reports / 'findings.csv'}" in second.output


# --- interrupted runs ----------------------------------------------------------------------------------------

def test_dead_runs_temporary_folders_are_removed_and_lookalikes_kept(tmp_path):
    out = tmp_path / "sdtm"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".sdtm.{pid}.abc123.tmp"
    stale.mkdir()
    (stale / MARKER).write_text('{"tool": "cdisc-convert", "kind": "sdtm", "state": "writing", "files": []}')
    (stale / "dm.xpt").write_bytes(b"half")
    lookalike = tmp_path / f".sdtm.{pid}.zzz999.tmp"
    lookalike.mkdir()
    (lookalike / "user.txt").write_text("not ours")
    with write_output_folder(out, "sdtm") as tmp:
        (tmp / "dm.xpt").write_bytes(b"whole")
    assert not stale.exists() and lookalike.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [lookalike.name]


def test_a_previous_output_parked_by_an_interrupted_swap_is_put_back(tmp_path):
    out = tmp_path / "sdtm"
    with write_output_folder(out, "sdtm") as tmp:
        (tmp / "dm.xpt").write_bytes(b"v1")
    os.replace(out, tmp_path / ".sdtm.old")  # killed between the two renames of the fallback swap
    with pytest.raises(RuntimeError):
        with write_output_folder(out, "sdtm"):
            raise RuntimeError("fails before the swap")
    assert (out / "dm.xpt").read_bytes() == b"v1"


def test_a_failed_write_leaves_the_previous_output_and_no_temporary_folder(tmp_path):
    out = tmp_path / "sdtm"
    with write_output_folder(out, "sdtm") as tmp:
        (tmp / "dm.xpt").write_bytes(b"v1")
    with pytest.raises(ValueError):
        with write_output_folder(out, "sdtm") as tmp:
            (tmp / "dm.xpt").write_bytes(b"v2 half")
            raise ValueError("disk full")
    assert (out / "dm.xpt").read_bytes() == b"v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]


_HANG = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import {module} as target
    real = target.{function}

    def hang(*args, **kwargs):
        result = real(*args, **kwargs)          # the files are written into the temporary folder ...
        Path(sys.argv[1]).write_text("ready")   # ... then the run is killed before the swap
        time.sleep(600)
        return result

    target.{function} = hang
    from converters.cli import main
    main(sys.argv[2:])
""")


def run_until_killed(tmp_path: Path, module: str, function: str, argv: list[str], sig: int) -> int:
    script = tmp_path / "hang.py"
    script.write_text(_HANG.format(module=module, function=function))
    ready = tmp_path / "ready"
    ready.unlink(missing_ok=True)
    import converters

    paths = [str(Path(converters.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    proc = subprocess.Popen([sys.executable, str(script), str(ready), *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_sdtm_killed_mid_write_keeps_the_previous_output(study, built, tmp_path, sig):
    before = snapshot(built)
    code = run_until_killed(tmp_path, "converters.sdtm.output", "_write_into",
                            ["sdtm", str(study), "--out", str(built)], sig)
    assert snapshot(built) == before
    if sig == signal.SIGTERM:
        assert code == 143 and temporaries(tmp_path) == []  # cleaned up at exit
    else:
        assert temporaries(tmp_path) != []  # left behind by the killed process ...
    assert sdtm(study, built).exit_code == 0
    assert temporaries(tmp_path) == []  # ... and gone after the next run
    assert snapshot(built) == before


def test_validate_killed_mid_write_keeps_the_previous_reports(built, tmp_path):
    reports = tmp_path / "reports"
    assert validate(built, "--report-dir", str(reports)).exit_code in (0, 1)
    before = snapshot(reports)
    run_until_killed(tmp_path, "converters.validate.reports", "write_reports",
                     ["validate", str(built), "--report-dir", str(reports)], signal.SIGKILL)
    assert snapshot(reports) == before
    assert validate(built, "--report-dir", str(reports)).exit_code in (0, 1)
    assert temporaries(tmp_path) == []
