"""The example studies' SDTM output conforms: no unexplained Error or Warning, every disposition still needed."""
import json

import pytest

STUDIES = ("carnk-sclc", "cll1-aml")


@pytest.fixture(scope="module", params=STUDIES)
def findings(request, demo_out):
    report = json.loads((demo_out / request.param / "sdtm-validation" / "findings.json").read_text(encoding="utf-8"))
    return request.param, report


def test_no_unexplained_error_or_warning_remains(findings):
    study, report = findings
    open_findings = [f for f in report["findings"]
                     if f["severity"] in ("Error", "Warning") and not f["explained"]]
    assert open_findings == [], f"{study}: explain or fix {open_findings[:5]}"


def test_every_explained_finding_carries_its_reason_and_who_decided(findings):
    _, report = findings
    for finding in report["findings"]:
        if finding["explained"]:
            assert finding["reason"] and finding["by"]


def test_no_disposition_is_stale(findings):
    study, report = findings
    assert report.get("stale_dispositions", []) == [], f"{study}: remove dispositions that match nothing"


def test_demo_prints_the_conformance_summary(demo_out):
    text = (demo_out / "demo-output.txt").read_text(encoding="utf-8")
    assert "Conformance (unexplained/all findings" in text
    for study in STUDIES:
        assert (demo_out / study / "sdtm-validation" / "report.html").is_file()
