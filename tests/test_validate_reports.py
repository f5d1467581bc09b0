"""Reports: JSON for machines, CSV with every row, XLSX with capped detail sheets that say what they left out,
a self-contained HTML page; identical input gives identical files."""
from __future__ import annotations

import csv
import json

from openpyxl import load_workbook
from validate_fixtures import clean_study

from converters.validate import validate_study
from converters.validate.reports import summary_rows, write_reports
from converters.validate.reports.xlsx import write_xlsx


def _result_with_findings():
    fx = clean_study()
    fx.set("DM", 0, SEX="X")
    fx.set("DM", 1, SEX="Y")
    fx.set("AE", 0, AESER="Y")
    fx.set("LB", 0, LBSTNRLO=50)
    return validate_study(fx.study(), strict=True)


def test_json_groups_and_csv_hold_every_finding(tmp_path):
    result = _result_with_findings()
    write_reports(result, tmp_path, ["json", "csv"])
    doc = json.loads((tmp_path / "findings.json").read_text())
    assert sum(f["count"] for f in doc["findings"]) == len(result.findings) == doc["finding_records"]
    assert {"rule", "severity", "dataset", "variable", "record", "usubjid", "values", "explained", "new"} <= set(
        doc["findings"][0])
    summary = {(s["rule"], s["dataset"]): s["count"] for s in doc["summary"]}
    assert summary[("CT0001", "DM")] == 2
    with open(tmp_path / "findings.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.findings)
    assert {r["values"] for r in rows if r["rule"] == "CT0001"} == {"SEX=X", "SEX=Y"}


def _same_problem_in_many_records():
    """SEX outside its codelist in every DM record but one: 'X' in the first two, 'Y' in the rest."""
    fx = clean_study()
    for row in range(len(fx.frames["DM"])):
        fx.set("DM", row, SEX="X" if row < 2 else "Y")
    fx.set("DM", len(fx.frames["DM"]) - 1, SEX="M")
    return fx, validate_study(fx.study(), strict=True)


def test_findings_of_the_same_problem_and_value_are_one_group_with_a_count(tmp_path):
    fx, result = _same_problem_in_many_records()
    records = len(fx.frames["DM"]) - 1
    assert records >= 2
    write_reports(result, tmp_path, ["json", "csv", "html"])
    doc = json.loads((tmp_path / "findings.json").read_text())
    groups = [f for f in doc["findings"] if f["rule"] == "CT0001" and f["dataset"] == "DM"]
    by_value = {g["values"]: g for g in groups}
    assert set(by_value) == ({"SEX=X", "SEX=Y"} if records > 2 else {"SEX=X"})
    assert by_value["SEX=X"]["count"] == 2 and by_value["SEX=X"]["record"] == 1
    assert [r["record"] for r in by_value["SEX=X"]["records"]] == [1, 2]
    assert sum(g["count"] for g in groups) == records
    with open(tmp_path / "findings.csv", newline="") as handle:  # every record, one line each
        rows = [r for r in csv.DictReader(handle) if r["rule"] == "CT0001" and r["dataset"] == "DM"]
    assert [int(r["record"]) for r in rows] == list(range(1, records + 1))
    html = (tmp_path / "report.html").read_text()
    assert '"count": 2' in html and "records 1, 2" in html


def test_a_group_keeps_explained_records_apart_from_open_ones():
    from converters.validate.reports import finding_groups

    fx, result = _same_problem_in_many_records()
    result.findings.loc[result.findings["values"].eq("SEX=X") & result.findings["record"].eq(1), "explained"] = True
    groups = finding_groups(result)
    x = groups[groups["values"].eq("SEX=X")]
    assert sorted(zip(x["explained"], x["count"])) == [(False, 1), (True, 1)]


def test_xlsx_caps_detail_and_says_how_many_rows_were_left_out(tmp_path):
    result = _result_with_findings()
    path = write_xlsx(result, summary_rows(result), tmp_path / "f.xlsx", detail_cap=1, sheet_cap=2)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Findings"] and wb.sheetnames[-1] == "Rules"
    summary = list(wb["Summary"].iter_rows(values_only=True))
    header = summary[0]
    ct = dict(zip(header, [r for r in summary if r[0] == "CT0001"][0]))
    assert ct["Findings"] == 2 and ct["Rows in detail"] == 1 and ct["Rows left out of detail"] == 1
    last_sheet = [n for n in wb.sheetnames if n.startswith("Findings")][-1]
    last = list(wb[last_sheet].iter_rows(values_only=True))[-1]
    assert "left out" in last[0] and "findings.csv" in last[0]


def test_xlsx_never_turns_values_into_formulas(tmp_path):
    fx = clean_study()
    fx.set("DM", 0, SEX="=HYPERLINK(1)")
    result = validate_study(fx.study(), strict=True)
    wb = load_workbook(write_xlsx(result, summary_rows(result), tmp_path / "f.xlsx"), read_only=True)
    values = [c for row in wb["Findings"].iter_rows(values_only=True) for c in row if c]
    assert any(str(v).startswith("'SEX=") or v == "SEX==HYPERLINK(1)" for v in values)
    assert not any(str(v).startswith("=") for v in values)


def test_html_is_self_contained_with_summary_filters_and_drilldown(tmp_path):
    result = _result_with_findings()
    write_reports(result, tmp_path, ["html"], title="demo")
    html = (tmp_path / "report.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "<script src" not in html and "<link" not in html
    assert 'id="summary"' in html and 'class="fsev"' in html and 'id="detail"' in html
    payload = json.loads(html.split('<script id="data" type="application/json">')[1].split("</script>")[0]
                         .replace("<\\/", "</"))
    assert {s["rule"] for s in payload["summary"]} >= {"CT0001", "VL0001", "VL0024"}
    assert [r["values"] for r in payload["details"]["CT0001|DM"]] == ["SEX=X", "SEX=Y"]


def test_reports_are_byte_identical_for_identical_input(tmp_path):
    for out in ("a", "b"):
        write_reports(_result_with_findings(), tmp_path / out)
    for name in ("report.html", "findings.xlsx", "findings.csv", "summary.csv", "findings.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_report_header_states_the_folders_ig_version(tmp_path):
    import json

    from validate_fixtures import clean_study

    from converters.validate import validate_study
    from converters.validate.reports import write_reports

    fx = clean_study()
    fx.set("TS", fx.where("TS", TSPARMCD="SDTIGVER"), TSVAL="3.2")
    result = validate_study(fx.study())
    write_reports(result, tmp_path, ("json", "html"))
    doc = json.loads((tmp_path / "findings.json").read_text())
    assert (doc["folder_ig_version"], doc["folder_ig_version_from"]) == ("3.2", "TS SDTIGVER")
    assert "folder declares SDTMIG 3.2 (TS SDTIGVER)" in (tmp_path / "report.html").read_text()


def test_a_grouped_findings_json_as_the_previous_run_marks_only_new_problems(tmp_path):
    from converters.validate.dispositions import mark_new

    _fx, result = _same_problem_in_many_records()
    write_reports(result, tmp_path, ["json"])
    assert not mark_new(result.findings, tmp_path / "findings.json")["new"].any()
    changed = result.findings.copy()
    changed.loc[0, "values"] = "SEX=Z"
    assert mark_new(changed, tmp_path / "findings.json")["new"].tolist() == [True] + [False] * (len(changed) - 1)
