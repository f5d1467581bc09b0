"""``cdisc-convert validate`` on folders of XPT and Dataset-JSON: exit codes, reports, dispositions, profile."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEND_EXAMPLES, reference_file
from validate_fixtures import S1, clean_study, write_folder

from converters.cli import cli

SEND = reference_file(SEND_EXAMPLES)


def _run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def clean_xpt(tmp_path_factory) -> Path:
    return write_folder(clean_study(), tmp_path_factory.mktemp("clean") / "sdtm")


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sdtm"
    shutil.copytree(folder, target)
    return target


def test_clean_xpt_folder_passes_with_all_reports(clean_xpt, tmp_path):
    out = tmp_path / "reports"
    result = _run(str(clean_xpt), "--report-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output and "Exit 0" in result.output
    assert {p.name for p in out.iterdir() if p.name != ".cdisc-convert-output"} == {
        "report.html", "findings.xlsx", "findings.csv", "summary.csv", "findings.json"}


def test_error_fails_the_run_and_fail_on_chooses_the_level(tmp_path):
    fx = clean_study()
    fx.set("DM", 0, SEX="X")
    folder = write_folder(fx, tmp_path / "sdtm")
    result = _run(str(folder))
    assert result.exit_code == 1
    assert "CT0001" in result.output and "Exit 1" in result.output
    assert (tmp_path / "sdtm-validation" / "report.html").is_file()  # default report folder beside the data
    assert _run(str(folder), "--fail-on", "never").exit_code == 0


def test_warning_only_fails_with_fail_on_warning(tmp_path):
    fx = clean_study()
    fx.set("AE", 0, AESER="Y")  # VL0001 Warning
    folder = write_folder(fx, tmp_path / "sdtm")
    assert _run(str(folder)).exit_code == 0
    assert _run(str(folder), "--fail-on", "warning").exit_code == 1


def test_dispositions_explain_findings_and_new_ones_come_first(tmp_path):
    fx = clean_study()
    fx.set("DM", 0, SEX="X")
    folder = write_folder(fx, tmp_path / "sdtm")
    (folder / "validation-dispositions.yaml").write_text(
        "dispositions:\n"
        "  - rule: CT0001\n    dataset: DM\n    usubjid: " + S1 + "\n"
        "    reason: Sex not collected as M/F at this site; query raised\n    by: Data manager\n"
        "    date: 2026-03-01\n", encoding="utf-8")
    first = _run(str(folder))
    assert first.exit_code == 0, first.output
    doc = json.loads((tmp_path / "sdtm-validation" / "findings.json").read_text())
    finding = [f for f in doc["findings"] if f["rule"] == "CT0001"][0]
    assert finding["explained"] is True and "query raised" in finding["reason"]
    # a new defect appears: it is unexplained, new, listed first, and fails the run
    fx.set("AE", 0, AESTDTC="2025-13-01")
    write_folder(fx, folder)
    second = _run(str(folder))
    assert second.exit_code == 1
    doc = json.loads((tmp_path / "sdtm-validation" / "findings.json").read_text())
    assert doc["findings"][0]["rule"] == "DT0001" and doc["findings"][0]["new"] is True
    assert [f for f in doc["findings"] if f["rule"] == "CT0001"][0]["new"] is False


def test_bad_dispositions_file_is_a_clear_error(clean_xpt, tmp_path):
    folder = _copy(clean_xpt, tmp_path)
    (folder / "validation-dispositions.yaml").write_text(
        "dispositions:\n  - rule: CT0001\n    reason: x\n    by: y\n  - rule: XX9999\n    reason: x\n    by: y\n")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "unknown rule XX9999" in result.output and "validation-dispositions.yaml:5" in result.output


def test_dataset_json_folder_and_profile(tmp_path):
    fx = clean_study()
    folder = write_folder(fx, tmp_path / "json", fmt="json")
    result = _run(str(folder), "--profile", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Time per rule" in result.output and "Time per dataset read" in result.output


def test_folder_we_did_not_write_reports_sensibly(tmp_path):
    folder = _copy(SEND, tmp_path)
    result = _run(str(folder), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert "could not run" not in result.output
    doc = json.loads((tmp_path / "sdtm-validation" / "findings.json").read_text())
    assert {d["dataset"] for d in doc["datasets"]} == {"DM", "EX", "TS"}
    rules = {f["rule"] for f in doc["findings"]}
    assert "MD0012" in rules  # SEND DM lacks the SDTM-required SITEID and COUNTRY
    assert "TD0001" in rules  # no SSTDTC in a SEND TS


def test_missing_folder_and_empty_folder_are_clear_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["validate", str(empty)])
    assert result.exit_code == 2 and "no datasets found" in result.output


def test_a_folder_of_non_dataset_files_names_each_skipped_file_and_why(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "dm.json").write_text("{}", encoding="utf-8")
    (folder / "ae.csv").write_text("USUBJID\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "no datasets found; files skipped:" in result.output
    assert "dm.json: JSON but not Dataset-JSON (no 'datasetJSONVersion' or 'columns')" in result.output
    assert "ae.csv: not a .xpt, .json or .ndjson file" in result.output


def test_unreadable_file_is_reported_not_fatal(clean_xpt, tmp_path):
    folder = _copy(clean_xpt, tmp_path)
    (folder / "xx.xpt").write_bytes(b"not a transport file")
    result = _run(str(folder), "--fail-on", "never")
    assert result.exit_code == 0
    assert "MD0000" in result.output


def test_a_json_file_that_is_not_dataset_json_is_named_as_not_read(clean_xpt, tmp_path):
    folder = _copy(clean_xpt, tmp_path)
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    result = _run(str(folder), "--report-dir", str(tmp_path / "reports"))
    assert "Not read as datasets: 1 file(s)" in result.output
    assert "notes.json: JSON but not Dataset-JSON" in result.output


# --- exit statuses a pipeline can trust: 0 clean, 1 unexplained findings, 2 usage or input error, 3 crash ---

def test_exit_0_when_clean_and_1_when_an_unexplained_error_remains(clean_xpt, tmp_path):
    assert _run(str(clean_xpt), "--report-dir", str(tmp_path / "r0")).exit_code == 0
    fx = clean_study()
    fx.set("AE", 0, AESTDTC="2025-13-01")
    assert _run(str(write_folder(fx, tmp_path / "bad")), "--report-dir", str(tmp_path / "r1")).exit_code == 1


def test_rules_prefix_matching_no_rule_is_a_usage_error(clean_xpt, tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(clean_xpt), "--rules", "CT", "--rules", "ZZ",
                                      "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "--rules ZZ matches no rule ID" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()  # nothing ran, nothing written
    ok = CliRunner().invoke(cli, ["validate", str(clean_xpt), "--rules", "ct", "--report-dir", str(tmp_path / "r")])
    assert ok.exit_code == 0, ok.output  # prefixes are case-insensitive


def test_unknown_option_value_and_missing_folder_exit_2(clean_xpt, tmp_path):
    assert CliRunner().invoke(cli, ["validate", str(clean_xpt), "--fail-on", "sometimes"]).exit_code == 2
    assert CliRunner().invoke(cli, ["validate", str(clean_xpt), "--encoding", "ebcdic"]).exit_code == 2
    assert CliRunner().invoke(cli, ["validate", str(tmp_path / "nowhere")]).exit_code == 2


def test_encoding_option_reaches_the_reader(tmp_path):
    fx = clean_study()
    fx.set("AE", 0, AETERM="QQQQQQQQ")
    folder = write_folder(fx, tmp_path / "sdtm")
    raw = (folder / "ae.xpt").read_bytes()
    (folder / "ae.xpt").write_bytes(raw.replace(b"QQQQQQQQ", "CÉPHALÉE".encode("cp1252")))
    result = _run(str(folder), "--encoding", "cp1252", "--fail-on", "never", "--report-dir", str(tmp_path / "r"))
    assert result.exit_code == 0
    doc = json.loads((tmp_path / "r" / "findings.json").read_text())
    notice = [f for f in doc["findings"] if f["rule"] == "MD0032"]
    assert notice and "cp1252 (declared with the encoding option)" in notice[0]["message"]


def test_a_failure_while_writing_reports_leaves_the_previous_reports_whole(clean_xpt, tmp_path, monkeypatch):
    import errno

    import converters.validate.reports as reports

    out = tmp_path / "reports"
    assert _run(str(clean_xpt), "--report-dir", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_reports = reports.write_reports

    def killed(result, out_dir, formats=reports.FORMATS, title=""):
        write_reports(result, out_dir, ("json",), title)  # one report written in full ...
        page = Path(out_dir) / "report.html"
        page.write_text("<html>half a rep")  # ... the next one half ...
        raise OSError(errno.ENOSPC, "No space left on device", str(page))  # ... and the disk is full

    monkeypatch.setattr(reports, "write_reports", killed)
    fx = clean_study()
    fx.set("DM", 0, SEX="X")  # the new run's findings differ from the previous reports'
    result = _run(str(write_folder(fx, tmp_path / "changed")), "--report-dir", str(out))
    assert result.exit_code == 2 and "No space left on device" in result.output and "Traceback" not in result.output
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # the previous reports, every byte, and nothing half-written beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changed", "reports"]  # no temporary folder left


def test_internal_error_exits_3_with_a_short_message(clean_xpt, tmp_path, monkeypatch):
    import converters.validate

    def broken(*args, **kwargs):
        raise RuntimeError("forced internal error")

    monkeypatch.setenv("CDISC_CONVERT_CRASH_DIR", str(tmp_path / "crash"))
    monkeypatch.setattr(converters.validate, "validate_folder", broken)
    result = CliRunner().invoke(cli, ["validate", str(clean_xpt), "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert "internal error in validate (a bug, not your data): RuntimeError: forced internal error" in result.output
    [report] = (tmp_path / "crash").iterdir()  # the traceback goes to the crash report the message names
    assert str(report) in result.output and "RuntimeError: forced internal error" in report.read_text()
    assert not (tmp_path / "r").exists()  # nothing validated, no report folder made


def test_a_rule_that_crashes_exits_3_with_a_crash_report(clean_xpt, tmp_path, monkeypatch):
    """A broken rule must not let the run pass: its check did not happen.  Reports are still written."""
    import dataclasses

    from converters.validate import catalog

    def broken(study, ds):
        raise ZeroDivisionError("forced failure inside a rule")

    monkeypatch.setitem(catalog.REGISTRY, "CT0001", dataclasses.replace(catalog.REGISTRY["CT0001"], check=broken))
    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["validate", str(clean_xpt), "--report-dir", str(out)])
    assert result.exit_code == 3
    assert "1 rule(s) could not run" in result.output and "crash-report.txt" in result.output
    assert "Traceback" not in result.output
    crash = (out / "crash-report.txt").read_text()
    assert "CT0001: ZeroDivisionError: forced failure inside a rule" in crash and "Traceback" in crash
    assert (out / "report.html").is_file()


def test_a_truncated_file_fails_the_run_instead_of_passing_with_fewer_rows(clean_xpt, tmp_path):
    folder = _copy(clean_xpt, tmp_path)
    raw = (folder / "ae.xpt").read_bytes()
    (folder / "ae.xpt").write_bytes(raw[:len(raw) - 150])
    result = _run(str(folder), "--report-dir", str(tmp_path / "r"))
    assert result.exit_code == 1 and "MD0030" in result.output
