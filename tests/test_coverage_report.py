"""coverage.csv says where each collected column went, including the columns no spec names: the USUBJID pattern's
identifiers (only on forms something reads; ``{STUDYID}`` is study.yaml's, not a raw column), the columns a
``usubjid.join`` gives, a decode beside its mapped code, and the criterion text IE takes from TI. A test per bug."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd

from converters.readers.raw import ROW, RawSource
from converters.sdtm.coverage import NOT_MAPPED, column_coverage
from converters.sdtm.output import write_build
from converters.sdtm.study import build_study
from converters.spec.study import StudyDefinition
from sdtm_fixtures import AE, DM, EX, write_tiny_study

FOREIGN = Path(__file__).parent / "fixtures" / "foreign"


def _coverage(mappings: Path, out: Path) -> dict[tuple[str, str], dict[str, str]]:
    build = build_study(mappings, builtins=False)
    folder = write_build(build, out)
    with open(folder / "coverage.csv", encoding="utf-8") as handle:
        return {(r["form"], r["column"]): r for r in csv.DictReader(handle)}


def _tiny(tmp_path: Path, specs: dict[str, str] | None = None) -> Path:
    mappings = write_tiny_study(tmp_path, specs)
    dm = mappings / "raw" / "dm.csv"
    lines = dm.read_text(encoding="utf-8").splitlines()
    decodes = ["SEX", "Male", "Female", "Unknown"]  # SEX_CD 1, 2, 9
    dm.write_text("\n".join(f"{line},{d}" for line, d in zip(lines, decodes)) + "\n", encoding="utf-8")
    (mappings / "raw" / "ihc.csv").write_text("STUDYID,SUBJID,ANTIGEN\nTINY-1,001,DLL3\n", encoding="utf-8")
    return mappings


def test_a_decode_beside_its_mapped_code_went_where_the_code_went(tmp_path: Path) -> None:
    rows = _coverage(_tiny(tmp_path), tmp_path / "out")
    assert rows[("dm", "SEX_CD")]["used_by"] == "DM.SEX"
    assert rows[("dm", "SEX")]["status"] == "used"
    assert rows[("dm", "SEX")]["used_by"] == "DM.SEX (via SEX_CD)"


def test_a_decode_that_disagrees_with_its_code_stays_not_mapped(tmp_path: Path) -> None:
    mappings = _tiny(tmp_path)
    dm = mappings / "raw" / "dm.csv"
    dm.write_text(dm.read_text(encoding="utf-8").replace(",Female\n", ",Male\n"), encoding="utf-8")  # 1 and 2: Male
    rows = _coverage(mappings, tmp_path / "out")
    assert rows[("dm", "SEX")]["status"] == NOT_MAPPED


def test_the_identifiers_of_a_form_no_spec_reads_are_not_mapped(tmp_path: Path) -> None:
    rows = _coverage(_tiny(tmp_path), tmp_path / "out")
    assert [rows[("ihc", c)]["status"] for c in ("STUDYID", "SUBJID", "ANTIGEN")] == [NOT_MAPPED] * 3
    assert "USUBJID" in rows[("ae", "SUBJID")]["used_by"].split("; ")


def test_the_raw_studyid_is_not_what_the_usubjid_pattern_reads(tmp_path: Path) -> None:
    # {STUDYID} in the pattern is study.yaml's studyid: a form whose STUDYID column nothing assigns did not use it
    ex = EX.replace("STUDYID:  {assign: STUDYID}", "STUDYID:  {hardcode: TINY-1}")
    rows = _coverage(_tiny(tmp_path, {"dm": DM, "ae": AE, "ex": ex}), tmp_path / "out")
    assert rows[("ex", "STUDYID")]["status"] == NOT_MAPPED
    assert "USUBJID" in rows[("ex", "SUBJID")]["used_by"].split("; ")
    assert rows[("ae", "STUDYID")]["used_by"] == "AE.STUDYID"


def test_the_columns_a_usubjid_join_gives_other_forms_are_used_by_it(tmp_path: Path) -> None:
    shutil.copytree(FOREIGN, tmp_path / "foreign")
    rows = _coverage(tmp_path / "foreign" / "mappings" / "frn", tmp_path / "out")
    assert "usubjid.join (ae, ex)" in rows[("dm", "SITE")]["used_by"].split("; ")
    assert "usubjid.join (ae, ex)" in rows[("dm", "SUBJ")]["used_by"].split("; ")
    assert "USUBJID" in rows[("ae", "SUBJ")]["used_by"].split("; ")


def _ie_study(ietest: str) -> tuple[dict[str, RawSource], StudyDefinition]:
    frame = pd.DataFrame({"SUBJID": ["001", "002"], "IECAT": ["Inclusion", "Exclusion"], "IETESTCD": ["IN01", "EX01"],
                          "IETEST": ["Age 18 or older", ietest], "IEORRES": ["N", "Y"], ROW: [1, 2]})
    raw = {"ie": RawSource("ie", Path("ie.csv"), frame)}
    criteria = [{"IETESTCD": "IN01", "IECAT": "INCLUSION", "IETEST": "Age 18 or older"},
                {"IETESTCD": "EX01", "IECAT": "EXCLUSION", "IETEST": "Prior  CAR-T therapy"}]
    study = StudyDefinition(studyid="T-1", path=Path("study.yaml"),
                            document={"ie_source": {"form": "ie", "testcd_column": "IETESTCD"},
                                      "inclusion_exclusion": criteria})
    return raw, study


def test_criterion_text_and_category_of_the_eligibility_form_went_to_ie_from_ti() -> None:
    raw, study = _ie_study("prior CAR-T therapy")  # case and spacing aside, TI's wording
    rows = {(form, column): (status, used) for form, column, status, used in column_coverage(raw, [], study)}
    assert rows[("ie", "IECAT")] == ("used", "IE.IECAT (from TI by IETESTCD)")
    assert rows[("ie", "IETEST")] == ("used", "IE.IETEST (from TI by IETESTCD)")


def test_criterion_text_that_differs_from_ti_is_not_mapped() -> None:
    raw, study = _ie_study("Prior CAR-T or CAR-NK therapy")  # the site's form says more than TI
    rows = {(form, column): status for form, column, status, _used in column_coverage(raw, [], study)}
    assert rows[("ie", "IETEST")] == NOT_MAPPED
    assert rows[("ie", "IECAT")] == "used"
