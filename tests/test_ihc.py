"""Antigen IHC of study A (SDTMIG 3.4 MI): every raw ihc.csv row gives one MI record per result detail
(MITSTDTL), with the specimen, method and CT test codes; ADSL carries each antigen's screening positivity and
H-score; the baseline rule of the validator counts a test's result details apart."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from converters.validate import validate_study
from validate_fixtures import clean_study

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "examples" / "carnk-sclc" / "raw" / "ihc.csv"
#: raw antigen -> MITESTCD (CD56 is CT's NCAM1; DLL3 and GD2 are sponsor terms)
TESTCD = {"DLL3": "DLL3", "CD56": "NCAM1", "GD2": "GD2"}
DETAILS = ("PERCENT POSITIVE CELL", "STAINING INTENSITY", "H SCORE TOTAL SCORE", "INTERPRETATION")


def _xpt(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(path))
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].astype(object).replace("", None)
    return frame


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    frame["USUBJID"] = frame["STUDYID"] + "-" + frame["SUBJID"]
    frame["MITESTCD"] = frame["ANTIGEN"].map(TESTCD)
    return frame


@pytest.fixture(scope="module")
def mi(demo_out) -> pd.DataFrame:
    return _xpt(demo_out / "carnk-sclc" / "sdtm" / "mi.xpt")


@pytest.mark.slow
def test_each_raw_row_gives_one_record_per_result_detail(raw, mi):
    assert len(mi) == 4 * len(raw)
    details = mi.groupby(["USUBJID", "MITESTCD"])["MITSTDTL"].agg(lambda s: tuple(sorted(s)))
    assert set(details) == {tuple(sorted(DETAILS))}
    assert set(zip(mi.USUBJID, mi.MITESTCD)) == set(zip(raw.USUBJID, raw.MITESTCD))


@pytest.mark.slow
def test_test_codes_specimen_and_method_come_from_ct(mi):
    assert set(mi.MITESTCD) == {"DLL3", "NCAM1", "GD2"}
    assert set(mi.loc[mi.MITESTCD.eq("NCAM1"), "MITEST"]) == {"Neural Cell Adhesion Molecule 1"}
    assert set(mi.MISPEC) == {"TUMOR TISSUE"}
    assert set(mi.MIMETHOD) == {"IHC"}
    assert set(mi.MITSTDTL) == set(DETAILS)
    assert set(mi.VISIT) == {"SCREENING"}


@pytest.mark.slow
def test_results_agree_with_the_raw_form(raw, mi):
    merged = mi.merge(raw, on=["USUBJID", "MITESTCD"], validate="many_to_one")
    pct = merged[merged.MITSTDTL.eq("PERCENT POSITIVE CELL")]
    assert (pct.MISTRESN == pct.PCTPOS.astype(float)).all()
    assert set(pct.MIORRESU) == {"%"} and set(pct.MISTRESU) == {"%"}
    hscore = merged[merged.MITSTDTL.eq("H SCORE TOTAL SCORE")]
    assert (hscore.MISTRESN == hscore.HSCORE.astype(float)).all()
    assert hscore.MIORRESU.isna().all()
    intensity = merged[merged.MITSTDTL.eq("STAINING INTENSITY")]
    assert (intensity.MIORRES == intensity.INTENS).all()
    assert (intensity.MISTRESN == intensity.INTENS_CD.astype(float)).all()
    assert (intensity.MISTRESC == intensity.INTENS_CD.map({"0": "0", "1": "1+", "2": "2+", "3": "3+"})).all()
    call = merged[merged.MITSTDTL.eq("INTERPRETATION")]
    assert (call.MISTRESC == call.IHCRES.str.upper()).all()
    assert call.MISTRESN.isna().all()
    assert (merged.MIDTC == pd.to_datetime(merged.IHCDAT, format="%d-%b-%Y").dt.strftime("%Y-%m-%d")).all()


@pytest.mark.slow
def test_specimen_source_is_a_supplemental_qualifier(demo_out, raw, mi):
    supp = _xpt(demo_out / "carnk-sclc" / "sdtm" / "suppmi.xpt")
    assert set(supp.QNAM) == {"SPECSRC"} and len(supp) == len(mi)
    assert set(supp.QVAL) == {"ARCHIVAL TUMOR TISSUE", "FRESH CORE BIOPSY"}


@pytest.mark.slow
def test_ihc_columns_are_all_mapped(demo_out):
    coverage = pd.read_csv(demo_out / "carnk-sclc" / "sdtm" / "coverage.csv", dtype=str, keep_default_na=False)
    ihc = coverage[coverage.form.eq("ihc")].set_index("column")
    mapped = ["IHCDAT", "SPECTYPE", "ANTIGEN", "PCTPOS", "INTENS_CD", "INTENS", "HSCORE", "IHCRES", "FOLDER"]
    assert (ihc.loc[mapped, "status"] == "used").all(), ihc.loc[mapped]
    rejections = pd.read_csv(demo_out / "carnk-sclc" / "sdtm" / "rejections.csv", dtype=str, keep_default_na=False)
    assert not (rejections.source.eq("ihc") & rejections.action.eq("not mapped")).any()


@pytest.mark.slow
def test_adsl_carries_each_antigens_screening_call_and_h_score(demo_out, raw):
    adsl = _xpt(demo_out / "carnk-sclc" / "adam" / "adsl.xpt").set_index("USUBJID")
    for antigen in ("DLL3", "CD56", "GD2"):
        rows = raw[raw.ANTIGEN.eq(antigen)].set_index("USUBJID").reindex(adsl.index)
        expected = rows.IHCRES.map({"Positive": "Y", "Negative": "N"})
        assert (adsl[f"{antigen}PFL"] == expected).all(), antigen
        assert (adsl[f"{antigen}HSC"] == rows.HSCORE.astype(float)).all(), antigen
    assert set(adsl.DLL3PFL) == {"Y", "N"}


def test_one_baseline_per_test_and_result_detail_is_not_a_duplicate():
    fx = clean_study()
    fx.set("LB", 1, LBLOBXFL="Y", LBTSTDTL="PERCENT POSITIVE CELL")
    assert "ID0026" not in set(validate_study(fx.study(), strict=True, select=["ID0026"]).findings["rule"])
    fx.set("LB", 0, LBTSTDTL="PERCENT POSITIVE CELL")
    assert "ID0026" in set(validate_study(fx.study(), strict=True, select=["ID0026"]).findings["rule"])
