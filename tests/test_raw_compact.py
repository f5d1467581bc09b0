"""Raw forms held as codes from their reading to the batches (docs/scale.md, "Raw forms held as codes"): each
form read, measured and held compactly before the next, given back exactly as read, split by subject as codes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from converters.engine.batches import partition_raw
from converters.engine.compact import CompactSource, compact_source, raw_rows, raw_source
from converters.errors import DataError, SpecError
from converters.readers.raw import ROW, RawSource, iter_raw_folder, read_raw_folder
from converters.sdtm.coverage import column_coverage
from converters.sdtm.raw_forms import read_forms
from converters.sdtm.study import build_study
from converters.shipped import study_mappings, study_raw
from converters.spec.loader import load_domain_specs
from converters.spec.study import StudyDefinition, load_study

FOREIGN = Path(__file__).parent / "fixtures" / "foreign"  # usubjid.join: ae.csv is read before its source dm.csv


def same_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal values, missing values, dtypes, column labels and index (of the same type)."""
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=True, check_column_type=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert type(got.index) is type(expected.index)


@pytest.mark.parametrize("study", ["carnk-sclc", "cll1-aml"])
def test_a_form_held_as_codes_gives_back_the_form_as_read(study: str) -> None:
    for src in read_raw_folder(study_raw(study)).values():
        held = compact_source(src)
        assert isinstance(held, CompactSource) and held.column_names() == src.column_names()
        back = held.source()
        assert (back.name, back.path, back.encoding) == (src.name, src.path, src.encoding)
        same_frame(back.frame, src.frame)
        pd.testing.assert_series_equal(raw_rows(held), src.frame[ROW])


def test_rows_taken_from_codes_are_the_rows_of_the_form_index_included() -> None:
    frame = pd.DataFrame({"SUBJID": pd.array(["3", "1", None, "1", "2"], dtype="string"),
                          "AETERM": pd.array(["a", "b", "c", None, "e"], dtype="string")},
                         index=pd.RangeIndex(5))
    src = RawSource("ae", Path("ae.csv"), frame.assign(**{ROW: np.array([2, 3, 5, 6, 9], dtype=np.int64)}))
    held = compact_source(src)
    for positions in (np.array([3, 1, 0]), np.array([], dtype=np.int64), np.array([4])):
        same_frame(held.take(positions).source().frame, src.frame.iloc[positions])
        piece = held.take(positions, used=True)  # a piece for another process: only the values it uses
        same_frame(piece.source().frame, src.frame.iloc[positions])
        assert all(len(col.values) <= len(positions) for name, col in piece.data.columns.items() if name != ROW)


def test_a_held_form_shares_no_memory_with_the_frame_read() -> None:
    src = RawSource("ae", Path("ae.csv"), pd.DataFrame({"X": pd.array(["a"], dtype="string"),
                                                        ROW: np.array([1], dtype=np.int64)}))
    held = compact_source(src)
    assert not np.shares_memory(raw_rows(held).to_numpy(), src.frame[ROW].to_numpy())  # the frame read can go


def test_the_folder_is_read_one_form_at_a_time_when_asked_for(tmp_path: Path) -> None:
    (tmp_path / "ae.csv").write_text("SUBJID,AETERM\n1,Headache\n", encoding="utf-8")
    (tmp_path / "zz.csv").write_text("A,A\n1,2\n", encoding="utf-8")  # a bad header, read second
    forms = iter_raw_folder(tmp_path)
    name, first = next(forms)
    assert name == "ae" and first.frame["AETERM"].tolist() == ["Headache"]
    with pytest.raises(DataError, match="duplicate header column names"):
        next(forms)


def foreign() -> tuple[StudyDefinition, list, dict[str, RawSource]]:
    study = load_study(FOREIGN / "mappings" / "frn" / "study.yaml")
    specs = load_domain_specs(FOREIGN / "mappings" / "frn" / "sdtm", study)
    return study, specs, read_raw_folder(FOREIGN / "raw")


@pytest.mark.parametrize("compact", [True, False])
def test_the_forms_read_in_any_order_give_the_same_forms_coverage_and_warnings(compact: bool) -> None:
    study, specs, raw = foreign()
    assert list(raw) == ["ae", "dm", "ex"] and study.subject_join is not None  # ae and ex wait for dm's lookup
    first = read_forms(study, specs, iter(raw.items()), compact=compact)
    last = read_forms(study, specs, iter(reversed(list(raw.items()))), compact=compact)
    assert first.coverage == last.coverage == column_coverage(raw, specs, study)
    assert first.warnings == last.warnings
    for name in raw:
        assert isinstance(first.raw[name], CompactSource) is compact
        same_frame(raw_source(first.raw[name]).frame, raw_source(last.raw[name]).frame)
    joined = raw_source(first.raw["ae"]).frame
    assert "SITE" in joined and joined[ROW].tolist() == raw["ae"].frame[ROW].tolist()  # no row added or lost
    assert first.columns()["ae"] == set(raw["ae"].column_names()) | {"SITE"}


def test_a_join_source_without_the_join_columns_is_named_once_every_form_is_read() -> None:
    study, specs, raw = foreign()
    raw["dm"] = RawSource("dm", raw["dm"].path, raw["dm"].frame.drop(columns=["SITE"]))
    with pytest.raises(SpecError, match="usubjid.join: SITE not in raw form dm"):
        read_forms(study, specs, iter(raw.items()))
    del raw["dm"]
    with pytest.raises(SpecError, match="usubjid.join: raw form 'dm' not found"):
        read_forms(study, specs, iter(raw.items()))


def test_forms_held_as_codes_are_split_into_the_batches_the_forms_as_read_give() -> None:
    study = load_study(study_mappings("carnk-sclc") / "study.yaml")
    raw = read_raw_folder(study_raw("carnk-sclc"))
    as_read = partition_raw(study, dict(raw), 20)
    as_codes = partition_raw(study, {name: compact_source(src) for name, src in raw.items()}, 20)
    assert len(as_read) == len(as_codes) == 4
    for read_batch, code_batch in zip(as_read, as_codes):
        assert list(read_batch) == list(code_batch)
        for name, src in read_batch.items():
            same_frame(raw_source(code_batch[name]).frame, src.frame)


def test_a_batched_build_from_forms_read_out_of_order_is_the_unbatched_build() -> None:
    whole = build_study(FOREIGN / "mappings" / "frn", FOREIGN / "raw", batch_subjects=None)
    batched = build_study(FOREIGN / "mappings" / "frn", FOREIGN / "raw", batch_subjects=1)
    assert [d.name for d in whole.domains] == [d.name for d in batched.domains]
    for a, b in zip(whole.domains, batched.domains):
        same_frame(b.frame, a.frame)
    same_frame(batched.log.frame(), whole.log.frame())
    assert batched.coverage == whole.coverage and batched.notes == whole.notes
