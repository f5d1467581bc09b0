"""SDTM memory bounded by what is held: batches held compactly, finished domains spilled, the same bytes
(docs/scale.md, "What is bounded")."""
from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from converters.cli import cli
from converters.errors import DataError, Location
from converters.engine.compact import TextColumn, compact_frame, concat_compact
from converters.metadata.model import Dataset, Variable
from converters.sdtm.study import HELD_WHOLE, TRIAL_DESIGN, BuiltDomain, build_study, builder_columns
from converters.shipped import study_mappings, study_raw
from converters.writers.dataset_json import write_dataset_json
from converters.writers.output_folder import spill_folder
from converters.writers.spill import spill_frame
from converters.writers.text_facts import text_columns_facts
from converters.writers.xpt import write_xpt


def _kinds(frame: pd.DataFrame) -> list[list[str]]:
    """Per column, the type of every value: None, NaN and text told apart (equality alone would not)."""
    return [[type(v).__name__ for v in frame[c].tolist()] for c in frame.columns]


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert _kinds(got) == _kinds(expected)


def _objects(values: list) -> pd.Series:
    """An object column as the build makes them (pandas would infer its text dtype from a plain list)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Series(out, dtype=object)


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": _objects(["S-1", "S-1", "S-2", None]),      # text, missing as None: coded
        "LBDTC": _objects(["2025-01-0" + str(i) for i in range(1, 5)]),  # a string per record
        "LBORRES": _objects(["1", np.nan, "2", np.nan]),       # missing as NaN: coded, NaN given back
        "MIXEDNA": _objects(["A", None, np.nan, "B"]),         # None and NaN both: kept as it is
        "NUMBERS": _objects([1, 1.0, True, "1"]),              # not text: kept (1, 1.0, True are one key)
        "LBSTRESN": [1.5, np.nan, 2.0, 3.0],
        "__row__": [1, 2, 3, 4],
        "VISIT": pd.array(["A", None, "B", "A"], dtype="str"),   # pandas text (python storage): coded
        "NA": pd.array(["x", pd.NA, "y", "x"], dtype="string"),
    }, index=pd.RangeIndex(4))


def test_a_compact_frame_gives_back_the_same_values_missing_values_and_dtypes():
    frame = _mixed_frame()
    held = compact_frame(frame)
    assert isinstance(held.columns["USUBJID"], TextColumn) and isinstance(held.columns["LBORRES"], TextColumn)
    assert not isinstance(held.columns["MIXEDNA"], TextColumn) and not isinstance(held.columns["NUMBERS"], TextColumn)
    assert isinstance(held.columns["VISIT"], TextColumn) and isinstance(held.columns["NA"], TextColumn)
    assert held.columns["USUBJID"].codes.dtype == np.int8  # few values: one byte a record
    _same(held.frame(), frame)


def test_compact_pieces_concatenate_as_pandas_concat_does():
    a, b = _mixed_frame(), _mixed_frame().iloc[::-1].reset_index(drop=True)
    b.loc[0, "USUBJID"] = "S-9"
    expected = pd.concat([a, b], ignore_index=True)
    _same(concat_compact([compact_frame(a), compact_frame(b)]).frame(), expected)
    other = b.drop(columns=["NA"])  # different columns: made as pandas makes them
    got = concat_compact([compact_frame(a), compact_frame(other)])
    _same(got if isinstance(got, pd.DataFrame) else got.frame(), pd.concat([a, other], ignore_index=True))


def test_a_single_compact_piece_keeps_its_index():
    frame = _mixed_frame().set_axis(pd.RangeIndex(10, 14))
    _same(concat_compact([compact_frame(frame)]).frame(), frame)


_values = st.one_of(st.none(), st.just(np.nan), st.sampled_from(["", "A", "B ", "é", "2025-01"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_values, min_size=0, max_size=12), min_size=1, max_size=4))
def test_any_split_of_a_text_column_compacts_and_concatenates_to_the_same_column(pieces):
    frames = [pd.DataFrame({"X": _objects(p), "Y": pd.array([v if v != "" else None for v in p], dtype="str")})
              for p in pieces]
    expected = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    got = concat_compact([compact_frame(f) for f in frames])
    _same(got if isinstance(got, pd.DataFrame) else got.frame(), expected)


def _lb() -> tuple[pd.DataFrame, Dataset]:
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "LBTESTCD": ["HGB", "ALT", None],
                          "LBSTRESN": [13.5, np.nan, -0.0], "LBORRES": ["x" * 200, "", None]})
    ds = Dataset("LB", "Laboratory Test Results", variables=[
        Variable("USUBJID", "Unique Subject Identifier", "text", length=3),
        Variable("LBTESTCD", "Lab Test or Examination Short Name", "text", length=3),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", "float", length=8),
        Variable("LBORRES", "Result or Finding in Original Units", "text", length=200)])
    return frame, ds


def test_a_spilled_frame_is_written_to_the_same_bytes(tmp_path):
    frame, ds = _lb()
    facts = text_columns_facts(frame, "LB")
    spilled = spill_frame(frame, facts, tmp_path / "lb.spill")
    back, back_facts = spilled.load()
    assert spilled.records == 3 and list(back.columns) == list(frame.columns)
    for folder, (f, k) in {"whole": (frame, facts), "spilled": (back, back_facts)}.items():
        (tmp_path / folder).mkdir()
        write_xpt(f, ds, tmp_path / folder / "lb.xpt", facts=k)
        write_dataset_json(f, ds, tmp_path / folder / "lb.json", study_oid="S", metadata_version_oid="MDV", facts=k)
    for name in ("lb.xpt", "lb.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "spilled" / name).read_bytes()
    read, _meta = pyreadstat.read_xport(str(tmp_path / "spilled" / "lb.xpt"))
    assert read["LBORRES"].tolist() == ["x" * 200, "", ""] and read["LBTESTCD"].tolist() == ["HGB", "ALT", ""]


def test_a_released_domain_lets_its_records_go():
    frame = pd.DataFrame({"AESEQ": np.arange(1000, dtype="float64"), "AESTDY": np.arange(1000, dtype="float64")})
    domain = BuiltDomain("AE", frame, Dataset("AE", "Adverse Events"))
    data = frame._mgr.blocks[0].values  # the two numbers as one block: a slice of the frame would keep it
    while data.base is not None:
        data = data.base
    alive = weakref.ref(data)
    del frame, data
    domain.release()
    gc.collect()
    assert alive() is None and domain.records == 1000 and len(domain.frame) == 0


def test_a_spilled_domain_holds_only_what_the_builders_read(tmp_path):
    study = study_mappings("carnk-sclc")
    build = build_study(study, study_raw("carnk-sclc"), batch_subjects=20, spill=tmp_path)
    from converters.spec.study import load_study

    definition = load_study(study / "study.yaml")
    spilled = [d for d in build.domains if d.spilled is not None]
    assert {d.name for d in spilled} >= {"AE", "LB", "VS", "SUPPAE"}
    # the domains the builders read whole wait as frames until the builders have run, then on disk as the others;
    # the trial design stays a frame (TS's value-level metadata reads it)
    assert {"DM", "SE", "SV"} <= {d.name for d in spilled} and not {d.name for d in spilled} & TRIAL_DESIGN
    assert HELD_WHOLE - TRIAL_DESIGN == {"DM", "SE", "SV"}
    for domain in spilled:
        coded = {v.name for v in domain.dataset.variables if v.codelist} | \
            {n for vl in domain.dataset.value_level for n in (vl.variable, *(c.variable for c in vl.where))}
        assert set(domain.frame.columns) <= builder_columns(definition, domain.name) | coded
        whole, _facts = domain.written_form()
        assert len(whole) == domain.records and list(whole.columns) == domain.dataset.variable_names
    ae = next(d for d in spilled if d.name == "AE")
    assert {"AETOXGR", "AEDECOD", "AESPID", "AESEQ"} <= set(ae.frame.columns)  # value_level, related_records


@pytest.mark.slow
def test_the_spill_folder_is_removed_after_the_build_and_after_a_failure(tmp_path, monkeypatch):
    out = tmp_path / "sdtm"
    result = CliRunner().invoke(cli, ["sdtm", str(study_mappings("cll1-aml")), "--raw", str(study_raw("cll1-aml")),
                                      "--out", str(out), "--batch-subjects", "10"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]

    import converters.sdtm.output as output

    def fail(*_args, **_kwargs):
        raise DataError("cannot write: no space left on device", Location(str(out)))

    monkeypatch.setattr(output, "write_build", fail)
    result = CliRunner().invoke(cli, ["sdtm", str(study_mappings("cll1-aml")), "--raw", str(study_raw("cll1-aml")),
                                      "--out", str(tmp_path / "again")])
    assert result.exit_code != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]


def test_a_spill_folder_is_private_marked_and_removed_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with spill_folder(tmp_path / "out") as folder:
            assert folder.parent == tmp_path and folder.name.startswith(".out.")
            assert (folder / ".cdisc-convert-output").is_file()
            (folder / "x.spill").write_bytes(b"1")
            raise RuntimeError("stop")
    assert list(Path(tmp_path).iterdir()) == []


def test_a_full_disk_while_spilling_names_the_file_and_says_why(tmp_path, monkeypatch):
    frame, _ds = _lb()
    facts = text_columns_facts(frame, "LB")
    import converters.writers.spill as spill

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")  # as a write on a full disk raises it: no file name

    monkeypatch.setattr(spill.pickle, "dump", full)
    with pytest.raises(DataError) as err:
        spill_frame(frame, facts, tmp_path / "lb.spill")
    assert "lb.spill" in str(err.value) and "No space left on device" in str(err.value)
    assert "cannot write" in str(err.value) and "free disk space" in (err.value.hint or "")


def test_a_spill_file_that_cannot_be_read_back_is_a_clear_error(tmp_path):
    frame, _ds = _lb()
    spilled = spill_frame(frame, text_columns_facts(frame, "LB"), tmp_path / "lb.spill")
    spilled.path.unlink()
    with pytest.raises(DataError) as err:
        spilled.load()
    assert "cannot read" in str(err.value) and "lb.spill" in str(err.value)
