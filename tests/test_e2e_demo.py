"""End to end: ``cdisc-convert demo`` on both example studies, checked against the studies' known answers.

The XPT files are read back with pandas' own XPORT reader (not the library that wrote them).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.standards import ct, sdtmig

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")
DATASETS = ("dm", "suppdm", "ae", "suppae", "ex", "suppex", "rs", "ds")
ISO8601 = re.compile(r"^(\d{4}|-)(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:(\d{2}|-))?)?)?)?)?$")
#: best-to-worst response order: SDTM RSSTRESC -> the abbreviation the known answers use
RESPONSE_ORDER = {
    "carnk-sclc": [("CR", "CR"), ("PR", "PR"), ("SD", "SD"), ("PD", "PD"), ("NE", "NE")],
    "cll1-aml": [("CR", "CR"), ("CRh", "CRh"), ("CRi", "CRi"), ("MORPHOLOGIC LEUKEMIA-FREE STATE", "MLFS"),
                 ("PR", "PR"), ("NR", "NR"), ("PD", "PD"), ("RELAPSED DISEASE", "RELAPSE"), ("NE", "NE")],
}


def _xpt(folder: Path, name: str) -> pd.DataFrame:
    frame = pd.read_sas(folder / f"{name}.xpt", format="xport", encoding="utf-8")
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].replace("", None)
    return frame


def _json(folder: Path, name: str) -> tuple[dict, pd.DataFrame]:
    doc = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    columns = [c["name"] for c in doc["columns"]]
    return doc, pd.DataFrame(doc["rows"], columns=columns)


@pytest.fixture(scope="module", params=STUDIES)
def study(request, demo_out):
    name = request.param
    folder = demo_out / name / "sdtm"
    frames = {d: _json(folder, d)[1] for d in DATASETS}
    expected = pd.read_csv(ROOT / "examples" / name / "expected" / "subjects.csv", dtype=str, keep_default_na=False)
    return name, folder, frames, expected


def test_every_dataset_is_written_as_xpt_and_dataset_json(study):
    _, folder, _, _ = study
    for d in DATASETS:
        assert (folder / f"{d}.xpt").is_file() and (folder / f"{d}.json").is_file()
    for f in ("rejections.csv", "build-summary.csv", "metadata.json"):
        assert (folder / f).is_file()


def test_xpt_and_dataset_json_hold_the_same_records(study):
    _, folder, frames, _ = study
    for d in DATASETS:
        xpt = _xpt(folder, d)
        assert list(xpt.columns) == list(frames[d].columns)
        assert len(xpt) == len(frames[d])


def test_dm_has_one_record_per_subject_and_every_subject_is_known(study):
    _, _, frames, expected = study
    dm = frames["dm"]
    assert dm["USUBJID"].is_unique
    assert set(dm["USUBJID"]) == set(expected["USUBJID"])
    for d in DATASETS[1:]:
        assert set(frames[d]["USUBJID"]) <= set(dm["USUBJID"]), d


def test_seq_is_unique_per_subject(study):
    _, _, frames, _ = study
    for d in ("ae", "ex", "rs", "ds"):
        seq = f"{d.upper()}SEQ"
        assert not frames[d].duplicated(["USUBJID", seq]).any(), d


def test_variables_match_sdtmig_labels_types_and_order(study):
    _, folder, frames, _ = study
    for d in DATASETS:
        doc, _ = _json(folder, d)
        standard = {v.name: v for v in sdtmig.variables(d.upper())}
        order = [standard[c["name"]].order for c in doc["columns"]]
        assert order == sorted(order), d
        for c in doc["columns"]:
            sv = standard[c["name"]]
            assert c["label"] == sv.label, (d, c["name"])
            assert (c["dataType"] in ("integer", "float", "double", "decimal")) == (sv.type == "Num"), (d, c["name"])
        names = {c["name"] for c in doc["columns"]}
        for sv in standard.values():
            if sv.core in ("Req", "Exp"):
                assert sv.name in names, (d, sv.name)
            if sv.core == "Req":
                assert frames[d][sv.name].notna().all(), (d, sv.name)


def test_ct_values_are_submission_values_or_recorded_extensions(study):
    _, folder, frames, _ = study
    meta = json.loads((folder / "metadata.json").read_text())["study"]
    extended = {(c["name"], t["submission_value"]) for c in meta["codelists"] for t in c["terms"] if t["extended"]}
    dictionaries = {c["name"] for c in meta["codelists"] if c.get("dictionary")}  # MedDRA, ISO 3166: not CT
    for ds in meta["datasets"]:
        frame = frames.get(ds["name"].lower())
        if frame is None:
            continue
        for var in ds["variables"]:
            if not var["codelist"] or var["name"] not in frame or var["codelist"] in dictionaries:
                continue
            info = ct.codelist(var["codelist"])
            for value in frame[var["name"]].dropna().unique():
                ok = value in info.submission_values or (
                    (info.name, value) in extended and (info.extensible or (info.name, value) == ("RACE", "MULTIPLE")))
                assert ok, (ds["name"], var["name"], value)


def test_every_dtc_is_iso8601_and_study_days_agree_with_rfstdtc(study):
    _, _, frames, _ = study
    rf = frames["dm"].set_index("USUBJID")["RFSTDTC"]
    for d, frame in frames.items():
        for col in [c for c in frame.columns if c.endswith("DTC")]:
            values = frame[col].dropna()
            assert values.map(lambda v: bool(ISO8601.match(v))).all(), (d, col)
            dy = col[:-3] + "DY"
            if dy in frame:
                start = pd.to_datetime(frame["USUBJID"].map(rf).str.slice(0, 10), errors="coerce")
                day = pd.to_datetime(frame[col].where(frame[col].str.len() >= 10).str.slice(0, 10), errors="coerce")
                diff = (day - start).dt.days
                want = diff.where(diff < 0, diff + 1)
                got = pd.to_numeric(frame[dy])
                assert ((want == got) | (want.isna() & got.isna())).all(), (d, dy)
                assert not (got == 0).any()


def test_subjects_arms_and_reference_dates_agree_with_known_answers(study):
    _, _, frames, expected = study
    dm = frames["dm"].set_index("USUBJID")
    exp = expected.set_index("USUBJID")
    sf = exp["STATUS"] == "SCREEN FAILURE"
    assert (dm.loc[sf.index[sf], "ARMNRS"] == "SCREEN FAILURE").all()
    assert dm.loc[sf.index[sf], "ARMCD"].isna().all()
    treated = exp["STATUS"] == "TREATED"
    assert (dm.loc[exp.index[treated], "ARMCD"] == exp.loc[treated, "ARMCD"]).all()
    assert (dm.loc[exp.index[treated], "ACTARMCD"] == exp.loc[treated, "ARMCD"]).all()
    assert (dm.loc[exp.index[treated], "RFSTDTC"].str.slice(0, 10) == exp.loc[treated, "FIRST_DOSE_DATE"]).all()
    assert (dm.loc[exp.index[treated], "RFXSTDTC"].str.slice(0, 10) == exp.loc[treated, "LD_FIRST_DATE"]).all()
    assert (dm["DTHDTC"].fillna("") == exp.loc[dm.index, "DEATH_DATE"]).all()
    assert ((dm["DTHFL"] == "Y") == (exp.loc[dm.index, "DEATH_DATE"] != "")).all()


def test_every_subject_has_an_end_of_participation_and_the_ongoing_ones_their_last_contact(study):
    """SDTMIG 3.4 RFPENDTC: the last known contact. Subjects ongoing at the cut-off (END_REASON ONGOING) have
    the latest date of their collected data, after their last dose and not after the cut-off; TS SENDTC is not
    yet available while any subject is ongoing."""
    name, folder, frames, expected = study
    dm = frames["dm"].set_index("USUBJID")
    exp = expected.set_index("USUBJID")
    assert dm["RFPENDTC"].notna().all()
    ended = exp.index[exp["END_REASON"] != "ONGOING"]
    assert (dm.loc[ended, "RFPENDTC"] >= dm.loc[ended, "RFICDTC"].str.slice(0, 10)).all()
    ongoing = exp.index[exp["END_REASON"] == "ONGOING"]
    cutoff = {"carnk-sclc": "2026-06-30", "cll1-aml": "2026-09-30"}[name]
    last = dm.loc[ongoing, "RFPENDTC"]
    assert last.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and (last <= cutoff).all()
    assert (last >= exp.loc[ongoing, "LAST_DOSE_DATE"]).all()
    seen = pd.concat([frames[d][["USUBJID", c]].set_axis(["USUBJID", "date"], axis=1)
                      for d in ("rs", "ex", "ds") for c in frames[d].columns if c.endswith("DTC")])
    seen = seen[seen["USUBJID"].isin(ongoing)].dropna()
    assert (seen.groupby("USUBJID")["date"].max().str.slice(0, 10) <= last.reindex(
        seen["USUBJID"].unique())).all()
    ts = _json(folder, "ts")[1].set_index("TSPARMCD")
    if len(ongoing):
        assert ts.loc["SENDTC", "TSVALNF"] == "NAV" and pd.isna(ts.loc["SENDTC", "TSVAL"])
    else:
        assert ts.loc["SENDTC", "TSVAL"] == dm["RFPENDTC"].str.slice(0, 10).max()


def test_doses_agree_with_known_answers(study):
    _, _, frames, expected = study
    ex = frames["ex"]
    cells = ex[ex["EXDOSU"] == "10^6 Therapeutic Cells"]
    treated = expected[expected["STATUS"] == "TREATED"].set_index("USUBJID")
    counts = cells.groupby("USUBJID").size()
    # EXDOSE is the dose received (10^6 cells); an incomplete infusion gives less than the planned cells
    planned = cells["USUBJID"].map(treated["CELLS_PER_INFUSION"].astype(float))
    assert (cells["EXDOSE"] * 10 ** 6 <= planned).all()
    complete = cells[cells["EXADJ"].isna() | (cells["EXADJ"] != "INFUSION INCOMPLETE")]
    dose = complete.groupby("USUBJID")["EXDOSE"].max() * 10 ** 6
    # a deliberately duplicated infusion row is dropped, so counts match the known answers exactly
    assert (counts.reindex(treated.index).fillna(0).astype(int) == treated["N_INFUSIONS"].astype(int)).all()
    assert (dose == treated["CELLS_PER_INFUSION"].astype(float).reindex(dose.index)).all()


def test_every_exposure_record_has_its_cycle_and_day_in_suppex(study):
    _, _, frames, _ = study
    ex, supp = frames["ex"], frames["suppex"]
    for qnam in ("CYCLE", "CYDAY"):
        linked = supp[supp["QNAM"] == qnam].assign(EXSEQ=lambda f: f["IDVARVAL"].astype(float))
        assert len(ex.merge(linked, on=["USUBJID", "EXSEQ"])) == len(ex), qnam


def test_dlt_flags_and_crs_icans_grades_agree_with_known_answers(study):
    _, _, frames, expected = study
    ae, supp = frames["ae"], frames["suppae"]
    treated = expected[expected["STATUS"] == "TREATED"].set_index("USUBJID")
    dlt = supp[(supp["QNAM"] == "AEDLT") & (supp["QVAL"] == "Y")].groupby("USUBJID").size()
    assert (dlt.reindex(treated.index).fillna(0).astype(int) == treated["DLT_COUNT"].astype(int)).all()
    scale = supp[supp["QNAM"] == "AETOXSCL"].assign(AESEQ=lambda f: f["IDVARVAL"].astype(float))
    graded = ae.merge(scale[["USUBJID", "AESEQ", "QVAL"]], on=["USUBJID", "AESEQ"])
    for term, column in (("Cytokine release syndrome", "WORST_CRS_GRADE"),
                         ("Immune effector cell-associated neurotoxicity syndrome", "WORST_ICANS_GRADE")):
        events = graded[graded["AEDECOD"] == term]
        assert (events["QVAL"] == "ASTCT 2019").all(), term
        worst = events.groupby("USUBJID")["AETOXGR"].max()
        assert (worst.reindex(treated.index).fillna("0").astype(int) == treated[column].astype(int)).all(), column


def test_best_responses_agree_with_known_answers(study):
    name, folder, frames, expected = study
    rs = frames["rs"]
    rs = rs[rs["RSTESTCD"] == "OVRLRESP"]     # the overall response (RS also holds its RECIST 1.1 components)
    rank = {sdtm: i for i, (sdtm, _) in enumerate(RESPONSE_ORDER[name])}
    abbr = {i: a for i, (_, a) in enumerate(RESPONSE_ORDER[name])}
    rejected = pd.read_csv(folder / "rejections.csv", dtype=str)
    touched = set(rejected.loc[rejected["domain"] == "RS", "row"])
    best = rs.assign(rank=rs["RSSTRESC"].map(rank)).groupby("USUBJID")["rank"].min().map(abbr)
    treated = expected[expected["STATUS"] == "TREATED"].set_index("USUBJID")
    got = best.reindex(treated.index).fillna("NE")
    mismatch = got != treated["BEST_RESPONSE"]
    # only a subject whose response record was deliberately spoiled may differ
    assert mismatch.sum() <= len(touched)


def test_every_deliberate_problem_is_in_the_rejection_log(study):
    name, folder, _, _ = study
    problems = pd.read_csv(ROOT / "examples" / name / "expected" / "problems.csv", dtype=str, keep_default_na=False)
    log = pd.read_csv(folder / "rejections.csv", dtype=str, keep_default_na=False)
    for p in problems.itertuples():
        hits = log[(log["source"] == p.file) & (log["row"] == p.row)]
        assert not hits.empty, p
        if p.problem in ("impossible_date", "stop_before_start", "unknown_subject", "duplicate"):
            assert p.column in set(hits["column"]), p


def test_counts_add_up(study):
    _, folder, _, _ = study
    summary = pd.read_csv(folder / "build-summary.csv", keep_default_na=False)
    main = summary[summary["note"] == ""]
    assert (main["rows_read"] == main["filtered"] + main["records_written"] + main["rows_rejected"]).all()
    log = pd.read_csv(folder / "rejections.csv", dtype=str, keep_default_na=False)
    for d in main.itertuples():
        entries = log[log["domain"] == d.domain]
        assert d.filtered == entries["action"].isin(["excluded by spec filter", "excluded by design"]).sum(), d
        assert d.rows_rejected == (entries["action"] == "record dropped").sum(), d


def test_filtered_rows_are_logged_with_the_spec_line_and_condition_after_the_problems(study):
    _, folder, _, _ = study
    log = pd.read_csv(folder / "rejections.csv", dtype=str, keep_default_na=False)
    excluded = log[log["action"] == "excluded by spec filter"]
    assert excluded["reason"].str.match(r"^sdtm/\w+\.yaml:\d+: the filter \(.+\) does not hold$").all()
    problem = log["action"].isin(["record dropped", "value set to null", "lookup row ignored"]).tolist()
    assert not excluded.empty and problem == sorted(problem, reverse=True)  # problems first


def test_the_demo_table_shows_filtered_and_rejected_counts_that_add_up(study, demo_out):
    name, folder, _, _ = study
    text = (demo_out / "demo-output.txt").read_text(encoding="utf-8")
    summary = pd.read_csv(folder / "build-summary.csv", keep_default_na=False)
    lines = [line.split() for line in text.splitlines() if line.startswith(name + " ")]
    shown = {cells[1]: cells[2:] for cells in lines}
    assert "Filtered" in text and "Rejected" in text
    for d in summary[summary["note"] == ""].itertuples():
        read, records, filtered, rejected = (int(v) for v in shown[d.domain][:4])
        assert (read, records, filtered, rejected) == (d.rows_read, d.records_written, d.filtered, d.rows_rejected)
        assert read == records + filtered + rejected


def test_demo_output_is_byte_identical_when_run_again(demo_out, tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for study in ("carnk-sclc", "cll1-aml"):
        for folder in ("sdtm", "sdtm-validation"):
            for path in sorted((demo_out / study / folder).iterdir()):
                again = tmp_path / study / folder / path.name
                assert path.read_bytes() == again.read_bytes(), f"{study}/{folder}/{path.name}"


def test_demo_finds_the_studies_through_converters_shipped():
    from converters.commands import demo as demo_command
    from converters.shipped import EXAMPLE_STUDIES

    assert not hasattr(demo_command, "STUDIES") and not hasattr(demo_command, "shipped_root")
    for name in EXAMPLE_STUDIES:
        mappings, raw = demo_command.shipped_study(name)
        assert (mappings / "study.yaml").is_file() and raw.is_dir()


def test_demo_without_installed_raw_exports_stops_with_a_clear_error(monkeypatch, tmp_path):
    from converters.commands import demo as demo_command

    monkeypatch.setattr(demo_command, "study_raw", lambda study: tmp_path / "missing" / study)
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "has no raw exports in this installation" in result.output and str(tmp_path / "missing") in result.output
