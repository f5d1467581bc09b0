"""RECIST 1.1 in ADaM (study A): ADTR's sum of diameters with baseline, nadir and percentage change, and ADRS's
component parameters, against the study's known answers (examples/carnk-sclc/expected/recist.csv)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from adam_fixtures import run

STUDY = "carnk-sclc"
ROOT = Path(__file__).resolve().parents[1]


def _read(folder: Path, name: str) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(folder / f"{name}.xpt"))
    return frame


@pytest.fixture(scope="module")
def adam(demo_out: Path) -> dict[str, pd.DataFrame]:
    return {name: _read(demo_out / STUDY / "adam", name) for name in ("adtr", "adrs")}


@pytest.fixture(scope="module")
def known() -> pd.DataFrame:
    return pd.read_csv(ROOT / "examples" / STUDY / "expected" / "recist.csv", dtype=str, keep_default_na=False)


# --- the verb ------------------------------------------------------------------------------------------------------

def test_nadir_is_the_smallest_earlier_value_baseline_included_and_null_on_the_first_record():
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1"] * 5 + ["2"] * 2, "PARAMCD": "SUMDIAM",
                          "ADT": pd.to_datetime(["2025-01-01", "2025-02-12", "2025-03-26", "2025-05-07", "2025-06-18",
                                                 "2025-01-05", "2025-02-16"]),
                          "AVAL": [50.0, 30.0, None, 40.0, 28.0, 20.0, 25.0]})
    out = run("derive_var_nadir", frame.iloc[::-1], {"filter": {"AVAL": {"notnull": True}}})
    nadir = out.sort_index()["NADIR"].tolist()
    assert np.isnan(nadir[0]) and nadir[1:5] == [50.0, 30.0, 30.0, 30.0]   # a missing sum is skipped, not a nadir
    assert np.isnan(nadir[5]) and nadir[6] == 20.0


# --- study A -------------------------------------------------------------------------------------------------------

def test_adtr_best_percentage_change_and_nadir_agree_with_known_answers(adam, known):
    adtr = adam["adtr"]
    assert set(adtr["PARAMCD"]) == {"SUMDIAM"}
    base = adtr[adtr["ABLFL"] == "Y"].set_index("USUBJID")["AVAL"]
    assert base.index.is_unique
    expected = known.set_index("USUBJID")
    assert (base.reindex(expected.index) == expected["BASELINE_SUM"].astype(float)).all()
    best = adtr[adtr["ANL02FL"] == "Y"].set_index("USUBJID")["PCHG"]
    assert best.index.is_unique
    with_change = expected[expected["BEST_PCHG"] != ""]
    assert len(with_change) > 30
    got = best.reindex(with_change.index).round(1)
    assert np.allclose(got, with_change["BEST_PCHG"].astype(float), atol=0.051), (got, with_change["BEST_PCHG"])
    assert best.index.isin(with_change.index).all()
    # the nadir of the last record is the smallest sum before it, and the known nadir is the smallest of all
    smallest = adtr.groupby("USUBJID")["AVAL"].min()
    assert (smallest.reindex(expected.index) == expected["NADIR"].astype(float)).all()
    post = adtr[adtr["ABLFL"] != "Y"]
    assert (post["NADIR"] <= post["BASE"]).all() and post["NADIR"].notna().all()
    above = post[post["NADIR"] > 0]             # a nadir of 0 mm (all lesions gone) has no percentage change
    assert np.allclose(above["PCHGNAD"], (above["AVAL"] - above["NADIR"]) / above["NADIR"] * 100)


def test_adrs_best_overall_response_and_components_agree_with_known_answers(adam, known):
    adrs = adam["adrs"]
    best = adrs[adrs["PARAMCD"] == "BESTRSP"].set_index("USUBJID")["AVALC"]
    expected = known.set_index("USUBJID")["BEST_RESPONSE"]
    assert (best.reindex(expected.index).fillna("NE") == expected).all()
    per_visit = adrs[adrs["PARAMCD"].isin(["OVR", "TRGRESP", "NTRGRESP", "NEWLPROG"])]
    counts = per_visit.groupby(["USUBJID", "ADT"])["PARAMCD"].nunique()
    assert (counts == 4).all()                   # every assessment carries the overall response and its components
    wide = per_visit.pivot_table(index=["USUBJID", "ADT"], columns="PARAMCD", values="AVALC", aggfunc="first")
    assert (wide.loc[wide["NEWLPROG"] == "Y", "OVR"] == "PD").all()
    assert (wide.loc[wide["TRGRESP"] == "PD", "OVR"] == "PD").all()
    assert set(wide["NTRGRESP"]) <= {"CR", "NON-CR/NON-PD", "PD", "NE"}


def test_adam_define_describes_the_new_parameters_by_paramcd(demo_out):
    define = (demo_out / STUDY / "adam" / "define.xml").read_text(encoding="utf-8")
    assert 'ValueListDef OID="VL.ADTR.AVAL"' in define
    assert 'WhereClauseDef OID="WC.ADTR.AVAL.PARAMCD.SUMDIAM"' in define
    for param in ("TRGRESP", "NTRGRESP", "NEWLPROG"):
        assert f'WhereClauseDef OID="WC.ADRS.AVALC.PARAMCD.{param}"' in define, param
