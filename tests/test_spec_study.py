"""study.yaml: identifiers, arms, elements, date sources, visits and value maps."""
from pathlib import Path

import pytest

import pandas as pd

from converters.errors import DataError, SpecError
from converters.sdtm.derivations import REGISTRY, RowContext
from converters.spec.study import load_study, pattern_fields

ROOT = Path(__file__).resolve().parents[1] / "mappings"


def test_study_a_definition():
    study = load_study(ROOT / "carnk-sclc")
    assert study.studyid == "CARNK-SCLC-101"
    assert study.raw_dir == (ROOT.parent / "examples" / "carnk-sclc" / "raw").resolve()
    assert study.encodings == {"ie": "cp1252"}
    assert [a.armcd for a in study.arms][:2] == ["DLL3CD56_DL1", "DLL3CD56_DL2"]
    assert study.arm_assignment.form == "enrol" and study.arm_assignment.columns == ("ARM_CD", "DOSELVL_CD")
    assert study.arms[0].raw_codes == (("A1", "DL1"),)
    assert study.value_maps["arms"]["A1 DL1"] == "DLL3CD56_DL1"
    assert study.data_cutoff == "2026-06-30"
    assert study.value_maps["sex"] == {"1": "M", "2": "F"}
    assert "dose_levels" in study.value_tables
    assert study.sources["reference_start"].form == "carnk"
    assert study.visits[0].visit == "SCREENING" and "SCREENING" in study.visits[0].aliases
    assert [e.taetord for e in study.element_dates] == [1, 2, 3, 4, 5, 6]
    assert study.element_dates[-1].after_taetord == (5, 3) and study.element_dates[-1].offset == "P42D"


def test_pattern_fields():
    assert pattern_fields("{STUDYID}-{SUBJID}") == [(True, "STUDYID"), (False, "-"), (True, "SUBJID")]


def test_trial_arm_naming_an_unknown_arm_is_an_error(tmp_path):
    (tmp_path / "study.yaml").write_text(
        "study: {studyid: X}\narms:\n  - {ARMCD: A, ARM: Arm A}\nelements:\n  - {ETCD: E, ELEMENT: E}\n"
        "trial_arms:\n  B:\n    - {TAETORD: 1, ETCD: E, EPOCH: SCREENING}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(tmp_path)
    assert info.value.where.line == 7


def test_missing_studyid(tmp_path):
    (tmp_path / "study.yaml").write_text("study: {title: X}\n", encoding="utf-8")
    with pytest.raises(SpecError):
        load_study(tmp_path / "study.yaml")


ARMS_BY_TWO_COLUMNS = """study: {studyid: X}
arm_assignment: {form: enrol, columns: [ARM_CD, DOSELVL_CD]}
arms:
  - {ARMCD: A_DL1, ARM: Drug A 1 mg, raw_codes: [[A, DL1]]}
  - {ARMCD: A_DL2, ARM: Drug A 2 mg, raw_codes: [[A, DL2]]}
  - {ARMCD: EXP, ARM: Drug A expansion, raw_codes: [[B, DL1], [B, DL2]]}
"""


def _planned_arm(study, raw: dict, variable: str = "ARMCD") -> list:
    frame = pd.DataFrame(raw, dtype="object").assign(__row__=range(1, len(raw["ARM_CD"]) + 1))
    ctx = RowContext(raw=frame, out=pd.DataFrame(index=frame.index), study=study, resolve=lambda c: frame[c])
    return REGISTRY["planned_arm"].fn(ctx, variable=variable).tolist()


def test_arm_from_the_combination_of_two_raw_columns(tmp_path):
    (tmp_path / "study.yaml").write_text(ARMS_BY_TWO_COLUMNS, encoding="utf-8")
    study = load_study(tmp_path)
    raw = {"ARM_CD": ["A", "A", "B", "", "B"], "DOSELVL_CD": ["DL1", "DL2", "DL2", "", "DL1"]}
    assert _planned_arm(study, raw) == ["A_DL1", "A_DL2", "EXP", None, "EXP"]
    assert _planned_arm(study, raw, "ARM")[:2] == ["Drug A 1 mg", "Drug A 2 mg"]


def test_an_arm_combination_no_arm_lists_stops_with_its_row(tmp_path):
    (tmp_path / "study.yaml").write_text(ARMS_BY_TWO_COLUMNS, encoding="utf-8")
    study = load_study(tmp_path)
    with pytest.raises(DataError) as info:
        _planned_arm(study, {"ARM_CD": ["A", "A"], "DOSELVL_CD": ["DL1", "DL3"]})
    assert info.value.where.row == 2 and "A DL3" in str(info.value)


def test_raw_code_needs_one_value_per_assignment_column(tmp_path):
    (tmp_path / "study.yaml").write_text(ARMS_BY_TWO_COLUMNS.replace("[[A, DL1]]", "[A]"), encoding="utf-8")
    with pytest.raises(SpecError, match="one value per arm_assignment column|has 1 value"):
        load_study(tmp_path)


def test_one_raw_code_for_two_arms_is_an_error(tmp_path):
    (tmp_path / "study.yaml").write_text(ARMS_BY_TWO_COLUMNS.replace("[[B, DL1], [B, DL2]]", "[[A, DL1]]"),
                                         encoding="utf-8")
    with pytest.raises(SpecError, match="A_DL1 and EXP"):
        load_study(tmp_path)


def test_single_column_arm_assignment_keeps_plain_codes(tmp_path):
    (tmp_path / "study.yaml").write_text(
        "study: {studyid: X}\narm_assignment: {form: enrol, column: ARM_CD}\n"
        "arms:\n  - {ARMCD: LOW, ARM: Low dose, raw_codes: [L, LO]}\n", encoding="utf-8")
    study = load_study(tmp_path)
    assert study.arms[0].raw_codes == (("L",), ("LO",)) and study.value_maps["arms"] == {"L": "LOW", "LO": "LOW"}


def test_data_cutoff_must_be_an_iso_date(tmp_path):
    (tmp_path / "study.yaml").write_text("study: {studyid: X}\ndata_cutoff: 30-JUN-2026\n", encoding="utf-8")
    with pytest.raises(SpecError, match="ISO 8601 date"):
        load_study(tmp_path)


DESIGN = """\
study: {studyid: X}
arms:
  - {ARMCD: A, ARM: Arm A}
elements:
  - {ETCD: SCRN, ELEMENT: Screening}
  - {ETCD: TRT, ELEMENT: Treatment}
trial_arms:
  A:
    - {TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING}
    - {TAETORD: 2, ETCD: TRT, EPOCH: TREATMENT}
element_dates:
  - {TAETORD: 1, start: {form: dm, column: ICDAT}}
  - {TAETORD: 2, start: {after_taetord: [1], offset: P14D}}
visits:
  - {VISITNUM: 1, VISIT: SCREENING, VISITDY: -14}
  - {VISITNUM: 2, VISIT: DAY 1, VISITDY: 1}
"""


def _spec_error(tmp_path, text: str) -> SpecError:
    (tmp_path / "study.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(tmp_path)
    assert info.value.where.file == str(tmp_path / "study.yaml")
    return info.value


def test_the_design_fixture_loads(tmp_path):
    (tmp_path / "study.yaml").write_text(DESIGN, encoding="utf-8")
    study = load_study(tmp_path)
    assert [v.visitdy for v in study.visits] == [-14.0, 1.0]
    assert study.element_dates[1].after_taetord == (1,) and study.trial_arms["A"][1].taetord == 2


@pytest.mark.parametrize("old, new, line, words", [
    ("VISITDY: 1}", "VISITDY: abc}", 16, "VISITDY 'abc' must be a number"),
    ("{TAETORD: 2, ETCD: TRT", "{TAETORD: x, ETCD: TRT", 10, "TAETORD 'x' must be a whole number"),
    ("{TAETORD: 1, ETCD: SCRN", "{TAETORD: 1.5, ETCD: SCRN", 9, "TAETORD 1.5 must be a whole number"),
    ("{TAETORD: 2, start:", "{TAETORD: two, start:", 13, "TAETORD 'two' must be a whole number"),
    ("after_taetord: [1]", "after_taetord: [first]", 13, "after_taetord value 'first' must be a whole number"),
    ("offset: P14D", "offset: 2 weeks", 13, "offset '2 weeks' must be an ISO 8601 duration"),
    ("VISITNUM: 2,", "VISITNUM: two,", 16, "VISITNUM 'two' must be a number"),
])
def test_a_value_that_is_not_a_number_names_study_yaml_and_its_line(tmp_path, old, new, line, words):
    assert old in DESIGN
    error = _spec_error(tmp_path, DESIGN.replace(old, new))
    assert error.where.line == line and words in str(error)


@pytest.mark.parametrize("text, line, words", [
    ("study: {studyid: X}\nraw: raw\n", 2, "'raw' must be a mapping"),
    ("study: {studyid: X}\nraw: {folder: raw, encodings: cp1252}\n", 2, "'encodings' must be a mapping"),
    ("study: {studyid: X}\nstandards: [3.4]\n", 2, "'standards' must be a mapping"),
    ("study: {studyid: X}\nvalue_maps: [sex]\n", 2, "'value_maps' must be a mapping"),
    ("study: {studyid: X}\ntrial_arms: [A]\n", 2, "'trial_arms' must be a mapping"),
    ("study: {studyid: X}\narms:\n  - {ARMCD: A, ARM: A}\ntrial_arms:\n  A: SCRN\n", 5, "a list"),
    ("study: {studyid: X}\nstudy_end: {form: ds, column: DSDAT, where: DSDECOD}\n", 2, "'where' must be a mapping"),
    ("study: {studyid: X}\nelement_dates:\n  - {TAETORD: 1}\n", 3, "needs 'start'"),
    ("study: {studyid: X}\ndata_cutoff: 2026-02-30\n", 2, "ISO 8601 date"),
])
def test_a_malformed_study_yaml_entry_names_its_line(tmp_path, text, line, words):
    error = _spec_error(tmp_path, text)
    assert error.where.line == line and words in str(error)
