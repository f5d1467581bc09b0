"""ADLB for both example studies: parameters from every LB test, baseline (last value on or before the first
infusion, by date and time), BASE/CHG/PCHG, BNRIND/BTOXGRN, the worst post-baseline grade flag (WORS01FL) and
the on-treatment flag, each recomputed here from SDTM LB and ADSL; plus the verbs ADLB needs, on small frames."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from adam_fixtures import dates, run

STUDIES = ("carnk-sclc", "cll1-aml")


def _xpt(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(path))
    for col in frame.columns:
        if frame[col].map(type).eq(str).any():
            frame[col] = frame[col].astype(object).replace("", None)
    return frame


# --- the verbs --------------------------------------------------------------------------------------------------

def test_worst_flag_takes_the_highest_or_lowest_value_by_parameter_and_the_first_of_ties():
    frame = pd.DataFrame({"USUBJID": ["1"] * 6, "PARAMCD": ["NEUT", "NEUT", "NEUT", "ALT", "ALT", "ALT"],
                          "ADT": dates("2025-01-02", "2025-01-03", "2025-01-04", "2025-01-02", "2025-01-03",
                                       "2025-01-04"),
                          "AVAL": [1.5, 0.4, 0.4, 30.0, 90.0, 60.0]})
    out = run("derive_var_worst_flag", frame, {"new_var": "WORS01FL", "worst_low": ["NEUT"], "worst_high": ["ALT"]})
    assert out["WORS01FL"].tolist() == [None, "Y", None, None, "Y", None]


def test_worst_flag_with_other_high_covers_unlisted_parameters_and_skips_nulls_and_filtered_records():
    frame = pd.DataFrame({"USUBJID": ["1"] * 4 + ["2"], "PARAMCD": ["PLAT"] * 3 + ["CRP", "PLAT"],
                          "ADT": dates("2025-01-01", "2025-01-05", "2025-01-09", "2025-01-05", "2025-01-05"),
                          "ATOXGRN": [4.0, 2.0, 3.0, np.nan, 1.0], "ONTRTFL": [None, "Y", "Y", "Y", "Y"]})
    out = run("derive_var_worst_flag", frame, {"new_var": "WORS01FL", "analysis_var": "ATOXGRN", "other": "high",
                                               "filter": {"ONTRTFL": "Y"}})
    # grade 4 is before treatment (filtered out); CRP has no grade; subject 2 has its own group
    assert out["WORS01FL"].tolist() == [None, None, "Y", None, "Y"]


def test_worst_flag_refuses_a_parameter_on_both_sides():
    with pytest.raises(ValueError, match="both in worst_high and worst_low"):
        run("derive_var_worst_flag", pd.DataFrame({"USUBJID": [], "PARAMCD": [], "ADT": [], "AVAL": []}),
            {"new_var": "WORS01FL", "worst_low": ["NEUT"], "worst_high": ["NEUT"]})


def test_param_is_the_test_with_its_unit_and_a_qualifier_makes_its_own_parameter():
    frame = pd.DataFrame({"LBTESTCD": ["NEUT", "BLASTLE", "BLASTLE", "CRP"],
                          "LBTEST": ["Neutrophils", "Blasts/Leukocytes", "Blasts/Leukocytes", "C Reactive Protein"],
                          "LBSTRESU": ["10^9/L", "%", "%", None],
                          "LBSPEC": ["BLOOD", "BLOOD", "BONE MARROW", "SERUM"]})
    out = run("derive_vars_param", frame, {"qualifiers": {"LBSPEC": {"BONE MARROW": "BM"}}})
    assert out["PARAMCD"].tolist() == ["NEUT", "BLASTLE", "BLASTLBM", "CRP"]
    assert out["PARAM"].tolist() == ["Neutrophils (10^9/L)", "Blasts/Leukocytes (%)",
                                     "Blasts/Leukocytes, Bone Marrow (%)", "C Reactive Protein"]


def test_a_filter_compares_with_another_variable_of_the_record():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "1", "1"], "PARAMCD": ["X"] * 4,
                          "ADTM": pd.to_datetime(pd.Series(["2025-01-01T08:00", "2025-01-02T09:00",
                                                            "2025-01-02T11:00", None])),
                          "TRTSDTM": pd.to_datetime(pd.Series(["2025-01-02T10:00"] * 4)),
                          "AVAL": [1.0, 2.0, 3.0, 4.0]})
    out = run("derive_var_extreme_flag", frame, {"new_var": "ABLFL", "by_vars": ["USUBJID", "PARAMCD"],
                                                 "order": ["ADTM"], "mode": "last",
                                                 "filter": {"ADTM": {"le": {"var": "TRTSDTM"}}}})
    assert out["ABLFL"].tolist() == [None, "Y", None, None]


def test_a_variable_comparison_takes_only_the_comparison_operators():
    with pytest.raises(ValueError, match="compare with another variable"):
        run("derive_var_flag", pd.DataFrame({"A": [1]}), {"new_var": "F", "condition": {"A": {"in": {"var": "B"}}}})


# --- the datasets of the example studies ------------------------------------------------------------------------

@pytest.fixture(scope="module", params=STUDIES)
def study(request, demo_out):
    sdtm, adam = demo_out / request.param / "sdtm", demo_out / request.param / "adam"
    return {"lb": _xpt(sdtm / "lb.xpt"), "adlb": _xpt(adam / "adlb.xpt"), "adsl": _xpt(adam / "adsl.xpt"),
            "folder": adam}


@pytest.mark.slow
def test_every_lb_test_with_a_result_is_a_parameter(study):
    lb, adlb = study["lb"], study["adlb"]
    analysed = lb[lb.USUBJID.isin(study["adsl"].USUBJID) & lb.LBSTRESC.notna()]
    assert len(adlb) == len(analysed)
    marrow = analysed.LBSPEC.eq("BONE MARROW")
    codes = _paramcd(analysed)
    names = analysed.LBTEST.where(~marrow, analysed.LBTEST + ", Bone Marrow")
    assert set(adlb.PARAMCD) == set(codes)
    assert adlb.groupby("PARAMCD").PARAM.nunique().eq(1).all()
    units = analysed.assign(CODE=codes, NAME=names).groupby("CODE")[["NAME", "LBSTRESU"]].first().dropna()
    for code, (name, unit) in units.iterrows():
        assert set(adlb.loc[adlb.PARAMCD.eq(code), "PARAM"]) == {f"{name} ({unit})"}


def _paramcd(lb: pd.DataFrame) -> pd.Series:
    """The parameter of each LB record: its test code, and for a bone-marrow result the code cut to 6 + "BM" (the
    ADLB spec's qualifier keeps marrow and blood results of one test apart)."""
    return lb.LBTESTCD.where(~lb.LBSPEC.eq("BONE MARROW"), lb.LBTESTCD.str.slice(0, 6) + "BM")


@pytest.mark.slow
def test_baseline_is_the_last_value_on_or_before_the_first_infusion_and_change_follows(study):
    lb, adlb, adsl = study["lb"], study["adlb"], study["adsl"]
    lb = lb[lb.LBSTRESN.notna()].merge(adsl[["USUBJID", "TRTSDTM"]], on="USUBJID")
    lb = lb.assign(LBTESTCD=_paramcd(lb))  # compared with ADLB's PARAMCD below
    when = pd.to_datetime(lb.LBDTC.where(lb.LBDTC.str.len() >= 10), format="ISO8601", errors="coerce")
    before = lb[when.le(lb.TRTSDTM)].assign(_t=when[when.le(lb.TRTSDTM)])
    expected = (before.sort_values(["USUBJID", "LBTESTCD", "_t", "LBSEQ"])
                .groupby(["USUBJID", "LBTESTCD"]).tail(1).set_index(["USUBJID", "LBTESTCD"]))
    flagged = adlb[adlb.ABLFL.eq("Y")].set_index(["USUBJID", "PARAMCD"])
    assert sorted(flagged.index) == sorted(expected.index)
    assert (flagged.LBSEQ == expected.loc[flagged.index, "LBSEQ"]).all()
    # a C1 D0 sample drawn after the infusion started is not baseline (the shipped data hold some)
    same_day_after = when.dt.normalize().eq(lb.TRTSDTM.dt.normalize()) & when.gt(lb.TRTSDTM)
    assert same_day_after.any()
    # BASE on every record of the subject's parameter; CHG and PCHG from it
    base = adlb.merge(flagged.AVAL.rename("EXPECTED").reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    assert np.allclose(base.BASE, base.EXPECTED, equal_nan=True)
    assert np.allclose(adlb.CHG, adlb.AVAL - adlb.BASE, equal_nan=True)
    has = adlb.BASE.notna() & adlb.BASE.ne(0) & adlb.AVAL.notna()
    assert np.allclose(adlb.PCHG[has], (adlb.AVAL - adlb.BASE)[has] / adlb.BASE[has].abs() * 100)
    assert adlb.loc[adlb.ABLFL.eq("Y"), "CHG"].eq(0).all()
    bnrind = adlb.merge(flagged.ANRIND.rename("B").reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    assert (bnrind.BNRIND.fillna("") == bnrind.B.fillna("")).all()


@pytest.mark.slow
def test_worst_post_baseline_grade_is_flagged_once_per_subject_and_graded_parameter(study):
    adlb = study["adlb"]
    start = study["adsl"].set_index("USUBJID").TRTSDTM.reindex(adlb.USUBJID).to_numpy()
    post = adlb[adlb.ONTRTFL.eq("Y") & adlb.ADTM.gt(start) & adlb.ATOXGRN.notna()]
    worst = post.groupby(["USUBJID", "PARAMCD"]).ATOXGRN.max()
    flagged = adlb[adlb.WORS01FL.eq("Y")].set_index(["USUBJID", "PARAMCD"])
    assert not flagged.index.duplicated().any()
    assert sorted(flagged.index) == sorted(worst.index)
    assert (flagged.ATOXGRN == worst.loc[flagged.index]).all()
    assert flagged.ATOXGRN.max() >= 3  # the studies' cytopenias reach grade 3-4
    assert adlb.loc[adlb.ATOXGRN.isna(), "WORS01FL"].isna().all()


@pytest.mark.slow
def test_on_treatment_runs_from_the_first_infusion_to_28_days_after_the_last(study):
    adlb = study["adlb"]
    adt, start, end = (pd.to_datetime(adlb[name]) for name in ("ADT", "TRTSDT", "TRTEDT"))
    on = adt.ge(start) & adt.le(end + pd.Timedelta(days=28))
    assert (adlb.ONTRTFL.eq("Y") == on).all()
    assert on.any() and (~on).any()


@pytest.mark.slow
def test_adlb_define_describes_each_parameter_and_the_validator_finds_nothing(study, demo_out):
    define = (study["folder"] / "define.xml").read_text(encoding="utf-8")
    for code in sorted(set(study["adlb"].PARAMCD)):
        assert f'IT.ADLB.AVAL.PARAMCD.{code}"' in define
    findings = pd.read_csv(study["folder"].parent / "adam-validation" / "findings.csv", dtype=str,
                           keep_default_na=False)
    assert findings[findings.dataset.eq("ADLB")].empty, findings[findings.dataset.eq("ADLB")].head()
