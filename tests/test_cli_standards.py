"""`cdisc-convert standards` prints the guide's variables and CT terms."""
from click.testing import CliRunner

from converters.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_show_dm_lists_variables_in_order_with_labels_and_core():
    result = run("standards", "show", "DM")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    body = [line.split()[1] for line in lines[4:]]
    assert body[:4] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"]
    assert "Unique Subject Identifier" in result.output and "Req" in result.output


def test_codelist_ny_prints_terms_with_nci_codes():
    result = run("standards", "codelist", "NY")
    assert result.exit_code == 0, result.output
    assert "C49488" in result.output and "C49487" in result.output


def test_unknown_codelist_exits_non_zero_without_traceback():
    result = run("standards", "codelist", "NOPE")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_version_and_help():
    assert run("--version").exit_code == 0
    assert "standards" in run("--help").output
