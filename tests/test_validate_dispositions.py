"""Dispositions: entries explain the findings they match (by rule, dataset, subject, record, value); stale ones
are listed; a malformed file is an error naming file and line; the exit rule counts only unexplained findings."""
from __future__ import annotations

import pytest
from validate_fixtures import S1, S2, clean_study

from converters.errors import SpecError
from converters.validate import unexplained_at, validate_study
from converters.validate.dispositions import load_dispositions


def _write(tmp_path, body: str):
    path = tmp_path / "validation-dispositions.yaml"
    path.write_text("dispositions:\n" + body, encoding="utf-8")
    return path


def _result(tmp_path, body: str):
    fx = clean_study()
    fx.set("DM", 0, SEX="X")
    fx.set("DM", 1, SEX="Y")
    fx.set("AE", 0, AESER="Y")
    return validate_study(fx.study(), dispositions=_write(tmp_path, body))


def test_entry_for_rule_and_dataset_explains_all_its_findings(tmp_path):
    result = _result(tmp_path, "  - {rule: CT0001, dataset: DM, reason: Collected as text, by: DM team}\n")
    ct = result.findings[result.findings["rule"].eq("CT0001")]
    assert ct["explained"].all() and set(ct["reason"]) == {"Collected as text"}
    assert unexplained_at(result, "error") == 0 and unexplained_at(result, "warning") == 1


def test_entry_for_one_subject_explains_only_that_record(tmp_path):
    result = _result(tmp_path, f"  - {{rule: CT0001, dataset: DM, usubjid: {S1}, reason: r, by: b}}\n")
    ct = result.findings[result.findings["rule"].eq("CT0001")].set_index("usubjid")
    assert bool(ct.loc[S1, "explained"]) and not bool(ct.loc[S2, "explained"])
    assert result.findings.iloc[0]["usubjid"] == S2  # unexplained findings come first
    assert unexplained_at(result, "error") == 1


def test_entry_by_value_and_variable(tmp_path):
    result = _result(tmp_path, "  - {rule: CT0001, variable: SEX, value: SEX=Y, reason: r, by: b}\n")
    ct = result.findings[result.findings["rule"].eq("CT0001")]
    assert ct["explained"].sum() == 1


def test_entry_matching_nothing_is_stale(tmp_path):
    result = _result(tmp_path, "  - {rule: DT0001, dataset: AE, reason: r, by: b}\n")
    assert [d.rule for d in result.stale_dispositions] == ["DT0001"]


@pytest.mark.parametrize("body, message, line", [
    ("  - {rule: CT0001, reason: r}\n", "lacks 'by'", 2),
    ("  - {rule: CT0001, reason: r, by: b}\n  - {rule: CT9999, reason: r, by: b}\n", "unknown rule CT9999", 3),
    ("  - {rule: CT0001, reason: r, by: b, colour: red}\n", "unknown field(s) colour", 2),
])
def test_malformed_file_names_file_and_line(tmp_path, body, message, line):
    path = _write(tmp_path, body)
    with pytest.raises(SpecError) as err:
        load_dispositions(path, {"CT0001"})
    assert message in str(err.value) and err.value.where.line == line and err.value.where.file == str(path)


def test_invalid_yaml_is_a_spec_error(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("dispositions: [\n", encoding="utf-8")
    with pytest.raises(SpecError):
        load_dispositions(path)
