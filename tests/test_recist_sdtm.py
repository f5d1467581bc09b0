"""RECIST 1.1 in study A: every time point's responses recomputed from the built TU and TR agree with RS.

The rules below are written as RECIST 1.1 states them (Eisenhauer et al., Eur J Cancer 2009;45:228-247,
sections 4.3.1-4.3.4 and table 1), one assessment at a time, independent of the generator's vectorised code.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

STUDY = "carnk-sclc"


def _read(folder: Path, name: str) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(folder / f"{name}.xpt"))
    return frame


@pytest.fixture(scope="module")
def sdtm(demo_out: Path) -> dict[str, pd.DataFrame]:
    folder = demo_out / STUDY / "sdtm"
    return {name: _read(folder, name) for name in ("tu", "tr", "rs", "relrec")}


def is_node(location: str) -> bool:
    return "LYMPH NODE" in location


def target_response(diameters: dict[str, float | None], nodes: set[str], baseline_sum: float,
                    nadir: float) -> str:
    """RECIST 1.1 4.3.1 for one time point; ``diameters`` maps each target lesion to its diameter (None: not measured)."""
    measured = [d for d in diameters.values() if d is not None]
    total = sum(measured)
    if total - nadir >= 0.2 * nadir and total - nadir >= 5:
        return "PD"                              # at least +20 % and +5 mm over the smallest sum so far
    if len(measured) < len(diameters):
        return "NE"                              # a lesion not assessed, and no progression by the others
    if all((d < 10) if lesion in nodes else (d == 0) for lesion, d in diameters.items()):
        return "CR"                              # all non-nodal lesions gone, every node < 10 mm short axis
    if total <= 0.7 * baseline_sum:
        return "PR"                              # at least 30 % below the baseline sum
    return "SD"


def non_target_response(states: list[str]) -> str:
    """RECIST 1.1 4.3.2: unequivocal progression; all gone (nodes non-pathological); or neither."""
    if "UNEQUIVOCAL" in states:
        return "PD"
    if any(state in ("", "NE") for state in states):
        return "NE"
    if all(state in ("ABSENT", "NON-PATHOLOGICAL") for state in states):
        return "CR"
    return "NON-CR/NON-PD"


def overall_response(target: str, non_target: str, new_lesion: bool) -> str:
    """RECIST 1.1 table 1 (patients with target disease)."""
    if target == "PD" or non_target == "PD" or new_lesion:
        return "PD"
    if target == "CR":
        return "CR" if non_target == "CR" else "PR"
    if target == "PR":
        return "PR"
    if target == "SD":
        return "SD"
    return "NE"


def recompute(tu: pd.DataFrame, tr: pd.DataFrame) -> pd.DataFrame:
    """Per subject and assessment (TRLNKGRP): the responses RECIST 1.1 gives from the lesion records."""
    role = tu.set_index(["USUBJID", "TULNKID"])["TUSTRESC"]
    nodal = {key for key, loc in tu.set_index(["USUBJID", "TULNKID"])["TULOC"].items() if is_node(loc)}
    out = []
    for subject, records in tr.sort_values(["TRDTC", "TRSEQ"]).groupby("USUBJID", sort=False):
        baseline_sum: float | None = None
        nadir: float | None = None
        for group, rec in records.groupby("TRLNKGRP", sort=False):
            lesions = rec[rec["TRLNKID"] != ""]
            kind = pd.Series([role[(subject, link)] for link in lesions["TRLNKID"]], index=lesions.index, dtype=object)
            ldiam = lesions[(kind == "TARGET").to_numpy() & (lesions["TRTESTCD"] == "LDIAM").to_numpy()]
            diameters = {link: (None if pd.isna(v) else float(v))
                         for link, v in zip(ldiam["TRLNKID"], ldiam["TRSTRESN"])}
            nodes = {link for link in diameters if (subject, link) in nodal}
            states = lesions[(kind == "NON-TARGET").to_numpy()]["TRSTRESC"].tolist()
            new = lesions[(kind == "NEW").to_numpy() & (lesions["TRSTRESC"] == "UNEQUIVOCAL").to_numpy()]
            total = sum(d for d in diameters.values() if d is not None)
            complete = all(d is not None for d in diameters.values())
            if baseline_sum is None:                       # the first assessment is the baseline (screening)
                assert group == "SCREENING" and complete
                baseline_sum = nadir = total
                continue
            assert nadir is not None
            target = target_response(diameters, nodes, baseline_sum, nadir)
            non_target = non_target_response(states)
            out.append({"USUBJID": subject, "LNKGRP": group, "TRGRESP": target, "NTRGRESP": non_target,
                        "NEWLPROG": "Y" if len(new) else "N",
                        "OVRLRESP": overall_response(target, non_target, bool(len(new)))})
            if complete:
                nadir = min(nadir, total)
    return pd.DataFrame(out)


def test_every_assessment_of_study_a_agrees_with_recist_recomputed_from_tu_and_tr(sdtm):
    expected = recompute(sdtm["tu"], sdtm["tr"])
    rs = sdtm["rs"].pivot(index=["USUBJID", "RSLNKGRP"], columns="RSTESTCD", values="RSSTRESC").reset_index()
    both = expected.merge(rs, left_on=["USUBJID", "LNKGRP"], right_on=["USUBJID", "RSLNKGRP"], how="outer",
                          suffixes=("", "_RS"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    assert len(both) > 150
    for test in ("TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP"):
        differ = both[both[test] != both[f"{test}_RS"]]
        assert differ.empty, differ[["USUBJID", "LNKGRP", test, f"{test}_RS"]]
    # the study exercises every branch of the table
    assert set(both["OVRLRESP"]) == {"CR", "PR", "SD", "PD", "NE"}
    assert {"PD", "CR", "NON-CR/NON-PD"} <= set(both["NTRGRESP"]) and (both["NEWLPROG"] == "Y").any()


def test_sum_of_diameters_is_the_sum_of_the_target_lesions(sdtm):
    tr = sdtm["tr"]
    ldiam = tr[tr["TRTESTCD"] == "LDIAM"]
    sums = tr[tr["TRTESTCD"] == "SUMDIAM"].set_index(["USUBJID", "TRLNKGRP"])["TRSTRESN"]
    measured = ldiam.groupby(["USUBJID", "TRLNKGRP"])["TRSTRESN"].agg(lambda v: v.sum() if v.notna().all() else None)
    pd.testing.assert_series_equal(measured.reindex(sums.index).astype(float), sums.astype(float), check_names=False)


def test_target_lesions_at_screening_follow_recist_selection(sdtm):
    tu, tr = sdtm["tu"], sdtm["tr"]
    target = tu[tu["TUSTRESC"] == "TARGET"]
    per_subject = target.groupby("USUBJID").size()
    assert per_subject.between(1, 5).all()
    organ = target["TULOC"].where(~target["TULOC"].map(is_node), "LYMPH NODE")
    assert target.assign(organ=organ).groupby(["USUBJID", "organ"]).size().max() <= 2
    base = tr[(tr["TRLNKGRP"] == "SCREENING") & (tr["TRTESTCD"] == "LDIAM")].merge(
        target, left_on=["USUBJID", "TRLNKID"], right_on=["USUBJID", "TULNKID"])
    nodes = base["TULOC"].map(is_node)
    assert (base.loc[nodes, "TRSTRESN"] >= 15).all() and (base.loc[~nodes, "TRSTRESN"] >= 10).all()
    assert set(tu["TUSTRESC"]) == {"TARGET", "NON-TARGET", "NEW"}
    assert tu["TUMETHOD"].isin(["CT SCAN", "MRI"]).all() and (tu["TULOC"] != "").all()


def test_each_lesion_has_its_own_baseline_the_screening_record(sdtm):
    """SDTMIG 3.4 --LOBXFL per subject and test, and in TU and TR per lesion: every lesion identified at screening is
    flagged in TU, its screening measurement in TR (and the screening sum of diameters); no new lesion, no later
    assessment."""
    tu, tr = sdtm["tu"], sdtm["tr"]
    baseline_tu = tu["TULOBXFL"] == "Y"
    assert (baseline_tu == tu["TUSTRESC"].isin(["TARGET", "NON-TARGET"])).all()
    flagged = tr[tr["TRLOBXFL"] == "Y"]
    assert (flagged["TRLNKGRP"] == "SCREENING").all()
    assert not flagged.duplicated(["USUBJID", "TRTESTCD", "TRLNKID"]).any()
    screened = tr[(tr["TRLNKGRP"] == "SCREENING") & (tr["TRORRES"] != "")]
    assert set(zip(screened["USUBJID"], screened["TRTESTCD"], screened["TRLNKID"])) == set(
        zip(flagged["USUBJID"], flagged["TRTESTCD"], flagged["TRLNKID"]))


def test_one_baseline_per_lesion_is_not_a_duplicate_but_two_for_one_lesion_are():
    from converters.validate import validate_study
    from validate_fixtures import build, clean_study

    fx = clean_study()
    fx.frames["TR"] = build("TR", [
        {"USUBJID": usubjid, "TRSEQ": seq, "TRLNKID": lesion, "TRTESTCD": "LDIAM", "TRTEST": "Longest Diameter",
         "TRORRES": "20", "TRSTRESC": "20", "TRSTRESN": 20, "TRLOBXFL": "Y", "TRDTC": "2024-01-05"}
        for usubjid, seq, lesion in [("S-1", 1, "T01"), ("S-1", 2, "T02")]])
    found = validate_study(fx.study(), strict=True, select=["ID0026"]).findings
    assert "ID0026" not in set(found["rule"])
    fx.set("TR", 1, TRLNKID="T01")
    found = validate_study(fx.study(), strict=True, select=["ID0026"]).findings
    assert list(found.loc[found["dataset"] == "TR", "record"]) == [1, 2]


def test_relrec_links_lesions_to_results_and_results_to_responses(sdtm):
    rel = sdtm["relrec"]
    dataset_level = rel[rel["USUBJID"] == ""]
    rows = set(zip(dataset_level["RDOMAIN"], dataset_level["IDVAR"], dataset_level["RELTYPE"], dataset_level["RELID"]))
    assert {("TU", "TULNKID", "ONE", "TUTR"), ("TR", "TRLNKID", "MANY", "TUTR"),
            ("RS", "RSLNKGRP", "ONE", "RSTR"), ("TR", "TRLNKGRP", "MANY", "RSTR")} <= rows
    tu, tr, rs = sdtm["tu"], sdtm["tr"], sdtm["rs"]
    lesions = set(zip(tu["USUBJID"], tu["TULNKID"]))
    assert set(zip(tr["USUBJID"], tr["TRLNKID"])) - {(s, "") for s in tr["USUBJID"]} <= lesions
    assert set(zip(rs["USUBJID"], rs["RSLNKGRP"])) <= set(zip(tr["USUBJID"], tr["TRLNKGRP"]))


def test_recist_rules_by_example():
    assert target_response({"T01": 50.0}, set(), 50, 40) == "PD"          # +10 mm over the nadir of 40: +25 %
    assert target_response({"T01": 11.0}, set(), 10, 10) == "SD"          # +10 % over the nadir: not PD
    assert target_response({"T01": 14.0}, set(), 10, 10) == "SD"          # +40 % but only +4 mm: not PD
    assert target_response({"T01": 0.0, "T02": 9.0}, {"T02"}, 60, 40) == "CR"
    assert target_response({"T01": 35.0}, set(), 50, 50) == "PR"
    assert target_response({"T01": None, "T02": 10.0}, set(), 50, 40) == "NE"
    assert target_response({"T01": None, "T02": 60.0}, set(), 50, 40) == "PD"
    assert overall_response("CR", "NON-CR/NON-PD", False) == "PR"
    assert overall_response("CR", "CR", True) == "PD"
    assert overall_response("NE", "NON-CR/NON-PD", False) == "NE"
