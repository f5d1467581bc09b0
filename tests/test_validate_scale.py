"""The validator at scale: one dataset at a time gives the findings that all datasets held at once give."""
from __future__ import annotations

import pandas as pd
import pytest
from validate_fixtures import clean_study, write_folder

from converters.validate.catalog import rules_for
from converters.validate.data import load_folder
from converters.validate.engine import _to_frame, applicable, empty_findings, run_rules
from converters.validate.model import SEVERITY_RANK, Hits, Rule


def _defective_folder(tmp_path):
    """The clean study with defects that single-dataset and cross-dataset rules report."""
    fixture = clean_study()
    ae, dm = fixture.frames["AE"], fixture.frames["DM"]
    ae.loc[0, "AESEV"] = "Mild"  # CT
    ae.loc[1, "AESTDTC"] = "2025-02-30"  # an impossible date
    dm.loc[0, "RFSTDTC"] = "2025-03-01"  # after first exposure (cross-dataset)
    return write_folder(fixture, tmp_path / "sdtm")


def _all_at_once(study, rules) -> pd.DataFrame:
    """The findings of every rule run on every dataset in turn, all datasets held (the order of work before)."""
    batches = []
    for item in rules:
        targets = [None] if item.study_level else [ds for ds in study.datasets.values()
                                                   if applicable(item, ds, study.standard)]
        for ds in targets:
            batches += [_to_frame(item, study, hits) for hits in item.check(study, ds) or ()]
    batches = [b for b in batches if len(b)]
    findings = pd.concat(batches, ignore_index=True) if batches else empty_findings()
    findings["_rank"] = findings["severity"].map(SEVERITY_RANK)
    return findings.sort_values(["_rank", "rule", "dataset", "record"], kind="stable",
                                na_position="first").drop(columns="_rank").reset_index(drop=True)


def test_one_dataset_at_a_time_gives_the_findings_of_all_at_once(tmp_path):
    folder = _defective_folder(tmp_path)
    held = load_folder(folder, codes=True)
    rules = rules_for(held.standard, with_define=False)
    expected = _all_at_once(held, rules)
    assert {"CT0003", "DT0001", "CR0014"} <= set(expected["rule"])  # the planted defects: CT, a date, cross-dataset
    # every dataset released after its rules and read again whenever a later rule asks for it
    released = load_folder(folder, codes=True, release_over=0)
    got = run_rules(released, rules, strict=True).findings
    pd.testing.assert_frame_equal(got, expected)
    assert not any(ds.held and ds.reload is not None and ds.reloads == 0 for ds in released.datasets.values())


@pytest.mark.parametrize("keep", [0, 64 * 2**20])
def test_small_frames_kept_past_their_turn_give_the_same_findings(tmp_path, monkeypatch, keep):
    """Small datasets stay held after their turn (within KEEP_BYTES) for the cross-dataset rules of those after
    them: none is read again, and the findings are those of every dataset held; without that room, the rules read
    DM and the others again, with the same findings."""
    import converters.validate.engine as engine

    monkeypatch.setattr(engine, "KEEP_BYTES", keep)
    folder = _defective_folder(tmp_path)
    rules = rules_for("sdtmig-3.4", with_define=False)
    expected = _all_at_once(load_folder(folder, codes=True), rules)
    study = load_folder(folder, codes=True, release_over=2**30)  # every frame can be released, none is at load
    got = run_rules(study, rules, strict=True).findings
    pd.testing.assert_frame_equal(got, expected)
    reads = sum(ds.reloads for ds in study.datasets.values())
    assert (reads == 0) if keep else (reads > 0)
    assert not any(ds.held for ds in study.datasets.values() if ds.reloads == 0)  # all released at the end


def test_a_released_dataset_keeps_its_size_columns_and_types(tmp_path):
    folder = _defective_folder(tmp_path)
    held = load_folder(folder, codes=True).get("AE")
    ae = load_folder(folder, codes=True, release_over=0).get("AE")  # released as soon as read
    assert not ae.held and len(ae) == len(held.frame) and ae.columns == list(held.frame.columns)
    assert ae.has("--STDTC") and ae.is_numeric("AESEQ") and not ae.is_numeric("AETERM") and ae.domain == "AE"
    assert ae.reloads == 0  # questions about its shape need no read
    assert ae.text("AETERM").tolist() == held.text("AETERM").tolist()
    assert ae.held and ae.reloads == 1
    ae.release()
    assert not ae.held and not ae._cache


def test_a_rule_that_fails_keeps_what_it_found_before_and_nothing_after(tmp_path):
    """As when rules ran one after another over the datasets in the folder's order: the datasets before the one it
    failed on keep their findings, the error is the one on that dataset."""
    study = load_folder(_defective_folder(tmp_path), codes=True, release_over=0)
    seen: list[str] = []

    def check(_study, ds):
        seen.append(ds.name)
        if ds.name in ("DM", "TS"):
            raise ValueError(f"broken on {ds.name}")
        yield Hits(dataset=ds.name, variables=("STUDYID",), value="x")

    item = Rule(id="ZZ0001", severity="Error", title="t", message="m", citation="c", check=check, standard="any")
    result = run_rules(study, [item])
    names = list(study.datasets)
    assert sorted(seen) == sorted(names)
    assert result.findings["dataset"].tolist() == names[:names.index("DM")]
    assert result.rule_errors == {"ZZ0001": "ValueError: broken on DM"}
    with pytest.raises(ValueError):
        run_rules(study, [item], strict=True)


def test_a_large_file_is_read_once_with_its_metadata_and_facts(tmp_path):
    """A file over the release size is not read at load (only its DOMAIN column and header); the first question
    about its values, metadata or file facts reads it once, and it then holds what a whole read gives."""
    folder = _defective_folder(tmp_path)
    held = load_folder(folder, codes=True).get("AE")
    ae = load_folder(folder, codes=True, release_over=0).get("AE")
    assert not ae.held and ae.reloads == 0 and ae.domain == "AE" and len(ae) == len(held.frame)
    assert ae.meta == held.meta and ae.reloads == 1 and ae.held  # metadata of the whole file, read once
    assert ae.facts == held.facts and ae.reloads == 1
    pd.testing.assert_frame_equal(ae.frame, held.frame)
