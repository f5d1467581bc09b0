"""A CRF-style export written by someone else converts with the documented spec features only (issue 9, item 3).

The study is `tests/fixtures/foreign/` (its README lists the shapes it has)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from converters.errors import DataError, SpecError
from converters.sdtm.conditions import compare
from converters.sdtm.study import build_study
from converters.sdtm.transforms import apply_transforms, check_transform
from converters.spec.loader import load_domain_specs

FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign"
MAPPINGS = FOREIGN / "mappings" / "frn"


@pytest.fixture(scope="module")
def build():
    return build_study(MAPPINGS)


def frame(build, name: str) -> pd.DataFrame:
    return next(d for d in build.domains if d.name == name).frame


def test_specs_use_no_sponsor_defined_variables() -> None:
    for spec in (MAPPINGS / "sdtm").glob("*.yaml"):
        assert "sponsor_defined" not in spec.read_text(encoding="utf-8")


def test_record_counts_add_up(build) -> None:
    counts = {d.name: (d.rows_read, d.records, d.filtered, d.rejected) for d in build.domains}
    assert counts["DM"] == (6, 6, 0, 0)
    assert counts["AE"] == (5, 5, 0, 0)
    assert counts["EX"] == (6, 5, 1, 0)  # the infusion answered "No" is filtered, and logged
    assert build.log.problem_count() == 0


def test_subjects_get_the_site_number_from_demographics(build) -> None:
    assert set(frame(build, "EX")["USUBJID"]) == {"FRN-001-01-001", "FRN-001-01-002", "FRN-001-02-005"}
    assert set(frame(build, "AE")["USUBJID"]) == {"FRN-001-01-001", "FRN-001-01-002", "FRN-001-02-003"}


def test_screen_failures_in_the_arm_column_give_a_null_arm_and_its_reason(build) -> None:
    dm = frame(build, "DM").set_index("SUBJID")
    assert dm.loc["02-003", ["ARMCD", "ARM"]].isna().all() and dm.loc["02-003", "ARMNRS"] == "SCREEN FAILURE"
    assert dm.loc["02-004", "ARMCD"] is None and dm.loc["02-004", "ARMNRS"] == "NOT ASSIGNED"
    assert dm.loc["01-006", "ARMCD"] == "B" and dm.loc["01-006", "ARMNRS"] == "ASSIGNED, NOT TREATED"
    assert pd.isna(dm.loc["01-001", "ARMNRS"])


def test_the_actual_arm_is_what_exposure_shows(build) -> None:
    dm = frame(build, "DM").set_index("SUBJID")
    assert (dm.loc["01-001", "ARMCD"], dm.loc["01-001", "ACTARMCD"]) == ("A", "A")
    assert (dm.loc["02-005", "ARMCD"], dm.loc["02-005", "ACTARMCD"]) == ("A", "B")  # given the 20 mg dose
    assert dm.loc["02-005", "ACTARM"] == "Drug X 20 mg"
    assert dm.loc["01-006", "ACTARMCD"] is None  # assigned, never dosed


def test_where_compares_case_and_space_insensitively(build) -> None:
    dm = frame(build, "DM").set_index("SUBJID")
    assert dm.loc["02-005", "RFSTDTC"] == "2025-03-07" and dm.loc["01-002", "RFSTDTC"] == "2025-03-06"
    assert dm.loc["01-001", "RFENDTC"] == "2025-03-19"  # subject number ' 001' joins its site trimmed


def test_unscheduled_visits_keep_the_number_the_export_carries(build) -> None:
    ae = frame(build, "AE").set_index("AETERM")
    assert ae.loc["RASH", ["VISITNUM", "VISIT"]].tolist() == [4.1, "UNSCHEDULED 4.1"]
    assert ae.loc["FATIGUE", "VISITNUM"] == 2.1 and ae.loc["NAUSEA", "VISITNUM"] == 3.0
    assert list(frame(build, "AE").columns[-2:]) == ["VISITNUM", "VISIT"]  # timing variables, in model order


def test_verbatim_terms_are_upper_case_and_trimmed(build) -> None:
    assert set(frame(build, "AE")["AETERM"]) == {"MILD HEADACHE", "NAUSEA", "RASH", "FATIGUE", "COUGH"}
    assert set(frame(build, "EX")["EXTRT"]) == {"DRUG X"}


def test_treatment_emergence_reads_dm(build) -> None:
    ae = frame(build, "AE")[["USUBJID", "AESEQ", "AETERM"]]
    supp = frame(build, "SUPPAE")
    flags = supp.assign(AESEQ=supp["IDVARVAL"].astype(float)).merge(ae, on=["USUBJID", "AESEQ"])
    assert dict(zip(flags["AETERM"], flags["QVAL"])) == {
        "MILD HEADACHE": "N", "NAUSEA": "Y", "RASH": "Y", "FATIGUE": "Y",  # on the day of the first dose counts
        "COUGH": "N"}  # a screen failure: no reference start


def test_absent_sections_are_said(build) -> None:
    assert any(note.startswith("no element_dates") for note in build.notes)


def test_a_where_value_that_matches_nothing_is_a_warning(tmp_path: Path) -> None:
    study = _copy(tmp_path)
    text = (study / "study.yaml").read_text(encoding="utf-8")
    (study / "study.yaml").write_text(text.replace('reference_end: {form: ex, column: EXDATE, where: {GIVEN: "yes"}',
                                                   'reference_end: {form: ex, column: EXDATE, where: {GIVEN: [yes, '
                                                   'given]}'), encoding="utf-8")
    build = build_study(study, builtins=False)
    assert any("study.yaml:" in n and "GIVEN = 'given' matches no row of ex" in n for n in build.notes)


def test_a_date_derivation_that_finds_nothing_stops_the_build(tmp_path: Path) -> None:
    study = _copy(tmp_path)
    text = (study / "study.yaml").read_text(encoding="utf-8")
    (study / "study.yaml").write_text(text.replace('where: {GIVEN: "yes"}, pick: first', 'where: {GIVEN: "Y"}, '
                                                   'pick: first'), encoding="utf-8")
    with pytest.raises(DataError, match=r"dm.yaml:\d+, dataset DM, variable RFSTDTC: DM.RFSTDTC: derivation "
                                        "source_date found no value"):
        build_study(study, builtins=False)


def test_domains_that_read_each_other_are_refused_with_both_lines(tmp_path: Path) -> None:
    study = _copy(tmp_path)
    dm = (study / "sdtm" / "dm.yaml").read_text(encoding="utf-8")
    (study / "sdtm" / "dm.yaml").write_text(dm + "  RFXSTDTC: {derive: first_date, args: {domain: AE, "
                                            "variables: [AESTDTC]}}\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_domain_specs(study / "sdtm")
    assert "read each other" in str(err.value) and "ae.yaml:" in str(err.value) and "dm.yaml:" in str(err.value)


def test_a_model_variable_of_another_class_is_still_refused_with_no_misleading_hint(tmp_path: Path) -> None:
    study = _copy(tmp_path)
    ae = (study / "sdtm" / "ae.yaml").read_text(encoding="utf-8")
    (study / "sdtm" / "ae.yaml").write_text(ae.replace("supp:", "  AEORRES:  {assign: PT}\nsupp:"), encoding="utf-8")
    with pytest.raises(SpecError, match="AEORRES is not a variable of AE") as err:
        load_domain_specs(study / "sdtm")
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize("left,op,right,expected", [
    ("5", "lt", "10", True), ("10", "lt", "9", False),  # numbers as numbers, not text
    ("2025-03-06", "ge", "2025-03-06T10:00", True),  # compared at the precision both have
    ("2025-03", "lt", "2025-03-14", False), ("2025-02", "lt", "2025-03-14", True),
    ("2025-03-05T09:00", "gt", "2025-03-05T08:30", True), ("", "le", "5", False), ("abc", "gt", "5", False),
])
def test_comparisons(left: str, op: str, right: str, expected: bool) -> None:
    assert compare(pd.Series([left]), pd.Series([right]), op).tolist() == [expected]


def test_transforms() -> None:
    steps = tuple(check_transform(s) for s in ["trim", "upper", {"substring": [1, 7]}, {"replace": ["-", "/"]}])
    assert apply_transforms(pd.Series(["  site-0101 x", None]), steps, lambda c: pd.Series()).tolist()[0] == "SITE/01"
    extract = (check_transform({"extract": r"(\d+(?:\.\d+)?)"}),)
    assert apply_transforms(pd.Series(["Unscheduled 4.1", "none"]), extract, None).tolist()[0] == "4.1"
    with pytest.raises(ValueError, match="substring takes"):
        check_transform({"substring": ["a"]})


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FOREIGN, tmp_path / "foreign")
    return tmp_path / "foreign" / "mappings" / "frn"
