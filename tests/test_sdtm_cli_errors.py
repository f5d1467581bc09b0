"""Bad input to ``cdisc-convert sdtm`` stops with a message naming the file, line, row or column: never a traceback."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from converters.cli import cli
from sdtm_fixtures import write_tiny_study


def _run(mappings: Path, out: Path, *extra: str):
    result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--out", str(out), *extra])
    assert isinstance(result.exception, SystemExit), result.exception  # no exception escaped to the user
    assert result.exit_code == 2 and "Traceback" not in result.output
    return result.output


@pytest.fixture
def study(tmp_path) -> Path:
    return write_tiny_study(tmp_path)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_missing_raw_folder_is_named(study, tmp_path):
    shutil.rmtree(study / "raw")
    assert f"raw data folder {study / 'raw'} does not exist" in _run(study, tmp_path / "out")


def test_a_raw_folder_that_is_a_file_is_named(study, tmp_path):
    shutil.rmtree(study / "raw")
    (study / "raw").write_text("not a folder")
    assert "is a file, not a folder" in _run(study, tmp_path / "out")


def test_a_study_yaml_that_cannot_be_read_is_named(study, tmp_path):
    (study / "study.yaml").write_bytes(b"\xff\xfe\x81 not text")
    assert f"{study / 'study.yaml'}: not UTF-8 text" in _run(study, tmp_path / "out")


def test_a_study_yaml_that_is_a_folder_is_named(study, tmp_path):
    (study / "study.yaml").unlink()
    (study / "study.yaml").mkdir()
    assert "study.yaml is a folder" in _run(study, tmp_path / "out")


def test_a_file_without_read_permission_is_named(study, tmp_path, monkeypatch):
    real = Path.read_text

    def refuse(self, *args, **kwargs):
        if self.name == "ae.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)
    assert f"cannot read {study / 'sdtm' / 'ae.yaml'}: Permission denied" in _run(study, tmp_path / "out")


def test_a_spec_with_a_yaml_syntax_error_is_named_with_its_line(study, tmp_path):
    _edit(study / "sdtm" / "ae.yaml", "AETERM:   {assign: TERM,", "AETERM:   {assign: TERM")
    assert f"{study / 'sdtm' / 'ae.yaml'}:8: not valid YAML" in _run(study, tmp_path / "out")


def test_a_control_character_in_a_spec_is_named_with_its_line(study, tmp_path):
    _edit(study / "sdtm" / "ae.yaml", "AETERM:   {assign: TERM,", "AETERM:   {assign: TE\x00RM,")
    assert f"{study / 'sdtm' / 'ae.yaml'}:8: not valid YAML: character #x0000 is not allowed" in \
        _run(study, tmp_path / "out")


def test_a_control_character_in_study_yaml_is_named_with_its_line(study, tmp_path):
    _edit(study / "study.yaml", "  - {VISITNUM: 2, VISIT: DAY 1,", "  - {VISITNUM: 2, VISIT: DAY\x07 1,")
    line = (study / "study.yaml").read_text(encoding="utf-8").split("\x07")[0].count("\n") + 1
    assert f"{study / 'study.yaml'}:{line}: not valid YAML: character #x0007" in _run(study, tmp_path / "out")


def test_a_spec_that_is_a_folder_is_named(study, tmp_path):
    (study / "sdtm" / "ae.yaml").unlink()
    (study / "sdtm" / "ae.yaml").mkdir()
    assert f"cannot read {study / 'sdtm' / 'ae.yaml'}" in _run(study, tmp_path / "out")


def test_an_out_folder_that_is_a_file_is_refused(study, tmp_path):
    (tmp_path / "out").write_text("a file")
    assert "is a file" in _run(study, tmp_path / "out")
    output = _run(study, tmp_path / "out" / "sdtm")
    assert f"the output folder {tmp_path / 'out' / 'sdtm'} cannot be made: {tmp_path / 'out'} is a file" in output


def test_an_out_folder_that_cannot_be_written_is_named(study, tmp_path, monkeypatch):
    import converters.writers.output_folder as output

    def refuse(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(output.tempfile, "mkdtemp", refuse)
    assert f"cannot write {tmp_path}: Permission denied" in _run(study, tmp_path / "out")


def test_a_raw_column_the_spec_reads_is_missing(study, tmp_path):
    _edit(study / "raw" / "ae.csv", ",SER,", ",SERIOUS,")
    assert f"{study / 'sdtm' / 'ae.yaml'}:10: AESER: column 'SER' is not in raw source ae" in \
        _run(study, tmp_path / "out")


def test_a_raw_column_a_study_yaml_date_source_reads_is_missing(study, tmp_path):
    _edit(study / "study.yaml", "study_end: {form: dm, column: ENDDAT}", "study_end: {form: dm, column: EOSDAT}")
    assert f"{study / 'study.yaml'}:20: study_end: column 'EOSDAT' is not in raw form dm" in \
        _run(study, tmp_path / "out")


def test_a_date_source_form_missing_from_the_raw_folder_is_named(study, tmp_path):
    _edit(study / "study.yaml", "{TAETORD: 2, start: {form: ex,", "{TAETORD: 2, start: {form: exposure,")
    assert f"{study / 'study.yaml'}:18: element_dates TAETORD 2: raw form 'exposure' not found" in \
        _run(study, tmp_path / "out")


def test_a_ragged_raw_row_is_named_with_its_row(study, tmp_path):
    with open(study / "raw" / "ae.csv", "a", encoding="utf-8") as handle:
        handle.write("TINY-1,01,001,X,Y,N,01-JAN-2025,,,,extra\n")
    assert f"{study / 'raw' / 'ae.csv'}, row 7: row has 11 fields but the header has 10" in \
        _run(study, tmp_path / "out")


def _with_arm_assignment(study: Path, columns: str) -> None:
    assignment = f"arm_assignment: {{form: dm, columns: [{columns}]}}\n"
    _edit(study / "study.yaml", "usubjid: {pattern:", assignment + "usubjid: {pattern:")
    _edit(study / "sdtm" / "dm.yaml", "{assign_ct: ARM_CD, value_map: arms}", "{derive: planned_arm}")


def test_an_arm_assignment_column_missing_from_its_raw_form_is_named(study, tmp_path):
    _with_arm_assignment(study, "ARM_CD, DOSE_LEVEL")
    _edit(study / "study.yaml", "raw_codes: [L]", "raw_codes: [[L, DL1]]")
    assert f"{study / 'study.yaml'}:4: arm_assignment: column 'DOSE_LEVEL' is not in raw form dm" in \
        _run(study, tmp_path / "out")


def test_an_arm_assignment_form_missing_from_the_raw_folder_is_named(study, tmp_path):
    _with_arm_assignment(study, "ARM_CD")
    _edit(study / "study.yaml", "{form: dm, columns: [ARM_CD]}", "{form: enrol, columns: [ARM_CD]}")
    assert f"{study / 'study.yaml'}:4: arm_assignment: raw form 'enrol' not found" in _run(study, tmp_path / "out")


def test_an_arm_assignment_form_with_a_folder_part_is_refused(study, tmp_path):
    _with_arm_assignment(study, "ARM_CD")
    _edit(study / "study.yaml", "{form: dm, columns: [ARM_CD]}", "{form: ../dm, columns: [ARM_CD]}")
    assert "arm_assignment form '../dm' is not a raw form name" in _run(study, tmp_path / "out")


def test_a_valid_arm_assignment_builds(study, tmp_path):
    _with_arm_assignment(study, "ARM_CD")
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message, hint", [
    ("{domain: ZZ, variables: [EXSTDTC]}", "derivation first_date reads domain 'ZZ', which no spec of this study "
     "builds", "domains built by the specs: AE, DM, EX"),
    ("{domain: ex, variables: [EXSTDTC]}", "reads domain 'ex'", "domain names are upper case: EX"),
    ("{domain: SV, variables: [SVSTDTC]}", "reads domain 'SV'", "SE and SV are built after the derivations run"),
    ("{domain: EX, variables: [EXSTDTC, EXFAKE]}", "reads EX.EXFAKE, which the EX spec does not fill",
     "EX variables:"),
    ("{domain: EX, variables: EXSTDTC, where: {EXTRTX: X}}", "reads EX.EXTRTX", "did you mean EXTRT?"),
])
def test_a_date_derivation_reading_a_domain_or_variable_not_built_is_refused(study, tmp_path, args, message, hint):
    _edit(study / "sdtm" / "dm.yaml", "  RFICDTC:  {datetime: ICDAT}\n",
          "  RFICDTC:  {datetime: ICDAT}\n  RFXSTDTC: {derive: first_date, args: " + args + "}\n")
    output = _run(study, tmp_path / "out")
    assert "dm.yaml:11:" in output and message in output and hint in output
