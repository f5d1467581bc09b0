"""The ADaM build at scale: SDTM text read as codes gives the same prepared datasets as text read per cell, a dataset
is let go after the last spec that may read it (and read again, the same, if asked for), and writing each dataset
as it is built (frames thinned) gives the same files as keeping every frame."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from converters.adam.build import datasets_read, last_reads
from converters.adam.pipeline import build_and_write_adam
from converters.adam.sources import merge_supp, nulls_for_blanks, read_sdtm_folder, text_from_codes
from converters.adam.spec import load_adam_specs
from converters.validate.data import infer_metadata, read_dataset
from converters.writers.xpt import write_xpt
from test_adam_cli import foreign  # noqa: F401 - the other sponsor's SDTM folder and ADaM specs (a fixture)

STUDY_A = Path(__file__).resolve().parents[1] / "mappings" / "carnk-sclc" / "adam"


def _write(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / f"{name.lower()}.xpt"
    write_xpt(frame, infer_metadata(name, frame), path, created=datetime(2025, 1, 1))
    return path


def test_text_read_as_codes_is_prepared_as_the_same_object_text_with_nulls_for_blanks(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-2", None], "AETERM": ["  ", " Rash", "Rash", "Rash"],
                          "AESEQ": [1.0, 2.0, np.nan, 4.0]})
    path = _write(tmp_path, "AE", frame)
    as_codes, _meta, _facts = read_dataset(path, codes=True)
    as_text, _meta, _facts = read_dataset(path)
    assert isinstance(as_codes["AETERM"].dtype, pd.CategoricalDtype)  # the fast path: codes, not cells
    prepared = nulls_for_blanks(as_codes)
    pd.testing.assert_frame_equal(prepared, nulls_for_blanks(as_text))
    assert prepared["AETERM"].tolist() == [None, " Rash", "Rash", "Rash"]  # blank to null, leading blank kept
    assert prepared["USUBJID"].tolist() == ["S-1", "S-2", "S-2", None] and prepared["AETERM"].dtype == object


def test_text_from_codes_gives_null_for_a_missing_code():
    col = pd.Series(pd.Categorical(["A", None, "", "B"]))
    assert text_from_codes(col).tolist() == ["A", None, None, "B"]


def test_supp_qualifiers_join_a_numeric_idvar_by_its_text():
    parent = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [1.0, 2.0, 1.0]})
    supp = pd.DataFrame({"RDOMAIN": ["AE", "AE", "AE"], "USUBJID": ["S-1", "S-2", "S-1"], "IDVAR": ["AESEQ"] * 3,
                         "IDVARVAL": ["2", "1", " 1 "], "QNAM": ["AEDLT", "AEDLT", "AEDLT"], "QVAL": ["Y", "N", "N"]})
    merged = merge_supp(parent, supp, "AE")
    assert merged["AEDLT"].tolist() == ["N", "Y", "N"] and list(merged["AESEQ"]) == [1.0, 2.0, 1.0]


def test_a_released_dataset_is_read_again_with_the_same_records(tmp_path):
    _write(tmp_path, "DM", pd.DataFrame({"STUDYID": ["X"] * 2, "USUBJID": ["S-1", "S-2"]}))
    _write(tmp_path, "AE", pd.DataFrame({"STUDYID": ["X"] * 3, "USUBJID": ["S-1", "S-1", "S-2"],
                                         "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["Rash", "", "Fever"]}))
    _write(tmp_path, "SUPPAE", pd.DataFrame({"STUDYID": ["X"], "RDOMAIN": ["AE"], "USUBJID": ["S-1"],
                                             "IDVAR": ["AESEQ"], "IDVARVAL": ["2"], "QNAM": ["AEDLT"],
                                             "QLABEL": ["Dose Limiting Toxicity"], "QVAL": ["Y"]}))
    sdtm = read_sdtm_folder(tmp_path)
    first = sdtm.dataset("AE")
    assert first["AEDLT"].isna().tolist() == [True, False, True] and first.loc[1, "AEDLT"] == "Y"
    assert first["AETERM"].tolist() == ["Rash", None, "Fever"]
    assert sdtm.held == ["AE"]  # AE with its SUPPAE
    sdtm.release("AE", files=True)
    assert sdtm.held == [] and sdtm.label("AE", "AETERM") is not None  # the file metadata stays
    pd.testing.assert_frame_equal(sdtm.dataset("AE"), first)


def test_every_dataset_a_spec_reads_is_named_and_the_last_reader_of_each_is_known():
    specs = load_adam_specs(STUDY_A)
    names = [spec.dataset for spec in specs]
    adsl = specs[names.index("ADSL")]
    assert {"DM", "EX", "AE", "DS", "DD", "MI", "RS", "ADSL"} <= datasets_read(adsl)
    assert "DM" not in datasets_read(adsl, steps_only=True)
    last = last_reads(specs)
    assert last["LB"] == names.index("ADLB") and last["TR"] == names.index("ADTR")
    assert last["ADSL"] == max(i for i, spec in enumerate(specs) if "ADSL" in datasets_read(spec))
    assert "VS" not in last  # no spec of study A reads vital signs: never read


@pytest.mark.parametrize("keep_frames", [True, False])
def test_writing_each_dataset_as_built_gives_the_same_files_with_frames_kept_or_thinned(foreign, tmp_path,  # noqa: F811
                                                                                       keep_frames):
    mappings, sdtm = foreign
    created = datetime(2025, 1, 1)
    whole, _ = build_and_write_adam(mappings, sdtm, tmp_path / "whole", created)
    build, _ = build_and_write_adam(mappings, sdtm, tmp_path / "out", created, keep_frames=keep_frames)
    written = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "out").iterdir()) and "adae.xpt" in written
    for name in written:
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "out" / name).read_bytes(), name
    adae = next(d for d in build.datasets if d.name == "ADAE")
    assert adae.records == 3 and adae.subjects == 2
    codelist_columns = [v.name for v in adae.dataset.variables if v.codelist]
    if keep_frames:
        assert list(adae.frame.columns) == list(whole.frame("ADAE").columns)
    else:  # thinned: every codelist column is text with its facts, so the frame holds no column, only its records
        assert codelist_columns and sorted(adae.facts) == sorted(codelist_columns)
        assert list(adae.frame.columns) == [] and len(adae.frame) == 3
    assert [(c.name, [t.submission_value for t in c.terms]) for c in build.study.codelists] == \
        [(c.name, [t.submission_value for t in c.terms]) for c in whole.study.codelists]


def _pick(rng: np.random.Generator, pool: list, size: int) -> pd.Series:
    return pd.Series(np.array(pool, dtype=object)[rng.integers(0, len(pool), size)], dtype=object)


@pytest.mark.parametrize("seed", range(5))
def test_parameters_worked_out_per_distinct_combination_equal_those_of_every_record(seed):
    from converters.adam.derive_vars_param import Options, _parameters
    from adam_fixtures import run

    rng = np.random.default_rng(seed)
    n = 300
    frame = pd.DataFrame({"LBTESTCD": _pick(rng, ["NEUT", "BLASTLE", " HGB", None], n),
                          "LBTEST": _pick(rng, ["Neutrophils", "Blasts", "Hemoglobin", None, ""], n),
                          "LBSTRESU": _pick(rng, ["10^9/L", "%", None, ""], n),
                          "LBSPEC": _pick(rng, ["BONE MARROW", "BLOOD", None], n)})
    options = {"qualifiers": {"LBSPEC": {"BONE MARROW": "BM"}}}
    out = run("derive_vars_param", frame, options)
    paramcd, param = _parameters(frame, Options.model_validate(options))  # record by record
    assert out["PARAMCD"].tolist() == paramcd.tolist() and out["PARAM"].tolist() == param.tolist()


@pytest.mark.parametrize("source", [
    pd.Series([1.0, np.nan, -0.0, 2.5]), pd.Series(["a", None, " b", ""], dtype=object), pd.Series([1, 2, 3, 4]),
    pd.Series([1.0, None, "x", 3], dtype=object)])
@pytest.mark.parametrize("kind", [None, "Num", "Char"])
def test_a_copy_by_derive_var_map_equals_a_lookup_in_a_table_that_never_matches(source, kind):
    from adam_fixtures import run

    frame = pd.DataFrame({"S": source, "O": ["o1", "o2", "o3", "o4"]})
    for extra in ({}, {"missing_value": "MISSING"}, {"missing_var": "O"}):
        copy = {"source_var": "S", "new_var": "N", "values": {}, "other": "keep", "type": kind, **extra}
        lookup = {**copy, "values": {"\x00never": None}}
        pd.testing.assert_series_equal(run("derive_var_map", frame, copy)["N"], run("derive_var_map", frame, lookup)["N"])


@pytest.mark.parametrize("seed", range(20))
def test_text_facts_of_distinct_values_equal_those_measured_on_every_record(seed):
    from converters.adam.build import facts_of_distinct
    from converters.adam.columns import distinct_map
    from converters.writers.text_facts import text_facts

    rng = np.random.default_rng(seed)
    column = _pick(rng, [1.0, 2.0, 1.5, np.nan, "a", "b", None, "1", "\u00e9", ""], int(rng.integers(0, 60)))
    codes, table = distinct_map(column, lambda u: u.map(lambda v: f"{v:g}" if isinstance(v, float) else v))
    expected = text_facts(pd.Series(table[codes], dtype=object))  # "1" and 1.0 become one value: merged
    found = facts_of_distinct(codes, table[:-1])
    assert found.codes.tolist() == expected.codes.tolist() and found.codes.dtype == expected.codes.dtype
    assert found.values.tolist() == expected.values.tolist()
    assert found.nbytes.tolist() == expected.nbytes.tolist() and found.nchars.tolist() == expected.nchars.tolist()


def test_freed_memory_is_given_back_where_the_c_library_can():
    import platform

    from converters.memory import release_free_memory

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert release_free_memory() is glibc


def test_a_text_column_prepared_once_for_every_batch_gives_what_each_batch_prepared_alone_gives():
    whole = pd.DataFrame({"AETERM": pd.Categorical(["Rash", " ", None, "Fever", "Rash"]),
                          "AESEQ": [1.0, 2.0, 3.0, 4.0, 5.0]})
    tables: dict[str, np.ndarray] = {}
    for rows in ([0, 1], [2, 3, 4], []):
        part = whole.take(rows).reset_index(drop=True)
        pd.testing.assert_frame_equal(nulls_for_blanks(part, tables), nulls_for_blanks(part))
    assert list(tables) == ["AETERM"]  # prepared once, on the whole column's distinct values


def _merged_base(frame: pd.DataFrame, keep: np.ndarray, by_vars: list[str], source: str) -> np.ndarray:
    baseline = frame.loc[keep, by_vars + [source]].rename(columns={source: "__base__"})
    return frame[by_vars].merge(baseline, on=by_vars, how="left", validate="many_to_one")["__base__"].to_numpy()


@pytest.mark.parametrize("source", ["AVAL", "AVALC", "ADT"])
@pytest.mark.parametrize("by_vars", [["STUDYID", "USUBJID", "PARAMCD"], ["USUBJID", "AVISITN"]])
def test_the_baseline_found_from_group_codes_is_the_left_join_of_the_records_on_their_baseline_record(source, by_vars):
    from converters.adam.derive_var_base import baseline_values

    rng = np.random.default_rng(17)
    for _ in range(40):
        n = int(rng.integers(0, 40))
        frame = pd.DataFrame({
            "STUDYID": pd.Series(["S"] * n, dtype=object),
            "USUBJID": pd.Series([f"U{i}" for i in rng.integers(0, 5, n)], dtype=object),
            "PARAMCD": pd.Series([f"P{i}" for i in rng.integers(0, 3, n)], dtype=object),
            "AVISITN": rng.integers(0, 3, n).astype(float),
            "AVAL": np.where(rng.random(n) < .2, np.nan, rng.random(n)),
            "AVALC": pd.Series([None if x < .2 else f"v{x:.1f}" for x in rng.random(n)], dtype=object),
            "ADT": pd.to_datetime(rng.integers(0, 900, n), unit="D").to_numpy()})
        chosen = rng.random(n) < .4
        keep = chosen & ~frame[by_vars].assign(chosen=chosen).duplicated(subset=[*by_vars, "chosen"]).to_numpy()
        found = baseline_values(frame, keep, by_vars, source)
        joined = _merged_base(frame, keep, by_vars, source)
        assert found is not None and found.dtype == joined.dtype
        pd.testing.assert_series_equal(pd.Series(found, dtype=joined.dtype), pd.Series(joined, dtype=joined.dtype),
                                       check_exact=True)
        assert [type(v) for v in found] == [type(v) for v in joined]  # NaN, not None, where a group has none


def test_the_baseline_of_records_with_a_null_key_or_two_baseline_records_is_left_to_the_join():
    from converters.adam.derive_var_base import baseline_values

    frame = pd.DataFrame({"USUBJID": pd.Series(["A", None, "A"], dtype=object), "AVAL": [1.0, 2.0, 3.0]})
    assert baseline_values(frame, np.array([True, True, False]), ["USUBJID"], "AVAL") is None  # null key
    frame["USUBJID"] = pd.Series(["A", "B", "A"], dtype=object)
    assert baseline_values(frame, np.array([True, False, True]), ["USUBJID"], "AVAL") is None  # two in A
    assert baseline_values(frame, np.array([True, True, False]), ["USUBJID"], "AVAL").tolist() == [1.0, 2.0, 1.0]


def test_batches_put_together_column_by_column_are_the_concatenation_and_let_go_of_the_batches_columns():
    from converters.adam.batches import put_together
    from converters.engine.compact import compact_frame, concat_compact

    frames = [pd.DataFrame({"USUBJID": pd.Series(["A", "B"], dtype=object), "AVAL": [1.0, np.nan],
                            "AVALC": pd.Series([None, "x"], dtype=object)}),
              pd.DataFrame({"USUBJID": pd.Series(["C"], dtype=object), "AVAL": [3.0],
                            "AVALC": pd.Series(["y"], dtype=object)})]
    expected = concat_compact([compact_frame(f) for f in frames]).frame()
    pieces = [compact_frame(f) for f in frames]
    together = put_together(pieces)
    assert all(not p.columns for p in pieces)  # each batch's columns let go as they were put together
    pd.testing.assert_frame_equal(together.frame(), expected)
    pd.testing.assert_frame_equal(expected, pd.concat(frames, ignore_index=True))
