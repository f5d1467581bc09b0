"""Cellular kinetics: PC (transgene copies in study A, % chimerism in study B), ADPC and ADPP.

The NCA verb is checked on a small profile worked by hand; end to end, ``cdisc-convert demo`` output agrees with
the studies' known answers (``examples/<study>/expected/kinetics.csv``: per subject peak, its nominal day and
date). XPT files are read back with pyreadstat, not the writer.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from converters.adam.context import AdamContext
from converters.adam.derive_param_nca import Options as NcaOptions
from converters.adam.derive_param_nca import derive_param_nca
from converters.adam.derive_var_relative_time import Options as TimeOptions
from converters.adam.derive_var_relative_time import derive_var_relative_time

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")

#: subject A: pre-dose BLQ, rise to 30 at day 7, 5 at day 28.5 (the day-28 value is interpolated);
#: subject B: every sample below the LLOQ; subject C: quantifiable once, then below the LLOQ, and gone before day 28
PROFILE = pd.DataFrame({
    "STUDYID": "S",
    "USUBJID": ["A", "A", "A", "A", "A", "B", "B", "C", "C", "C"],
    "AVAL": [None, 10.0, 30.0, 30.0, 5.0, None, None, None, 8.0, None],
    "BLQFL": ["Y", None, None, None, None, "Y", "Y", "Y", None, "Y"],
    "AFRLT": [-0.2, 1.0, 7.0, 14.0, 28.5, -0.1, 7.0, -0.3, 3.0, 14.0],
})


def _nca(parameter: str, **extra) -> pd.Series:
    context = AdamContext(sdtm=None, built={"ADPC": PROFILE})  # type: ignore[arg-type]
    options = NcaOptions(dataset_add="ADPC", parameter=parameter, blq_var="BLQFL",
                         set_values_to={"PARAMCD": parameter}, **extra)
    empty = pd.DataFrame({"STUDYID": pd.Series(dtype=object), "USUBJID": pd.Series(dtype=object)})
    out = derive_param_nca(empty, options, context)
    assert set(out["PARAMCD"]) == {parameter}
    return out.set_index("USUBJID")["AVAL"]


def test_cmax_is_the_largest_quantifiable_value_and_tmax_its_first_time():
    assert _nca("CMAX").to_dict() == {"A": 30.0, "C": 8.0}
    assert _nca("TMAX").to_dict() == {"A": 7.0, "C": 3.0}


def test_last_quantifiable_level_and_its_time_ignore_later_blq_samples():
    assert _nca("CLST").to_dict() == {"A": 5.0, "C": 8.0}
    assert _nca("TLST").to_dict() == {"A": 28.5, "C": 3.0}


def test_auc_to_day_28_is_linear_trapezoidal_with_blq_as_zero_and_the_end_interpolated():
    # (0,0) (1,10) (7,30) (14,30) (28.5,5): 5 + 120 + 210 + 14 * (30 + c28) / 2, c28 = 30 - 25 * 14 / 14.5
    c28 = 30 - 25 * 14 / 14.5
    auc = _nca("AUCINT", interval=(0, 28))
    assert list(auc.index) == ["A"]  # B and C have no sample at or after day 28
    assert auc["A"] == pytest.approx(5 + 120 + 210 + 14 * (30 + c28) / 2)


def test_auc_needs_an_interval():
    with pytest.raises(ValueError, match="interval"):
        NcaOptions(dataset_add="ADPC", parameter="AUCINT", set_values_to={"PARAMCD": "AUCINT"})


def test_relative_time_is_fractional_and_negative_before_the_reference():
    frame = pd.DataFrame({"REF": pd.to_datetime(["2024-01-01T12:00"] * 2),
                          "ADTM": pd.to_datetime(["2024-01-01T06:00", "2024-01-08T18:00"])})
    context = AdamContext(sdtm=None)  # type: ignore[arg-type]
    out = derive_var_relative_time(frame, TimeOptions(new_var="AFRLT", start_date="REF", end_date="ADTM",
                                                      new_var_unit="RRLTU"), context)
    assert out["AFRLT"].tolist() == [-0.25, 7.25] and out["RRLTU"].tolist() == ["DAYS", "DAYS"]


def _xpt(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(path))
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype(object).where(frame[col] != "", None)
    return frame


@pytest.fixture(scope="module", params=STUDIES)
def built(request, demo_out):
    name = request.param
    expected = pd.read_csv(ROOT / "examples" / name / "expected" / "kinetics.csv", dtype=str, keep_default_na=False)
    folder = demo_out / name
    return (name, expected, _xpt(folder / "sdtm" / "pc.xpt"), _xpt(folder / "adam" / "adpc.xpt"),
            _xpt(folder / "adam" / "adpp.xpt"))


@pytest.mark.slow
def test_pc_keeps_below_lloq_results_as_collected_with_the_lloq(built):
    _, _, pc, _, _ = built
    blq = pc["PCORRES"].str.startswith("<")
    assert blq.any() and (~blq).any()
    assert pc.loc[blq, "PCSTRESN"].isna().all() and (pc.loc[blq, "PCSTRESC"] == pc.loc[blq, "PCORRES"]).all()
    assert pc.loc[~blq, "PCSTRESN"].notna().all() and pc["PCLLOQ"].notna().all()
    assert (pc.loc[~blq, "PCSTRESN"] >= pc.loc[~blq, "PCLLOQ"]).all()
    assert set(pc["PCTPTREF"]) == {"FIRST CAR-NK INFUSION"} and pc["PCRFTDTC"].notna().all()
    assert set(pc.loc[pc["PCTPTNUM"] == 0, "PCTPT"]) == {"PRE-DOSE"}
    assert pc.loc[pc["PCTPTNUM"] == 0, "PCELTM"].isna().all()
    later = pc[pc["PCTPTNUM"] > 0]
    assert (later["PCELTM"] == "P" + later["PCTPTNUM"].astype(int).astype(str) + "D").all()
    assert set(pc["PCSPEC"]) == {"BLOOD"}


@pytest.mark.slow
def test_chimerism_is_in_pc_not_in_lb(demo_out):
    lb = _xpt(demo_out / "cll1-aml" / "sdtm" / "lb.xpt")
    assert "DNRCHIM" not in set(lb["LBTESTCD"])


@pytest.mark.slow
def test_known_peaks_and_times_to_peak_agree_with_adpp(built):
    name, expected, _, adpc, adpp = built
    cmax = adpp[adpp["PARAMCD"] == "CMAX"].set_index("USUBJID")["AVAL"]
    tmax = adpp[adpp["PARAMCD"] == "TMAX"].set_index("USUBJID")["AVAL"]
    with_peak = expected[expected["PEAK"] != ""].set_index("USUBJID")
    assert len(with_peak) > 10, name
    assert set(cmax.index) == set(with_peak.index)
    assert (cmax.reindex(with_peak.index) == with_peak["PEAK"].astype(float)).all()
    # the sample at TMAX is the known peak sample: its nominal day and its date
    at_peak = adpc.merge(tmax.rename("TMAX").reset_index(), on="USUBJID")
    at_peak = at_peak[(at_peak["AFRLT"] - at_peak["TMAX"]).abs() < 1e-6].drop_duplicates("USUBJID")
    at_peak = at_peak.set_index("USUBJID").reindex(with_peak.index)
    assert (at_peak["NFRLT"].astype(int).astype(str) == with_peak["PEAK_NOMINAL_DAY"]).all()
    assert (pd.to_datetime(at_peak["ADT"]).dt.strftime("%Y-%m-%d") == with_peak["PEAK_DATE"]).all()


@pytest.mark.slow
def test_adpc_has_one_record_per_sample_with_nominal_and_actual_times(built):
    _, expected, pc, adpc, adpp = built
    assert len(adpc) == len(pc) == expected["N_SAMPLES"].astype(int).sum()
    assert (adpc["AVAL"].notna() | (adpc["BLQFL"] == "Y")).all()
    assert (adpc["AVAL"].notna().groupby(adpc["USUBJID"]).sum()
            == expected.set_index("USUBJID")["N_QUANTIFIABLE"].astype(int)).all()
    predose = adpc["NFRLT"] == 0
    assert predose.sum() == adpc["USUBJID"].nunique()  # one pre-dose sample per subject, before the infusion
    assert (adpc.loc[predose, "AFRLT"] < 0).all() and (adpc.loc[predose, "BLQFL"] == "Y").all()
    later = adpc[adpc["NFRLT"] > 0]
    assert ((later["AFRLT"] - later["NFRLT"]).abs() <= 4).all()
    assert set(adpp["PARAMCD"]) == {"CMAX", "TMAX", "CLST", "TLST", "AUCINT"}
