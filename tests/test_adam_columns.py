"""The ADaM build reads only the SDTM variables its specs can read: the XPT reader given ``columns`` returns the
whole read's columns and metadata for those variables, the column set covers every variable a spec reads (the
build with it writes the same bytes as the build with every column, on both example studies), and a dataset's
SUPP-- still finds the variables it refers to."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SEND_EXAMPLES, reference_file
from validate_fixtures import clean_study, write_folder

from converters.adam import build as adam_build
from converters.adam.build import ALWAYS_READ, columns_read
from converters.adam.pipeline import build_and_write_adam
from converters.adam.sources import read_sdtm_folder
from converters.adam.spec import load_adam_specs
from converters.cli import cli
from converters.metadata.model import Dataset
from converters.validate.data import infer_metadata, read_dataset
from converters.validate.fastxpt import parse_xpt, read_xpt_fast
from converters.writers.xpt import write_xpt

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ["carnk-sclc", "cll1-aml"]


def _described(meta: Dataset) -> list[tuple[object, ...]]:
    return [(v.name, v.label, v.data_type, v.length, v.display_format) for v in meta.variables]


def _assert_subset_read(path: Path, wanted: set[str], codes: bool) -> None:
    whole = read_xpt_fast(path, codes=codes)
    part = read_xpt_fast(path, codes=codes, columns=wanted)
    assert whole is not None and part is not None, path
    (full, full_meta), (sub, sub_meta) = whole, part
    kept = [c for c in full.columns if c in wanted]
    assert list(sub.columns) == kept and len(sub) == len(full)  # file order, every record
    pd.testing.assert_frame_equal(sub, full[kept])
    assert _described(sub_meta) == [d for d in _described(full_meta) if d[0] in wanted]
    assert (sub_meta.name, sub_meta.label, sub_meta.records) == (full_meta.name, full_meta.label, full_meta.records)


@pytest.mark.parametrize("codes", [False, True])
def test_the_reader_given_columns_returns_the_whole_reads_columns(tmp_path, codes):
    folder = write_folder(clean_study(), tmp_path / "sdtm")
    for path in sorted(folder.glob("*.xpt")):
        frame, _meta = read_xpt_fast(path) or (None, None)
        assert frame is not None
        names = list(frame.columns)
        for wanted in ({*names[::2], "NOT_THERE"}, {names[-1]}, set(names)):  # text and numbers, any position
            _assert_subset_read(path, wanted, codes)


@pytest.mark.parametrize("name", ["dm.xpt", "ex.xpt", "ts.xpt"])
def test_the_reader_given_columns_agrees_on_files_we_did_not_write(name):
    path = reference_file(SEND_EXAMPLES) / name
    frame, _meta = read_xpt_fast(path) or (None, None)
    assert frame is not None
    _assert_subset_read(path, set(list(frame.columns)[1::3]), codes=True)


def test_no_columns_gives_every_record_and_no_variable(tmp_path):
    path = tmp_path / "ae.xpt"
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AESEQ": [1.0, 2.0]})
    write_xpt(frame, infer_metadata("AE", frame), path, created=datetime(2025, 1, 1))
    part = read_xpt_fast(path, columns=set())
    assert part is not None and part[0].shape == (2, 0) and part[1].variables == []


def test_non_ascii_text_with_detected_encoding_steps_aside_and_the_adam_read_takes_the_whole_file(tmp_path):
    """The encoding detected from part of the text could differ from the whole file's: the reader steps aside
    and the ADaM source reads the whole file, then keeps the columns asked for."""
    path = tmp_path / "ae.xpt"
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AETERM": ["Cafe", "Rash"], "AESEQ": [1.0, 2.0]})
    write_xpt(frame, infer_metadata("AE", frame), path, created=datetime(2025, 1, 1))
    path.write_bytes(path.read_bytes().replace(b"Cafe", b"Caf\xe9"))
    raw = path.read_bytes()
    whole_read = parse_xpt(raw, "auto")
    assert whole_read is not None and parse_xpt(raw, "auto", columns={"AETERM"}) is None
    ascii_part = parse_xpt(raw, "auto", columns={"USUBJID"})  # the text read is ASCII: decoded the same by any
    assert ascii_part is not None and ascii_part[2] == "ascii"
    pd.testing.assert_frame_equal(ascii_part[0], whole_read[0][["USUBJID"]])
    named = parse_xpt(raw, "cp1252", columns={"AETERM"})
    assert named is not None and named[0]["AETERM"].tolist() == ["Caf\u00e9", "Rash"]
    (tmp_path / "dm.xpt").write_bytes((tmp_path / "ae.xpt").read_bytes())  # a DM, so the folder is an SDTM folder
    sdtm = read_sdtm_folder(tmp_path, columns={"AE": frozenset({"USUBJID", "AETERM"})})
    assert sdtm.metas == {}
    whole, _meta, _facts = read_dataset(path, codes=True)
    pd.testing.assert_frame_equal(sdtm.frames["AE"], whole[["USUBJID", "AETERM"]])
    assert [v.name for v in sdtm.metas["AE"].variables] == ["USUBJID", "AETERM"]  # as on the fast path


def test_a_parent_is_read_with_the_variables_its_supp_refers_to(tmp_path):
    def write(name: str, frame: pd.DataFrame) -> None:
        write_xpt(frame, infer_metadata(name, frame), tmp_path / f"{name.lower()}.xpt", created=datetime(2025, 1, 1))

    write("DM", pd.DataFrame({"STUDYID": ["X"] * 2, "USUBJID": ["S-1", "S-2"]}))
    write("AE", pd.DataFrame({"STUDYID": ["X"] * 3, "USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [1.0, 2.0, 1.0],
                              "AETERM": ["Rash", "Fever", "Rash"], "AEDLT": ["N", "N", "N"]}))
    write("SUPPAE", pd.DataFrame({"STUDYID": ["X"], "RDOMAIN": ["AE"], "USUBJID": ["S-1"], "IDVAR": ["AESEQ"],
                                  "IDVARVAL": ["2"], "QNAM": ["AEDLT"], "QLABEL": ["Dose Limiting Toxicity"],
                                  "QVAL": ["Y"]}))
    whole = read_sdtm_folder(tmp_path).dataset("AE")
    part = read_sdtm_folder(tmp_path, columns={"AE": ALWAYS_READ}).dataset("AE")
    # AESEQ joins the qualifier; AEDLT, a parent variable of the qualifier's name, keeps the parent's value
    assert list(part.columns) == ["STUDYID", "USUBJID", "AESEQ", "AEDLT"]
    pd.testing.assert_frame_equal(part, whole[list(part.columns)])
    assert part["AEDLT"].tolist() == ["N", "N", "N"]
    named = read_sdtm_folder(tmp_path, columns={"SUPPAE": ALWAYS_READ})  # a spec that names SUPPAE itself
    assert "QLABEL" in named.frames["SUPPAE"]  # read whole: the ADaM label of a qualifier is its QLABEL


def test_the_column_set_names_what_study_a_reads_and_reads_a_whole_copy_whole():
    specs = load_adam_specs(ROOT / "mappings" / "carnk-sclc" / "adam")
    columns = columns_read(specs)
    lb = columns["LB"]
    assert lb is not None and {"LBTESTCD", "LBTEST", "LBSTRESU", "LBSTRESN", "LBDTC", "USUBJID"} <= lb
    assert "LBORRES" not in lb  # collected result: no ADaM spec of study A reads it
    assert "VS" not in columns  # never read at all
    merge = next(step for spec in specs for step in spec.steps if step.verb.name == "derive_vars_merged")
    copy_all = merge.options.model_copy(update={"new_vars": None})
    specs[0].steps.append(type(merge)(verb=merge.verb, options=copy_all, line=merge.line))
    assert columns_read(specs)[copy_all.dataset_add.upper()] is None  # a step that copies every variable


@pytest.fixture(scope="module", params=STUDIES)
def sdtm_folder(request, tmp_path_factory) -> tuple[str, Path]:
    study = request.param
    out = tmp_path_factory.mktemp(f"sdtm-{study}")
    result = CliRunner().invoke(cli, ["sdtm", str(ROOT / "mappings" / study), "--raw",
                                      str(ROOT / "examples" / study / "raw"), "--out", str(out / "sdtm")])
    assert result.exit_code == 0, result.output
    return study, out / "sdtm"


def test_the_build_with_the_column_set_writes_the_same_bytes_as_with_every_column(sdtm_folder, tmp_path, monkeypatch):
    study, sdtm = sdtm_folder
    mappings = ROOT / "mappings" / study
    created = datetime(2025, 1, 1)
    columns = columns_read(load_adam_specs(mappings / "adam"))
    assert any(v is not None for v in columns.values())  # some dataset is read in part
    build_and_write_adam(mappings, sdtm, tmp_path / "part", created)
    monkeypatch.setattr(adam_build, "columns_read", lambda specs: {})  # every variable of every dataset
    build_and_write_adam(mappings, sdtm, tmp_path / "whole", created)
    written = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "part").iterdir()) and "adlb.xpt" in written
    for name in written:
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_a_folder_read_in_part_holds_fewer_columns_and_the_same_values(sdtm_folder):
    study, sdtm = sdtm_folder
    columns = columns_read(load_adam_specs(ROOT / "mappings" / study / "adam"))
    whole, part = read_sdtm_folder(sdtm), read_sdtm_folder(sdtm, columns=columns)
    lb_whole, lb_part = whole.dataset("LB"), part.dataset("LB")
    assert 0 < len(lb_part.columns) < len(lb_whole.columns)
    pd.testing.assert_frame_equal(lb_part, lb_whole[list(lb_part.columns)])
    assert np.isin(list(lb_part.columns), list(lb_whole.columns)).all()
