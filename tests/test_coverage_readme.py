"""Each shipped study's README gives the reason for every raw column coverage.csv lists as `not mapped`, and lists
no column that is mapped by now (a stale reason fails); a reason says why, never only "not yet". Comments in CO
belong to a parent record that exists."""
from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
import pytest

from converters.sdtm.coverage import NOT_MAPPED
from converters.sdtm.study import StudyBuild, build_study
from converters.shipped import EXAMPLE_STUDIES, study_mappings

SECTION = "## Raw columns not mapped"
ROW = re.compile(r"^\| `(?P<form>[^`]+)` \| `(?P<column>[^`]+)` \| (?P<reason>.*) \|$")
YET = "not mapped yet"


@lru_cache(maxsize=None)
def _build(study: str) -> StudyBuild:
    return build_study(study_mappings(study))


def _readme_rows(study: str) -> dict[tuple[str, str], str]:
    text = (study_mappings(study) / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"mappings/{study}/README.md has no '{SECTION}' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows: dict[tuple[str, str], str] = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            key = (match["form"], match["column"])
            assert key not in rows, f"{study}: {key} is listed twice"
            rows[key] = match["reason"].strip()
    return rows


@pytest.mark.parametrize("study", EXAMPLE_STUDIES)
def test_every_column_not_mapped_has_a_reason_in_the_readme_and_every_reason_is_current(study: str) -> None:
    coverage = {(form, column): status for form, column, status, _used in _build(study).coverage}
    not_mapped = {key for key, status in coverage.items() if status == NOT_MAPPED}
    listed = _readme_rows(study)
    assert sorted(not_mapped - set(listed)) == [], "not mapped, without a reason in the README"
    assert sorted(set(listed) - set(coverage)) == [], "README rows naming no raw column"
    assert sorted(set(listed) - not_mapped) == [], "README rows for columns that are mapped now (stale reasons)"


@pytest.mark.parametrize("study", EXAMPLE_STUDIES)
def test_every_reason_says_why_the_column_is_left_out(study: str) -> None:
    for (form, column), reason in _readme_rows(study).items():
        assert reason and reason != YET, f"{form}.{column}: give the reason the column is not mapped"


@pytest.mark.parametrize("study", EXAMPLE_STUDIES)
def test_each_comment_belongs_to_a_parent_record_that_exists(study: str) -> None:
    frames = {d.name: d.frame for d in _build(study).domains}
    co = frames["CO"]
    assert not co.empty and set(co["RDOMAIN"]) == {"DS", "IE"}  # end-of-study and eligibility comments
    for rdomain, part in co.groupby("RDOMAIN"):
        parent = frames[str(rdomain)]
        for idvar, rows in part.groupby("IDVAR"):
            keys = parent[["USUBJID", str(idvar)]].astype(str).drop_duplicates()
            matched = rows.merge(keys, left_on=["USUBJID", "IDVARVAL"], right_on=["USUBJID", str(idvar)])
            assert len(matched) == len(rows), (rdomain, idvar)  # every comment finds exactly one parent record
    ds_comments = frames["CO"][frames["CO"]["RDOMAIN"] == "DS"]
    assert len(ds_comments) == len(pd.unique(ds_comments["USUBJID"]))


def test_the_screening_form_of_study_b_lands_in_cp_and_is_value_for_value() -> None:
    from converters.readers.raw import read_raw
    from converters.shipped import study_raw

    frames = {d.name: d.frame for d in _build("cll1-aml").domains}
    scrn = read_raw(study_raw("cll1-aml") / "scrn.csv").frame
    scrn = scrn.assign(USUBJID="CLL1-NK-101-" + scrn["SUBJID"]).set_index("USUBJID")
    cp = frames["CP"].set_index("USUBJID")
    assert set(cp.index) == set(scrn.index) and cp.index.is_unique
    assert (cp["CPORRES"] == scrn.loc[cp.index, "CLL1PCT"]).all()
    assert set(cp["CPTESTCD"]) == {"ABCSP"} and set(cp["CPSBMRKS"]) == {"CD371+"}
    is_ = frames["IS"]
    mfi = is_[is_["ISTSTDTL"].isna()].set_index("USUBJID")
    call = is_[is_["ISTSTDTL"] == "INTERPRETATION"].set_index("USUBJID")
    assert set(mfi.index) == set(call.index) == set(scrn.index)
    assert (mfi["ISSTRESN"] == scrn.loc[mfi.index, "DSAMFI"].astype(float)).all()
    assert (call["ISSTRESC"] == scrn.loc[call.index, "DSARES"].str.upper()).all()
    assert set(is_["ISTESTCD"]) == {"ALAB"}


@pytest.mark.parametrize("study", EXAMPLE_STUDIES)
def test_a_lymphodepletion_dose_has_an_adjustment_reason_exactly_when_the_form_says_it_was_adjusted(study: str) -> None:
    from converters.readers.raw import read_raw
    from converters.shipped import study_raw

    ex = {d.name: d.frame for d in _build(study).domains}["EX"]
    ld = ex[ex["EXCAT"] == "LYMPHODEPLETING CHEMOTHERAPY"]
    raw = read_raw(study_raw(study) / "ld.csv").frame
    assert ld["EXADJ"].notna().sum() == (raw["DOSEADJ"] == "Y").sum()
