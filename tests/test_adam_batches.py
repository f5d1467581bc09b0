"""ADaM per batch of subjects (issue 17): each subject-local derivation gives a subject the same records whatever
other subjects are present, a dataset built in batches writes the same bytes as one built whole, and a dataset that
cannot be split is derived whole with the reason said."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.adam.batches import BatchSdtm, SubjectSplit, steps_not_batchable
from converters.adam.build import AdamDataset, build_adam, datasets_read, derive_dataset
from converters.adam.output import compact_pieces, slice_facts
from converters.adam.pipeline import build_and_write_adam
from converters.adam.sources import SdtmFolder, read_sdtm_folder
from converters.adam.spec import load_adam_specs
from converters.algorithms.registry import algorithms
from converters.cli import cli
from converters.engine.compact import CompactFrame, TextColumn
from converters.errors import DataError
from converters.writers.dataset_json import DatasetJsonPieces, write_dataset_json
from converters.writers.text_facts import dataset_text_facts, text_facts
from converters.writers.xpt import XptPieces, write_xpt
from test_adam_cli import foreign  # noqa: F401 - the other sponsor's SDTM folder and ADaM specs (a fixture)

ROOT = Path(__file__).resolve().parents[1]
CREATED = datetime(2025, 1, 1)


@pytest.fixture(scope="module")
def study_a(tmp_path_factory) -> tuple[Path, Path]:
    """carnk-sclc's mappings and its SDTM folder, built once."""
    out = tmp_path_factory.mktemp("sdtm-carnk-sclc") / "sdtm"
    mappings = ROOT / "mappings" / "carnk-sclc"
    result = CliRunner().invoke(cli, ["sdtm", str(mappings), "--raw", str(ROOT / "examples" / "carnk-sclc" / "raw"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return mappings, out


class Subset:
    """A split with one batch: the records of some subjects, in their order (a stand-in for SubjectSplit)."""

    batches = 1

    def __init__(self, subjects: set[str]):
        self.subjects = subjects

    def rows(self, frame: pd.DataFrame) -> list[np.ndarray]:
        return [np.flatnonzero(frame["USUBJID"].astype(object).isin(self.subjects).to_numpy())]


def _of(frame: pd.DataFrame, subjects: set[str]) -> pd.DataFrame:
    return frame[frame["USUBJID"].isin(subjects).to_numpy()].reset_index(drop=True)


@pytest.fixture(scope="module")
def whole_a(study_a) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every dataset of study A derived whole, in build order: (frame, provenance), and the specs."""
    mappings, sdtm_folder = study_a
    specs = load_adam_specs(mappings / "adam")
    sdtm = read_sdtm_folder(sdtm_folder)
    built: dict[str, pd.DataFrame] = {}
    out = {}
    for spec in specs:
        frame, provenance, _ = derive_dataset(spec, sdtm, built)
        built[spec.dataset] = frame
        out[spec.dataset] = (frame, provenance)
    return {"specs": specs, "sdtm": sdtm, "built": built, "whole": out}  # type: ignore[dict-item]


DATASETS_A = ["ADSL", "ADAE", "ADEX", "ADLB", "ADPC", "ADPP", "ADRS", "ADTR", "ADTTE"]


@pytest.mark.parametrize("dataset", DATASETS_A)
def test_each_subject_gets_the_same_records_whatever_other_subjects_are_present(whole_a, dataset):
    """The subject-local property of every derivation study A uses: derived from any subset of subjects (its
    SDTM and the ADaM datasets it reads cut to them), a dataset holds exactly the whole build's records of those
    subjects, in the same order, with the same origins."""
    specs, sdtm, built = whole_a["specs"], whole_a["sdtm"], whole_a["built"]
    spec = next(s for s in specs if s.dataset == dataset)
    assert steps_not_batchable(spec) is None  # every step of study A is subject-local
    expected, provenance = whole_a["whole"][dataset]
    everyone = sorted(set(sdtm.dataset("DM")["USUBJID"]))

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sets(st.sampled_from(everyone), min_size=1, max_size=12))
    def check(subjects: set[str]) -> None:
        split = Subset(subjects)
        view = BatchSdtm(sdtm, split, 0, {})  # type: ignore[arg-type]
        part = {name: _of(frame, subjects) for name, frame in built.items() if name != dataset}
        mine = _of(expected, subjects)
        try:
            frame, found, _ = derive_dataset(spec, view, part)
        except DataError:  # subjects none of whom has a record here (screen failures): nothing for a step to read
            assert not len(mine)
            return
        assert len(frame) == len(mine)
        if len(frame):
            pd.testing.assert_frame_equal(frame, mine, check_dtype=False)
            assert found == provenance

    check()


def test_a_subject_never_assessed_gets_the_same_response_parameters_in_a_batch_of_their_own(whole_a):
    """A subject treated but never assessed has no RS record: derived alone, the BOR/ORR records made for them
    keep ADRS's other variables (null), as in the whole build; they were dropped once, so a later
    derive_param_bor could not read ANL01FL (found by the property test above)."""
    specs, sdtm, built = whole_a["specs"], whole_a["sdtm"], whole_a["built"]
    subjects = {"CARNK-SCLC-101-202-005"}
    assert not sdtm.dataset("RS")["USUBJID"].isin(subjects).any()
    spec = next(s for s in specs if s.dataset == "ADRS")
    part = {name: _of(frame, subjects) for name, frame in built.items() if name != "ADRS"}
    frame, _, _ = derive_dataset(spec, BatchSdtm(sdtm, Subset(subjects), 0, {}), part)  # type: ignore[arg-type]
    mine = _of(whole_a["whole"]["ADRS"][0], subjects)
    assert len(mine) == 5
    pd.testing.assert_frame_equal(frame, mine, check_dtype=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def written_whole(study_a, tmp_path_factory) -> dict[str, bytes]:
    mappings, sdtm = study_a
    out = tmp_path_factory.mktemp("adam-whole") / "adam"
    build_and_write_adam(mappings, sdtm, out, CREATED)
    return _files(out)


@pytest.mark.parametrize("batch_subjects", [7, 25])
def test_a_study_built_in_batches_writes_the_same_bytes_as_built_whole(study_a, written_whole, tmp_path,
                                                                       batch_subjects):
    mappings, sdtm = study_a
    said: list[str] = []
    build_and_write_adam(mappings, sdtm, tmp_path / "batches", CREATED, said.append, keep_frames=False,
                         batch_subjects=batch_subjects)
    whole, batches = written_whole, _files(tmp_path / "batches")
    assert list(whole) == list(batches) and "adlb.xpt" in whole
    for name in whole:
        assert whole[name] == batches[name], name
    assert any(line.startswith("ADLB: derived in ") and " batches of up to " in line for line in said), said


def test_a_study_in_one_batch_is_derived_whole_and_the_progress_says_why(foreign, tmp_path):  # noqa: F811
    mappings, sdtm = foreign
    said: list[str] = []
    build_and_write_adam(mappings, sdtm, tmp_path / "one", CREATED, said.append, batch_subjects=5000)
    build_and_write_adam(mappings, sdtm, tmp_path / "whole", CREATED)
    assert _files(tmp_path / "one") == _files(tmp_path / "whole")
    assert "ADSL: derived whole: the study's 4 subjects make one batch" in said


def test_the_other_sponsors_study_in_batches_of_one_subject_writes_the_same_bytes(foreign, tmp_path):  # noqa: F811
    mappings, sdtm = foreign
    build_and_write_adam(mappings, sdtm, tmp_path / "whole", CREATED)
    build_and_write_adam(mappings, sdtm, tmp_path / "ones", CREATED, batch_subjects=1)
    assert _files(tmp_path / "ones") == _files(tmp_path / "whole")


SPEC = """\
dataset: ADEX
structure: BDS
source: {{dataset: EX}}
keys: [STUDYID, USUBJID, PARAMCD]
steps:
{steps}
variables:
  STUDYID:
  USUBJID:
  PARAMCD:
  AVAL:
  ASEQ:
"""

COUNT = ("  - derive_param_exposure: {filter: {PARAMCD: DOSE}, summary_fun: count, "
         "set_values_to: {PARAMCD: NDOSE}}")
START = ("  - derive_vars_constant: {set_values_to: {PARAMCD: DOSE}}\n"
         "  - derive_var_map: {source_var: EXDOSE, new_var: AVAL, values: {}, other: keep, type: Num}")


def _spec(tmp_path: Path, steps: str):
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    (folder / "adex.yaml").write_text(SPEC.format(steps=steps), encoding="utf-8")
    return load_adam_specs(folder)[0]


@pytest.mark.parametrize(("steps", "why"), [
    (f"{START}\n{COUNT}\n  - derive_var_obs_number: {{order: [PARAMCD]}}", None),
    (f"{START}\n  - derive_var_obs_number: {{order: [PARAMCD]}}\n{COUNT}", "do not end sorted by USUBJID first"),
    (f"{START}\n{COUNT}\n  - derive_var_obs_number: {{by_vars: [PARAMCD, USUBJID]}}",
     "do not end sorted by USUBJID first"),
    (f"{START}\n  - derive_var_extreme_flag: {{new_var: ASEQ, by_vars: [PARAMCD], order: [AVAL]}}",
     "groups by PARAMCD, not by subject"),
])
def test_a_dataset_runs_per_batch_only_when_its_steps_are_subject_local_and_end_in_subject_order(tmp_path, steps,
                                                                                                why):
    found = steps_not_batchable(_spec(tmp_path, steps))
    assert found == why if why is None else why in (found or "")


def test_a_derivation_that_compares_across_subjects_keeps_its_dataset_whole(tmp_path):
    from dataclasses import replace

    spec = _spec(tmp_path, f"{START}\n  - derive_var_obs_number: {{order: [PARAMCD]}}")
    step = spec.steps[1]
    spec.steps[1] = replace(step, verb=replace(step.verb, subject_local=False))
    assert steps_not_batchable(spec) == f"derive_var_map (line {step.line}) compares records across subjects"


def test_every_adam_derivation_says_whether_it_is_subject_local_and_what_it_does_to_the_order():
    verbs = algorithms("ADaM", ["dataset"])
    assert verbs and all(isinstance(v.subject_local, bool) for v in verbs)
    assert {v.name for v in verbs if v.record_order == "appended"} == {v.name for v in verbs
                                                                         if v.name.startswith("derive_param_")}
    assert [v.name for v in verbs if v.record_order == "sorted"] == ["derive_var_obs_number"]


def _folder(tmp_path: Path, dm: list[str], ae: list[str]) -> SdtmFolder:
    from converters.validate.data import infer_metadata
    from converters.writers.xpt import write_xpt

    folder = tmp_path / "sdtm"
    folder.mkdir()
    for name, subjects in (("DM", dm), ("AE", ae)):
        frame = pd.DataFrame({"STUDYID": ["X"] * len(subjects), "USUBJID": subjects,
                              f"{name[:2]}SEQ": [float(i + 1) for i in range(len(subjects))]})
        write_xpt(frame, infer_metadata(name, frame), folder / f"{name.lower()}.xpt", created=CREATED)
    return read_sdtm_folder(folder)


def test_batches_hold_the_subjects_in_usubjid_order_and_every_record_of_each(tmp_path):
    sdtm = _folder(tmp_path, ["S-3", "S-1", "S-2", "S-4"], ["S-2", "S-4", "S-2", "S-1", "S-3"])
    split = SubjectSplit(np.array(["S-1", "S-2", "S-3", "S-4"], dtype=object), 3)
    rows: dict[str, list[np.ndarray]] = {}
    first, second = (BatchSdtm(sdtm, split, n, rows).dataset("AE") for n in range(split.batches))
    assert first["USUBJID"].tolist() == ["S-2", "S-2", "S-1", "S-3"] and first["AESEQ"].tolist() == [1, 3, 4, 5]
    assert second["USUBJID"].tolist() == ["S-4"]
    assert [r.tolist() for r in rows["AE"]] == [[0, 2, 3, 4], [1]]


def _adae_spec(tmp_path, step: str, variable: str):
    """An ADAE spec on AE with one step and one variable besides the keys."""
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "adae.yaml").write_text(dedent(f"""\
        dataset: ADAE
        structure: OCCDS
        source: {{dataset: AE}}
        keys: [STUDYID, USUBJID, AESEQ]
        steps:
          - {step}
        variables:
          STUDYID:
          USUBJID:
          AESEQ:
          {variable}
        """), encoding="utf-8")
    return load_adam_specs(folder)[0]


def test_a_source_not_in_usubjid_order_is_derived_whole(tmp_path):
    from converters.adam.batches import derive_in_batches

    sdtm = _folder(tmp_path, ["S-1", "S-2", "S-3"], ["S-2", "S-1", "S-3"])
    spec = _adae_spec(tmp_path, "derive_var_flag: {new_var: TRTEMFL, condition: {AESEQ: {gt: 1}}}", "TRTEMFL:")
    said: list[str] = []
    found = derive_in_batches(spec, sdtm, {}, datasets_read(spec), 1,
                              lambda view, part: derive_dataset(spec, view, part), said.append)
    assert found is None and said == ["ADAE: derived whole: its source AE is not in USUBJID order"]


def test_batches_that_disagree_on_a_column_type_leave_the_dataset_to_the_whole_derivation(tmp_path):
    """A merged whole-number column is int64 where every subject of a batch matches and float64 (NaN) where one
    does not: the batches disagree, so the whole derivation decides the type."""
    from converters.adam.batches import derive_in_batches

    sdtm = _folder(tmp_path, ["S-1", "S-2", "S-3"], ["S-1", "S-2", "S-3"])
    counts = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "N": [2, 5]})
    spec = _adae_spec(tmp_path, "derive_vars_merged: {dataset_add: ADX, new_vars: {NX: N}}",
                      "NX: {label: Count, type: Num}")
    said: list[str] = []
    found = derive_in_batches(spec, sdtm, {"ADX": counts}, datasets_read(spec), 2,
                              lambda view, part: derive_dataset(spec, view, part), said.append)
    assert found is None
    assert said == ["ADAE: derived in 2 batches of up to 2 subjects",
                    "ADAE: derived whole: the batches disagree on the type of NX (int64 and float64)"]


@pytest.fixture(scope="module")
def adlb_held(study_a) -> AdamDataset:
    """Study A's ADLB built in batches of 7 subjects, as ``on_built`` is given it: held as codes, not yet written."""
    mappings, sdtm = study_a
    held: dict[str, AdamDataset] = {}

    def keep(d: AdamDataset, _study: object) -> None:
        if d.name == "ADLB":
            held[d.name] = AdamDataset(d.name, d.frame, d.dataset, d.source, d.source_records, dict(d.facts))

    build_adam(mappings, sdtm, on_built=keep, batch_subjects=7)
    return held["ADLB"]


def test_a_dataset_built_in_batches_is_held_as_codes_until_written(adlb_held):
    assert isinstance(adlb_held.frame, CompactFrame)
    text = [v.name for v in adlb_held.dataset.variables if not v.is_numeric]
    assert text and all(isinstance(adlb_held.frame.columns[name], TextColumn) for name in text)


@pytest.mark.parametrize("size", [1, 97, 10_000_000])
def test_a_dataset_written_from_pieces_gives_the_bytes_of_the_one_written_whole(adlb_held, tmp_path, size):
    dataset, compact = adlb_held.dataset, adlb_held.frame
    assert isinstance(compact, CompactFrame)
    if size == 1:
        compact = compact.take(np.arange(40))  # one record a piece: 40 of them
    whole = compact.frame()
    facts = dataset_text_facts(whole, dataset)  # measured on the whole frame, independently of the pieces'
    write_xpt(whole, dataset, tmp_path / "whole.xpt", created=CREATED, facts=facts)
    for ndjson in (False, True):
        write_dataset_json(whole, dataset, tmp_path / f"whole-{ndjson}.json", study_oid="S", metadata_version_oid="M",
                           created=CREATED, ndjson=ndjson, facts=facts)
    pieces_facts = {name: text_facts(whole[name]) for name in adlb_held.facts} if size == 1 else adlb_held.facts
    with open(tmp_path / "pieces.xpt", "wb") as xpt_handle, open(tmp_path / "pieces.json", "wb") as json_handle, \
            open(tmp_path / "pieces.ndjson", "wb") as ndjson_handle:
        xpt = XptPieces(dataset, xpt_handle, CREATED)
        rows = [DatasetJsonPieces(dataset, handle, len(compact), study_oid="S", metadata_version_oid="M",
                                  created=CREATED, ndjson=ndjson)
                for handle, ndjson in ((json_handle, False), (ndjson_handle, True))]
        for frame, piece_facts in compact_pieces(compact, pieces_facts, size):
            xpt.write(frame, piece_facts)
            for writer in rows:
                writer.write(frame, piece_facts)
        xpt.close()
        for writer in rows:
            writer.close()
    assert (tmp_path / "pieces.xpt").read_bytes() == (tmp_path / "whole.xpt").read_bytes()
    assert (tmp_path / "pieces.json").read_bytes() == (tmp_path / "whole-False.json").read_bytes()
    assert (tmp_path / "pieces.ndjson").read_bytes() == (tmp_path / "whole-True.json").read_bytes()


def test_the_text_facts_of_a_piece_are_those_measured_on_its_records():
    column = pd.Series(["b", None, "a", "b", "", "c", None, "a", "d"], dtype=object)
    whole = text_facts(column)
    for start, stop in [(0, 9), (1, 4), (3, 7), (6, 7), (5, 5)]:
        cut, measured = slice_facts(whole, start, stop), text_facts(column.iloc[start:stop].reset_index(drop=True))
        assert list(cut.codes) == list(measured.codes) and list(cut.values) == list(measured.values)
        assert list(cut.nbytes) == list(measured.nbytes) and list(cut.nchars) == list(measured.nchars)
