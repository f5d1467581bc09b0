"""Coverage, not only rows: coverage.csv says where each collected column went; rows of merged-only forms that no
record uses are logged; a date column in another format is said once with examples."""
from __future__ import annotations

import csv
from pathlib import Path

from converters.sdtm.output import write_build
from converters.sdtm.study import build_study
from sdtm_fixtures import DM, write_tiny_study

DM_WITH_DEATH = DM.replace("source: dm\n", "source: dm\nmerge:\n  - {source: dd, by: [SUBJID], columns: [DTHDAT]}\n") \
    .replace("  COUNTRY:  {hardcode: USA}\n", "  COUNTRY:  {hardcode: USA}\n  DTHDTC:   {datetime: DTHDAT}\n")


def _study(tmp_path: Path) -> Path:
    from sdtm_fixtures import AE, EX

    mappings = write_tiny_study(tmp_path, {"dm": DM_WITH_DEATH, "ae": AE, "ex": EX})
    (mappings / "raw" / "dd.csv").write_text("SUBJID,DTHDAT,DTHCAUS\n001,2025/06/01,Progression\n"
                                             "077,01-MAY-2025,Unknown\n", encoding="utf-8")
    return mappings


def test_coverage_lists_every_collected_column_and_where_it_went(tmp_path: Path) -> None:
    messages: list[str] = []
    build = build_study(_study(tmp_path), builtins=False, progress=messages.append)
    out = write_build(build, tmp_path / "out")
    rows = {(r["form"], r["column"]): r for r in csv.DictReader(open(out / "coverage.csv", encoding="utf-8"))}
    assert rows[("ae", "TERM")]["used_by"] == "AE.AETERM"
    assert rows[("ae", "DLT")]["used_by"] == "SUPPAE.AEDLT"
    assert rows[("dd", "DTHDAT")]["used_by"] == "DM.DTHDTC"
    assert rows[("dd", "SUBJID")]["used_by"] == "DM merge key; USUBJID"
    assert rows[("dd", "DTHCAUS")]["status"] == "not mapped"
    assert rows[("dm", "ENDDAT")]["used_by"] == "study.yaml study_end"
    raw = (tmp_path / "tiny" / "raw").iterdir()
    assert len(rows) == sum(len(f.read_text().splitlines()[0].split(",")) for f in raw)


def test_rows_of_a_merged_only_form_that_no_record_uses_are_logged(tmp_path: Path) -> None:
    build = build_study(_study(tmp_path), builtins=False)
    log = build.log.frame()
    unused = log[log["source"] == "dd.csv"]
    assert unused[["row", "column", "value", "action"]].values.tolist() == [[2, "SUBJID", "077", "lookup row ignored"]]
    assert "no dm row has this key" in unused["reason"].iloc[0]


def test_a_date_in_another_format_is_said_once_with_examples_then_row_by_row(tmp_path: Path) -> None:
    messages: list[str] = []
    build = build_study(_study(tmp_path), builtins=False, progress=messages.append)
    said = [m for m in messages if "expected format" in m]
    assert said == ["DM: DTHDTC: 1 value(s) of dm.csv DTHDAT are not dates in the expected format DD-MON-YYYY or "
                    "YYYY-MM-DD (seen: '2025/06/01'); each row is in rejections.csv"]
    log = build.log.frame()
    assert log[(log["column"] == "DTHDAT")]["value"].tolist() == ["2025/06/01"]
