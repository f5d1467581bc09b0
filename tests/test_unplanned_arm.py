"""ACTARMUD (SDTMIG 3.4 DM, Description of Unplanned Actual Arm): a subject treated in a way no planned arm describes
has ACTARMCD null, ARMNRS UNPLANNED TREATMENT and ACTARMUD saying what was given; every other subject has none."""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from converters.sdtm.derivations import REGISTRY, DomainContext
from converters.sdtm.study import build_study

FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The foreign test study plus subject 02-007, assigned to arm A (10 mg) but given 30 mg, a dose no arm has."""
    root = tmp_path_factory.mktemp("unplanned") / "foreign"
    shutil.copytree(FOREIGN, root)
    with open(root / "raw" / "dm.csv", "a", encoding="utf-8") as dm:
        dm.write("02,007,Female,Arm A\n")
    with open(root / "raw" / "ex.csv", "a", encoding="utf-8") as ex:
        ex.write("007,drug x,30,08-MAR-2025,Yes\n")
    spec = root / "mappings" / "frn" / "sdtm" / "dm.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("  ARMNRS:   {derive: arm_null_reason}\n",
                                 "  ARMNRS:   {derive: arm_null_reason}\n  ACTARMUD: {derive: unplanned_arm}\n"),
                    encoding="utf-8")
    assert "ACTARMUD" in spec.read_text(encoding="utf-8")
    return build_study(root / "mappings" / "frn")


def _dm(build) -> pd.DataFrame:
    return next(d for d in build.domains if d.name == "DM").frame.set_index("SUBJID")


def test_a_subject_given_a_dose_no_arm_has_is_an_unplanned_treatment_described_in_actarmud(build) -> None:
    dm = _dm(build)
    assert dm.loc["02-007", "ARMCD"] == "A"
    assert dm.loc["02-007", "ACTARMCD"] is None and dm.loc["02-007", "ACTARM"] is None
    assert dm.loc["02-007", "ARMNRS"] == "UNPLANNED TREATMENT"
    assert dm.loc["02-007", "ACTARMUD"] == "DRUG X 30 mg"


def test_every_other_subject_has_no_actarmud(build) -> None:
    dm = _dm(build)
    others = dm.drop(index="02-007")
    assert others["ACTARMUD"].isna().all()
    assert dm.loc["02-005", "ACTARMCD"] == "B"  # dosed at the other arm's level: a planned arm, not unplanned
    assert dm.loc["01-006", "ARMNRS"] == "ASSIGNED, NOT TREATED"  # never treated: no description either


def test_actarmud_is_derived_with_its_method_in_the_define(build) -> None:
    variable = next(v for d in build.study.datasets if d.name == "DM" for v in d.variables if v.name == "ACTARMUD")
    assert variable.origin is not None and variable.origin.type == "Derived"
    method = next(m for m in build.study.methods if m.oid == variable.method)
    assert method.description.startswith("ACTARMUD (SDTMIG 3.4 DM)")


def test_an_actarmcd_written_unplan_counts_as_unplanned_and_by_vars_choose_the_words() -> None:
    dm = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "ACTARMCD": ["UNPLAN", "A", None]})
    ex = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "EXTRT": ["DRUG X", "DRUG X", "DRUG X"],
                       "EXDOSE": [0.5, 40.0, 10.0], "EXSTDTC": ["2025-03-02", "2025-03-01", "2025-03-01"]})
    study = SimpleNamespace(arms=[])
    ctx = DomainContext(frame=dm, domains={"EX": ex}, study=study)
    got = REGISTRY["unplanned_arm"].fn(ctx, by_vars=["EXDOSE", "EXTRT"])
    assert got.tolist() == ["40 DRUG X", None, None]  # the first record by EXSTDTC; S3 was never treated
