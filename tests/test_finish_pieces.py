"""A domain finished batch piece by batch piece is the domain finished whole (docs/scale.md, "Finishing each
domain in pieces"): the same records in the same order, --SEQ, Perm variables, lengths, value-level metadata,
SUPP-- records, rejection log and text facts; and the same when each piece is spilled to its own file."""
from __future__ import annotations

import copy
import io
from datetime import datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from converters.engine.compact import CompactFrame, compact_frame, concat_compact, factorized_column
from converters.engine.sdtm import BatchResult, PieceSink, finish_early, hold_again, merge_batches
from converters.errors import DataError, TransportError
from converters.metadata.model import Dataset, Variable
from converters.sdtm.output import write_in_pieces
from converters.readers.raw import read_raw_folder
from converters.sdtm.builder import BuiltRecords
from converters.sdtm.model_variables import allowed_variables
from converters.sdtm.raw_forms import read_forms
from converters.sdtm.rejections import RejectionLog
from converters.sdtm.study import BuildContext, BuiltDomain, EarlyFinish, _finish, _finish_in_pieces, \
    build_subject_records, builder_columns, finishes_in_pieces, start_early
from converters.shipped import study_mappings, study_raw
from converters.spec.loader import load_domain_specs
from converters.spec.study import StudyDefinition, load_study
from converters.writers.dataset_json import DatasetJsonPieces, write_dataset_json
from converters.writers.spill import join_spilled, spill_frame
from converters.writers.text_facts import TextFacts, merge_facts, text_columns_facts, text_facts
from converters.writers.xpt import XptPieces, write_xpt

CREATED = datetime(2025, 1, 1)


@pytest.fixture(scope="module")
def carnk() -> tuple[StudyDefinition, dict[str, BuiltRecords]]:
    """The subject-local records of the shipped carnk-sclc study, as one batch gives them."""
    mappings = study_mappings("carnk-sclc")
    study = load_study(mappings / "study.yaml")
    specs = load_domain_specs(mappings / "sdtm", study)
    raw = read_forms(study, specs, read_raw_folder(study_raw("carnk-sclc"), encodings=study.encodings).items(),
                     compact=False).raw
    records, _timeline = build_subject_records(study, specs, raw, RejectionLog(), [], lambda _m: None)
    return study, records


def _pieces(frame: pd.DataFrame, count: int) -> list[CompactFrame]:
    """The records split as batches split them: disjoint sets of subjects in USUBJID order, rows in order."""
    subjects = np.array(sorted(frame["USUBJID"].unique()), dtype=object)
    batch = np.searchsorted(subjects, frame["USUBJID"].to_numpy(dtype=object)) * count // len(subjects)
    return [compact_frame(frame[batch == b]) for b in range(count) if (batch == b).any()]


def _perm_filled(rec: BuiltRecords) -> list[str]:
    return [sv.name for sv in allowed_variables(rec.domain)
            if sv.core == "Perm" and sv.name in rec.frame and rec.frame[sv.name].notna().any()]


def _both(study: StudyDefinition, rec: BuiltRecords, pieces: list[CompactFrame], spill: Path | None = None,
          keep: set[str] | None = None) -> tuple[tuple[list[BuiltDomain], BuildContext],
                                                 tuple[list[BuiltDomain], BuildContext]]:
    """The domain finished whole (the pieces put together, as the merge does) and finished in pieces."""
    whole_rec, piece_rec = copy.deepcopy(rec), copy.deepcopy(rec)
    joined = concat_compact(copy.deepcopy(pieces))
    whole_rec.frame = joined.frame() if isinstance(joined, CompactFrame) else joined
    piece_rec.frame = rec.frame.iloc[:0].copy()
    whole_ctx = BuildContext(study=study, raw={}, domains={}, log=RejectionLog(), extensions={})
    piece_ctx = BuildContext(study=study, raw={}, domains={}, log=RejectionLog(), extensions={})
    whole = _finish(whole_rec, whole_ctx.log, whole_ctx)
    in_pieces = _finish_in_pieces(piece_rec, list(pieces), piece_ctx.log, piece_ctx, spill, keep)
    return (whole, whole_ctx), (in_pieces, piece_ctx)


def _same_facts(got: dict[str, TextFacts], expected: dict[str, TextFacts]) -> None:
    assert sorted(got) == sorted(expected)
    for name, facts in expected.items():
        for part in ("codes", "values", "nbytes", "nchars"):
            assert np.array_equal(getattr(got[name], part), getattr(facts, part)), (name, part)


def _same_domains(got: list[BuiltDomain], expected: list[BuiltDomain]) -> None:
    assert [d.name for d in got] == [d.name for d in expected]
    for g, e in zip(got, expected):
        pd.testing.assert_frame_equal(g.frame, e.frame, check_exact=True)
        assert [[type(v) for v in g.frame[c]] for c in g.frame] == [[type(v) for v in e.frame[c]] for c in e.frame]
        assert g.dataset == e.dataset
        assert (g.records, g.rows_read, g.filtered, g.rejected) == (e.records, e.rows_read, e.filtered, e.rejected)
        _same_facts(g.facts, e.facts)


def _same_context(got: BuildContext, expected: BuildContext) -> None:
    pd.testing.assert_frame_equal(got.log.frame(), expected.log.frame())
    assert got.extensions == expected.extensions and got.methods == expected.methods


def test_ae_in_pieces_equals_ae_whole_with_seq_supp_and_perm_variables(carnk):
    study, records = carnk
    rec = copy.deepcopy(records["AE"])
    frame = rec.frame
    last = frame["USUBJID"] == sorted(frame["USUBJID"].unique())[-1]
    perm = _perm_filled(rec)
    assert len(perm) >= 2 and rec.spec.supp
    frame.loc[~last, perm[0]] = None  # a Perm variable empty in every piece but the last: kept
    frame.loc[:, perm[1]] = None      # a Perm variable empty in every piece: dropped
    frame.loc[last[last].index[:1], "AETERM"] = "X" * 150  # the longest AETERM in the last piece
    rec.frame = frame
    pieces = _pieces(frame, 4)
    assert len(pieces) == 4 and finishes_in_pieces(rec, pieces)
    (whole, wctx), (in_pieces, pctx) = _both(study, rec, pieces)
    _same_domains(in_pieces, whole)
    _same_context(pctx, wctx)
    ae = in_pieces[0]
    assert perm[0] in ae.frame and perm[1] not in ae.frame
    assert ae.dataset.variable("AETERM").length == 150
    assert ae.frame["AESEQ"].tolist() == whole[0].frame["AESEQ"].tolist() and ae.frame["AESEQ"].min() == 1
    assert [d.name for d in in_pieces] == ["AE", "SUPPAE"] and len(in_pieces[1].frame)


def test_lb_in_pieces_has_the_value_level_metadata_of_lb_whole(carnk):
    study, records = carnk
    rec = records["LB"]
    pieces = _pieces(rec.frame, 3)
    (whole, wctx), (in_pieces, pctx) = _both(study, rec, pieces)
    assert whole[0].dataset.value_level  # findings: entries by LBTESTCD and LBSPEC
    _same_domains(in_pieces, whole)
    _same_context(pctx, wctx)


def test_a_domain_spilled_in_pieces_is_written_to_the_bytes_of_the_whole(carnk, tmp_path):
    study, records = carnk
    rec = records["AE"]
    keep = builder_columns(study, "AE")
    (whole, _w), (in_pieces, _p) = _both(study, rec, _pieces(rec.frame, 3), tmp_path, keep)
    ae, expected = in_pieces[0], whole[0]
    assert ae.spilled is not None and len(ae.spilled.paths) == 3
    assert set(ae.frame.columns) <= keep | {v.name for v in ae.dataset.variables if v.codelist}
    assert ae.records == expected.records and ae.dataset == expected.dataset
    for folder, (frame, facts) in {"whole": (expected.frame, expected.text_facts()),
                                   "loaded": ae.written_form()}.items():
        (tmp_path / folder).mkdir()
        write_xpt(frame, ae.dataset, tmp_path / folder / "ae.xpt", facts=facts, created=CREATED)
        write_dataset_json(frame, ae.dataset, tmp_path / folder / "ae.json", study_oid="S",
                           metadata_version_oid="MDV", facts=facts, created=CREATED)
    (tmp_path / "pieces").mkdir()
    write_in_pieces(ae, tmp_path / "pieces" / "ae", CREATED, "S", "MDV")  # one piece read back at a time
    for folder in ("loaded", "pieces"):
        for name in ("ae.xpt", "ae.json"):
            assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / folder / name).read_bytes()
    ae.release()
    assert not any(path.exists() for path in (tmp_path / "ae.1.spill", tmp_path / "ae.2.spill"))


def test_the_first_value_over_200_bytes_is_reported_as_whole_in_spec_order(carnk):
    study, records = carnk
    rec = copy.deepcopy(records["AE"])
    frame = rec.frame
    names = [n for n in rec.spec.variable_names() if n in ("AETERM", "AEDECOD")]
    subjects = sorted(frame["USUBJID"].unique())
    frame.loc[frame.index[frame["USUBJID"] == subjects[0]][:1], names[1]] = "Y" * 201  # the later variable first
    frame.loc[frame.index[frame["USUBJID"] == subjects[-1]][:1], names[0]] = "Z" * 202
    rec.frame = frame
    errors = []
    for finish in ("whole", "pieces"):
        with pytest.raises(DataError) as caught:
            _both(study, rec, _pieces(frame, 3)) if finish == "pieces" else \
                _finish(copy.deepcopy(rec), RejectionLog(), BuildContext(study=study, raw={}, domains={},
                                                                          log=RejectionLog(), extensions={}))
        errors.append((str(caught.value), caught.value.where))
    assert errors[0] == errors[1] and names[0] in errors[0][0]


def test_pieces_that_cannot_be_finished_alone_are_refused(carnk):
    _study, records = carnk
    rec = records["AE"]
    pieces = _pieces(rec.frame, 3)
    assert finishes_in_pieces(rec, pieces)
    assert not finishes_in_pieces(rec, pieces[::-1])  # subjects out of order
    mixed = rec.frame.copy()
    mixed["STUDYID"] = np.where(mixed.index % 2 == 0, "A", "B")  # the sort would interleave the pieces
    assert not finishes_in_pieces(rec, _pieces(mixed, 3))
    other = rec.frame.drop(columns=["AETERM"])
    assert not finishes_in_pieces(rec, [pieces[0], compact_frame(other.iloc[:5])])  # other columns


_text = st.one_of(st.none(), st.sampled_from(["", "A", "B ", "é", "2025-01", "x" * 30]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_text, min_size=0, max_size=10), min_size=1, max_size=4))
def test_text_facts_of_pieces_merge_to_the_facts_of_the_whole_column(parts):
    whole = text_facts(pd.Series([v for p in parts for v in p], dtype=object))
    merged = merge_facts([text_facts(pd.Series(p, dtype=object)) for p in parts])
    _same_facts({"X": merged}, {"X": whole})


def test_a_frame_spilled_in_pieces_loads_as_the_whole(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2", "S-3"], "LBTESTCD": ["HGB", None, "ALT", "HGB"],
                          "LBSTRESN": [1.5, np.nan, 2.0, -0.0], "EXTRA": [None, None, None, None]})
    frame = frame.astype({"USUBJID": object, "LBTESTCD": object, "EXTRA": object})
    spilled = [spill_frame(part, text_columns_facts(part, "LB"), tmp_path / f"lb.{i}.spill")
               for i, part in enumerate((frame.iloc[:2], frame.iloc[2:].reset_index(drop=True)))]
    joined = join_spilled(spilled, ["USUBJID", "LBTESTCD", "LBSTRESN"])
    back, facts = joined.load()
    assert joined.records == 4 and list(back.columns) == ["USUBJID", "LBTESTCD", "LBSTRESN"]
    _same_facts(facts, text_columns_facts(frame[["USUBJID", "LBTESTCD"]], "LB"))
    assert back["LBSTRESN"].to_numpy().tobytes() == frame["LBSTRESN"].to_numpy().tobytes()
    assert [len(p) for p, _f in joined.load_pieces()] == [2, 2]


def _lb() -> tuple[pd.DataFrame, Dataset]:
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2", "S-3", "S-3"],
                          "LBTESTCD": ["HGB", "ALT", None, "HGB", ""],
                          "LBSTRESN": [13.5, np.nan, -0.0, 1e-70, 2.0],
                          "LBORRES": ["x" * 200, "", None, "1", "2"]}).astype({"LBTESTCD": object, "LBORRES": object})
    ds = Dataset("LB", "Laboratory Test Results", variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text", length=3),
        Variable("LBTESTCD", "Lab Test or Examination Short Name", "text", length=8),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", "float", length=8),
        Variable("LBORRES", "Result or Finding in Original Units", "text", length=200)])
    return frame, ds


def _write_pieces(frame: pd.DataFrame, ds: Dataset, cuts: list[int], ndjson: bool = False) -> tuple[bytes, bytes]:
    xpt, rows = io.BytesIO(), io.BytesIO()
    xpt_writer = XptPieces(ds, xpt, CREATED)
    json_writer = DatasetJsonPieces(ds, rows, len(frame), study_oid="S", metadata_version_oid="MDV",
                                    created=CREATED, ndjson=ndjson)
    for start, stop in zip([0, *cuts], [*cuts, len(frame)]):
        piece = frame.iloc[start:stop].reset_index(drop=True)
        facts = text_columns_facts(piece, "LB")
        xpt_writer.write(piece, facts)
        json_writer.write(piece, facts)
    xpt_writer.close()
    json_writer.close()
    return xpt.getvalue(), rows.getvalue()


@pytest.mark.parametrize("cuts", [[], [1], [2, 3], [1, 2, 3, 4]])
@pytest.mark.parametrize("ndjson", [False, True])
def test_xpt_and_dataset_json_written_in_pieces_are_the_bytes_of_the_whole(tmp_path, cuts, ndjson):
    frame, ds = _lb()
    suffix = "ndjson" if ndjson else "json"
    write_xpt(frame, ds, tmp_path / "lb.xpt", created=CREATED)
    write_dataset_json(frame, ds, tmp_path / f"lb.{suffix}", study_oid="S", metadata_version_oid="MDV",
                       created=CREATED)
    xpt, rows = _write_pieces(frame, ds, cuts, ndjson)
    assert xpt == (tmp_path / "lb.xpt").read_bytes()
    assert rows == (tmp_path / f"lb.{suffix}").read_bytes()


def test_a_value_breaking_a_rule_in_a_later_piece_is_named_by_its_record_in_the_dataset():
    frame, ds = _lb()
    frame.loc[4, "LBORRES"] = "é"  # XPT v5 takes ASCII only
    with pytest.raises(TransportError) as caught:
        _write_pieces(frame, ds, [2, 4])
    assert caught.value.where.row == 5 and caught.value.where.variable == "LBORRES"
    frame, ds = _lb()
    frame.loc[3, "LBTESTCD"] = "TOOLONGCODE"  # longer than its length 8
    with pytest.raises(TransportError) as caught:
        writer = DatasetJsonPieces(ds, io.BytesIO(), len(frame), study_oid="S", metadata_version_oid="MDV")
        writer.write(frame.iloc[:2].reset_index(drop=True), None)
        writer.write(frame.iloc[2:].reset_index(drop=True), None)
    assert caught.value.where.row == 4 and caught.value.where.variable == "LBTESTCD"


def test_pieces_need_the_lengths_of_their_text_variables():
    frame, ds = _lb()
    ds.variables[0].length = None
    with pytest.raises(ValueError, match="USUBJID"):
        XptPieces(ds, io.BytesIO())
    with pytest.raises(ValueError, match="USUBJID"):
        DatasetJsonPieces(ds, io.BytesIO(), len(frame), study_oid="S", metadata_version_oid="MDV")


def _batches(rec: BuiltRecords, pieces: list[CompactFrame]) -> list[BatchResult]:
    """Each piece as a batch gives it back, held compactly (its records with an empty frame beside it)."""
    out = []
    for piece in pieces:
        batch_rec = copy.deepcopy(rec)
        batch_rec.frame = rec.frame.iloc[:0].copy()
        out.append(BatchResult({rec.domain: batch_rec}, RejectionLog(), compact={rec.domain: piece},
                               counts={rec.domain: len(piece)}))
    return out


def _arrive(study: StudyDefinition, batches: list[BatchResult], spill: Path,
            lost: dict[str, str] | None = None) -> dict[str, PieceSink]:
    """The batches coming back one at a time, as ``build_records_in_batches`` takes them, with early finishing."""
    finishing: dict[str, PieceSink] = {}
    back: list[BatchResult] = []
    for i, batch in enumerate(batches):
        finish_early(batch, back, finishing, partial(start_early, study, spill) if i == 0 else None, lost)
        back.append(batch)
    for name in [n for n, sink in finishing.items() if not sink.complete()]:
        hold_again(name, finishing.pop(name), back)
    return finishing


def test_a_domain_finished_as_its_batches_arrive_equals_it_finished_after_the_merge(carnk, tmp_path):
    study, records = carnk
    rec = records["LB"]
    keep = builder_columns(study, "LB")
    pieces = _pieces(rec.frame, 3)
    (tmp_path / "early").mkdir()
    batches = _batches(rec, copy.deepcopy(pieces))
    finishing = _arrive(study, batches, tmp_path / "early")
    assert list(finishing) == ["LB"] and not any(b.compact for b in batches)  # no records held after the batch
    assert all(b.record_count("LB") == len(p) for b, p in zip(batches, pieces))
    sink = finishing["LB"]
    assert isinstance(sink, EarlyFinish) and not sink.waiting  # no piece kept as it came, in memory or on disk
    assert sorted(p.name for p in (tmp_path / "early").iterdir()) == ["lb.1.spill", "lb.2.spill", "lb.3.spill"]
    early_ctx = BuildContext(study=study, raw={}, domains={}, log=RejectionLog(), extensions={})
    merged = copy.deepcopy(rec)
    merged.frame = rec.frame.iloc[:0].copy()
    early = sink.done(merged, early_ctx.log, early_ctx)
    (tmp_path / "later").mkdir()
    (_w, _wc), (later, later_ctx) = _both(study, rec, pieces, tmp_path / "later", keep)
    _same_context(early_ctx, later_ctx)
    assert [d.name for d in early] == [d.name for d in later]
    for e, g in zip(early, later):
        assert e.dataset == g.dataset and (e.records, e.rejected) == (g.records, g.rejected)
        pd.testing.assert_frame_equal(e.frame, g.frame, check_exact=True)
        _same_facts(e.facts, g.facts)
        (e_frame, e_facts), (g_frame, g_facts) = e.written_form(), g.written_form()
        pd.testing.assert_frame_equal(e_frame, g_frame, check_exact=True)
        _same_facts(e_facts, g_facts)


@pytest.mark.parametrize("refused", ["other columns", "subjects out of order", "one piece with records",
                                     "all pieces empty"])
def test_a_domain_refused_before_its_second_piece_with_records_gets_its_pieces_back(carnk, tmp_path, refused):
    study, records = carnk
    rec = records["AE"]
    pieces = _pieces(rec.frame, 3)
    empty = compact_frame(pieces[1].frame().iloc[:0])
    if refused == "other columns":  # the second batch's records lack a column the first's have
        pieces[1] = compact_frame(pieces[1].frame().drop(columns=[_perm_filled(rec)[0]]))
    elif refused == "subjects out of order":
        pieces = [pieces[1], pieces[0], pieces[2]]
    elif refused == "one piece with records":  # a domain with records in one batch only is finished whole
        pieces = [empty, pieces[0], copy.deepcopy(empty)]
    else:
        pieces = [empty, copy.deepcopy(empty), copy.deepcopy(empty)]
    batches = _batches(rec, copy.deepcopy(pieces))
    lost: dict[str, str] = {}
    assert not _arrive(study, batches, tmp_path, lost) and not lost  # not finished early, nothing to build again
    for batch, piece in zip(batches, pieces):  # ... and every batch holds its piece again, as it came
        pd.testing.assert_frame_equal(batch.compact["AE"].frame(), piece.frame(), check_exact=True)
    assert not list(tmp_path.iterdir())  # nothing left on disk
    log = RejectionLog()
    merged = merge_batches(batches, log, [], compact := {})
    held = compact["AE"]
    assert isinstance(held, list) and not (len(held) > 1 and finishes_in_pieces(merged["AE"], held))


@pytest.mark.parametrize("refused", ["other columns", "subjects out of order"])
def test_a_domain_refused_after_pieces_were_finished_is_left_to_be_built_again(carnk, tmp_path, refused):
    study, records = carnk
    rec = records["AE"]
    pieces = _pieces(rec.frame, 3)
    if refused == "other columns":  # the third batch's records lack a column the others have
        pieces[2] = compact_frame(pieces[2].frame().drop(columns=[_perm_filled(rec)[0]]))
    else:
        pieces = [pieces[0], pieces[2], pieces[1]]
    batches = _batches(rec, pieces)
    lost: dict[str, str] = {}
    assert not _arrive(study, batches, tmp_path, lost)
    assert list(lost) == ["AE"] and "batch 3" in lost["AE"]
    assert not any(b.compact for b in batches)  # no piece held: every one is built again (rebuild_pieces)
    assert not list(tmp_path.iterdir())  # the pieces finished are forgotten, their files removed


def _refusing(way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``EarlyFinish`` refuse a piece as a piece with other columns or subjects would be refused: AE's
    second piece with records (its first is given back), LB's third (LB is built again from the raw forms), or
    every domain's third."""
    from converters.sdtm import study as study_module

    fits = study_module.EarlyFinish._fits
    seen: dict[str, int] = {}

    def refuse(self: EarlyFinish, piece: CompactFrame, rec: BuiltRecords) -> bool:
        if len(piece):
            seen[rec.domain] = seen.get(rec.domain, 0) + 1
            at = {"AE at its second": {"AE": 2}, "LB at its third": {"LB": 3}}.get(way, {}).get(rec.domain) \
                if way != "every domain at its third" else 3
            if seen[rec.domain] == at:
                return False
        return fits(self, piece, rec)

    monkeypatch.setattr(study_module.EarlyFinish, "_fits", refuse)


def _built(folder: Path, raw: dict | None = None, say: list[str] | None = None) -> tuple[dict, pd.DataFrame, object]:
    from converters.sdtm import study as study_module

    folder.mkdir()
    build = study_module.build_study(study_mappings("cll1-aml"), batch_subjects=7, spill=folder, raw=raw,
                                     progress=None if say is None else say.append)
    return ({d.name: (d.dataset, d.records, d.rejected, d.written_form()) for d in build.domains},
            build.log.frame(), build.study)


def _same_builds(got: tuple[dict, pd.DataFrame, object], expected: tuple[dict, pd.DataFrame, object]) -> None:
    (early, early_log, early_study), (later, later_log, later_study) = got, expected
    assert list(early) == list(later) and early_study == later_study
    pd.testing.assert_frame_equal(early_log, later_log)
    for name, (dataset, count, rejected, (frame, facts)) in later.items():
        e_dataset, e_count, e_rejected, (e_frame, e_facts) = early[name]
        assert (e_dataset, e_count, e_rejected) == (dataset, count, rejected), name
        pd.testing.assert_frame_equal(e_frame, frame, check_exact=True)
        _same_facts(e_facts, facts)


@pytest.fixture(scope="module")
def cll1_after_the_merge(tmp_path_factory) -> tuple[dict, pd.DataFrame, object]:
    """cll1-aml built in batches of 7 subjects with no domain finished early."""
    from converters.sdtm import study as study_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study_module, "start_early", lambda *_a: None)
        return _built(tmp_path_factory.mktemp("later") / "spill")


@pytest.mark.parametrize("way", ["AE at its second", "LB at its third", "every domain at its third"])
def test_a_build_whose_domains_are_refused_early_gives_the_same_datasets(tmp_path, monkeypatch, way,
                                                                         cll1_after_the_merge):
    _refusing(way, monkeypatch)
    say: list[str] = []
    _same_builds(_built(tmp_path / "early", say=say), cll1_after_the_merge)
    again = [line for line in say if "built again from the raw forms" in line]
    if way == "AE at its second":
        assert not again  # given back whole: nothing built again
    elif way == "LB at its third":
        assert len(again) == 1 and again[0].startswith("LB: the records of batch ")
    else:
        assert len(again) > 5


def test_a_build_of_raw_forms_given_builds_a_refused_domain_again_from_them(tmp_path, monkeypatch,
                                                                            cll1_after_the_merge):
    _refusing("LB at its third", monkeypatch)
    study = load_study(study_mappings("cll1-aml") / "study.yaml")
    raw = read_raw_folder(study_raw("cll1-aml"), encodings=study.encodings)
    _same_builds(_built(tmp_path / "early", raw=raw), cll1_after_the_merge)


def test_a_batched_build_finishing_domains_early_gives_the_same_datasets(tmp_path, cll1_after_the_merge):
    _same_builds(_built(tmp_path / "early"), cll1_after_the_merge)


def test_a_domain_holding_its_columns_as_codes_gives_them_as_the_frame_did(carnk):
    from converters.sdtm.study import DomainFrames

    _study, records = carnk
    frame = records["AE"].frame[["USUBJID", "EPOCH", "AESTDTC", "AESTDY", "AETERM"]].reset_index(drop=True)
    dataset = Dataset(name="AE", label="Adverse Events", domain="AE")
    plain, held = BuiltDomain("AE", frame, dataset), BuiltDomain("AE", frame.iloc[:0], dataset,
                                                                 held=compact_frame(frame))
    pd.testing.assert_frame_equal(held.frame, frame, check_exact=True)
    assert held.frame is not held.frame  # made when read, not kept
    assert held.column_names() == plain.column_names() == list(frame.columns)
    for names in (["EPOCH", "USUBJID"], ["AEDTC", "AESTDY"], []):
        pd.testing.assert_frame_equal(held.columns(names), plain.columns(names), check_exact=True)
    frames = DomainFrames({"AE": held})
    assert list(frames) == ["AE"] and frames.column_names("AE") == list(frame.columns)
    pd.testing.assert_frame_equal(frames.columns("AE", ["EPOCH"]), frame[["EPOCH"]], check_exact=True)
    held.release()
    assert held.held is None and held.records == len(frame) and list(held.frame.columns) == list(frame.columns)


def test_the_trial_design_checks_read_one_domain_at_a_time_and_only_their_columns(carnk, monkeypatch):
    from converters.sdtm.study import DomainFrames
    from converters.sdtm.trial_design.crosschecks import check_trial_design
    from converters.sdtm.trial_design.sv import visit_records

    _study, records = carnk
    made: list[tuple[str, ...]] = []
    frame_of = CompactFrame.frame

    def making(self: CompactFrame) -> pd.DataFrame:
        made.append(tuple(self.order))
        return frame_of(self)

    plain = {name: records[name].frame.reset_index(drop=True) for name in ("AE", "LB", "VS")}
    held = {name: BuiltDomain(name, f.iloc[:0], Dataset(name=name, label=name, domain=name),
                              held=compact_frame(f)) for name, f in plain.items()}
    monkeypatch.setattr(CompactFrame, "frame", making)
    pd.testing.assert_frame_equal(visit_records(DomainFrames(held)), visit_records(plain), check_exact=True)
    ta = pd.DataFrame({"ARMCD": ["A"], "ETCD": ["E"], "TAETORD": [1], "EPOCH": ["SCREENING"]})
    assert check_trial_design(DomainFrames({**held, "TA": BuiltDomain("TA", ta, Dataset(name="TA", label="TA"))})) \
        == check_trial_design({**plain, "TA": ta})
    assert made and all(len(columns) <= 5 for columns in made)  # never a whole domain's held columns at once
    assert {"LBORRES", "AETERM"}.isdisjoint(c for columns in made for c in columns)


def test_the_held_text_columns_are_the_codes_of_their_text_facts_factorized_once(carnk, tmp_path):
    """A domain finished in pieces and spilled holds each builder column with text facts as the facts' codes (the
    same array, per piece and merged): no column is factorized again to be held, and the held columns make the
    frame of the domain finished whole."""
    study, records = carnk
    rec = records["LB"]
    keep = builder_columns(study, "LB")
    pieces = _pieces(rec.frame, 3)
    finish = EarlyFinish(copy.deepcopy(rec), tmp_path, keep)
    for piece in copy.deepcopy(pieces):
        assert finish.add(piece, rec)
    for part, facts in finish.finish.shaped_parts:
        shared = [n for n in part.order if n in facts]
        assert shared and all(part.columns[n].codes is facts[n].codes for n in shared)
    ctx = BuildContext(study=study, raw={}, domains={}, log=RejectionLog(), extensions={})
    merged = copy.deepcopy(rec)
    merged.frame = rec.frame.iloc[:0].copy()
    domain = finish.done(merged, ctx.log, ctx)[0]
    assert domain.held is not None
    text = [n for n in domain.held.order if n in domain.facts]
    assert "USUBJID" in text and all(domain.held.columns[n].codes is domain.facts[n].codes for n in text)
    (whole, _ctx), _pieces_built = _both(study, rec, pieces)
    expected = whole[0].frame[domain.held.order]
    pd.testing.assert_frame_equal(domain.frame, expected, check_exact=True)
    assert [[type(v) for v in domain.frame[c]] for c in domain.frame] == [[type(v) for v in expected[c]] for c in expected]


class _Text(str):
    """A str that is not of type str (compact_frame codes only type str)."""


@pytest.mark.parametrize("values", [["a", None, "b", "a"], ["a", np.nan, "b", np.nan], [_Text("a"), None, "b"],
                                    ["a", "b"], [None, None], [1.0, None, 2.0]])
def test_a_column_held_from_its_known_codes_is_what_compact_frame_holds(values):
    series = pd.Series(values, dtype=object if values != [1.0, None, 2.0] else float)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    got = factorized_column(series, codes, np.asarray(uniques, dtype=object))
    expected = compact_frame(series.to_frame("X")).columns["X"]
    assert type(got) is type(expected)
    made = CompactFrame({"X": got}, series.index, ["X"]).frame()["X"]
    pd.testing.assert_series_equal(made, CompactFrame({"X": expected}, series.index, ["X"]).frame()["X"], check_exact=True)
    assert [type(v) for v in made] == [type(v) for v in series.to_frame("X").pipe(compact_frame).frame()["X"]]


def test_a_domain_finished_whole_and_spilled_holds_its_builder_columns_as_codes(carnk, tmp_path):
    """A domain finished whole and spilled holds the columns the builders read as codes (its text facts' codes),
    and gives the frame and columns it gave as object columns."""
    study, records = carnk
    rec = copy.deepcopy(records["AE"])
    ctx = BuildContext(study=study, raw={}, domains={}, log=RejectionLog(), extensions={})
    domain = _finish(rec, ctx.log, ctx)[0]
    keep = builder_columns(study, "AE")
    expected = domain.frame.copy()
    domain.spill(tmp_path, keep)
    assert domain.held is not None and "USUBJID" in domain.held.order
    assert domain.held.columns["USUBJID"].values is domain.facts["USUBJID"].values  # not factorized again
    names = domain.column_names()
    assert set(keep) & set(expected.columns) <= set(names)
    pd.testing.assert_frame_equal(domain.frame, expected[names], check_exact=True)
    assert [[type(v) for v in domain.frame[c]] for c in names] == [[type(v) for v in expected[c]] for c in names]
    pd.testing.assert_frame_equal(domain.columns(["USUBJID", "AESTDTC"]), expected[["USUBJID", "AESTDTC"]],
                                  check_exact=True)
    assert domain.written_form()[0].shape == expected.shape  # the records written come from the spill file


def test_after_the_builders_only_the_trial_design_is_held_as_a_frame_and_the_datasets_are_the_same(tmp_path):
    """Once the built-in builders have run, DM, SV, SE, RELREC, SUPPDM and the rest wait on disk for the writers, as
    the domains finished earlier do; what they write is what a build that holds them gives."""
    from converters.sdtm import study as study_module

    folder = tmp_path / "spill"
    folder.mkdir()
    spilled = study_module.build_study(study_mappings("carnk-sclc"), spill=folder)
    held = study_module.build_study(study_mappings("carnk-sclc"))
    frames = {d.name for d in spilled.domains if d.spilled is None}
    assert frames == {"TS", "TA", "TE", "TV", "TI"}
    assert {"DM", "SV", "SE", "RELREC", "SUPPDM"} <= {d.name for d in spilled.domains}
    for ours, theirs in zip(spilled.domains, held.domains, strict=True):
        assert ours.name == theirs.name and ours.dataset == theirs.dataset and ours.records == theirs.records
        frame, _facts = ours.written_form()  # text read back as codes (Categorical), as the writers take it
        frame = frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), theirs.frame.reset_index(drop=True),
                                      check_exact=True)
    assert spilled.study == held.study
