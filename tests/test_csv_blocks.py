"""A large CSV form read in blocks of records, each held as codes at once (readers.csv.read_csv_form): the form
put together equals the form read whole (values, missing values, ``__row__``, dtypes), and a file the blocks do
not fit is read whole, with the same errors."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from converters.engine.compact import CompactSource, compact_source, raw_source
from converters.errors import DataError
from converters.readers.csv import read_csv, read_csv_form, record_blocks
from converters.readers.raw import ROW, RawSource, iter_raw_folder, read_raw_folder
from converters.sdtm.raw_forms import date_where_misses, read_forms
from converters.sdtm.reference_dates import date_sources
from converters.shipped import study_mappings, study_raw
from converters.spec.loader import load_domain_specs
from converters.spec.study import load_study


def same_form(path: Path, block_bytes: int, **options: str) -> CompactSource:
    """The form read in blocks of ``block_bytes`` equals the form read whole; gives the blocks' form."""
    whole = read_csv(path, **options)
    held = read_csv_form(path, block_bytes=block_bytes, **options)
    assert isinstance(held, CompactSource), "expected the form read in blocks"
    back = held.source()
    pd.testing.assert_frame_equal(back.frame, whole.frame, check_exact=True, check_index_type=True,
                                  check_column_type=True)
    assert list(back.frame.dtypes) == list(whole.frame.dtypes)
    assert (back.name, back.path, back.encoding) == (whole.name, whole.path, whole.encoding)
    return held


def write(tmp_path: Path, data: bytes, name: str = "lb.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


ROWS = b"".join(b"S-%03d,ALB,%d.5,g/L\n" % (i, 30 + i % 7) for i in range(40))


@pytest.mark.parametrize("block_bytes", [1, 7, 40, 100])
def test_blocks_of_any_size_give_the_form_read_whole(tmp_path: Path, block_bytes: int) -> None:
    path = write(tmp_path, b"SUBJID,LBTESTCD,LBORRES,LBORRESU\n" + ROWS)
    held = same_form(path, block_bytes)
    assert held.rows().tolist() == list(range(1, 41))


def test_a_quoted_line_break_across_a_block_edge(tmp_path: Path) -> None:
    data = (b'SUBJID,TERM,NOTE\n' + b'S-1,"Head\nache","said ""mild""\n, then\r\nnone"\n' * 30
            + b'S-2,Rash,"a,b"\n')
    path = write(tmp_path, data)
    for size in (1, 5, 13, 29, 64):
        held = same_form(path, size)
        assert held.data.column("TERM").iloc[0] == "Head\nache"
        assert len(record_blocks(data, size)) > 1


def test_blank_lines_and_whitespace_only_values(tmp_path: Path) -> None:
    data = b"SUBJID,LBTESTCD,LBORRES\n\nS-1,ALB,  \n\n\n  ,\t,\nS-2, ALB ,40\n,,\r\nS-3,HGB,\" \"\n\n"
    path = write(tmp_path, data)
    for size in (1, 3, 11, 20):
        held = same_form(path, size)
        assert held.rows().tolist() == [2, 6, 8]


def test_cp1252_and_declared_single_byte_encodings(tmp_path: Path) -> None:
    data = b"SUBJID,SITE,NOTE\n" + "".join(f"S-{i},José Müller,café {i}\n" for i in range(30)).encode("cp1252")
    path = write(tmp_path, data)
    assert same_form(path, 16).encoding == "cp1252"
    assert same_form(path, 16, encoding="latin-1").encoding == "latin-1"


def test_utf8_text_and_a_tsv(tmp_path: Path) -> None:
    data = b"SUBJID\tTERM\n" + "".join(f"S-{i}\tÜbelkeit {i % 3}\n" for i in range(30)).encode()
    same_form(write(tmp_path, data, "ae.tsv"), 10)


@pytest.mark.parametrize(("data", "block_bytes", "row"), [
    pytest.param(b"SUBJID,LBTESTCD,LBORRES\n" + b"S-1,ALB,40\n" * 30 + b"S-2,ALB\n" + b"S-3,ALB,1,2\n"
                 + b"S-1,ALB,40\n" * 5, 20, 31, id="bad field count in a later block"),
    pytest.param(b"SUBJID,NOTE\n" + b"S-1,x\n" * 20 + b'S-2,"never closed\n' + b"S-1,x\n" * 20, 10, None,
                 id="open quote"),
])
def test_an_error_in_a_later_block_is_the_whole_read_error(tmp_path: Path, data: bytes, block_bytes: int,
                                                           row: int | None) -> None:
    path = write(tmp_path, data)
    with pytest.raises(DataError) as whole:
        read_csv(path)
    with pytest.raises(DataError) as blocks:
        read_csv_form(path, block_bytes=block_bytes)
    assert str(blocks.value) == str(whole.value)
    if row is not None:
        assert blocks.value.where.row == whole.value.where.row == row


def test_utf16_and_small_files_are_read_whole(tmp_path: Path) -> None:
    text = "SUBJID,NOTE\n" + "".join(f"S-{i},n\n" for i in range(20))
    assert not isinstance(read_csv_form(write(tmp_path, text.encode("utf-16"), "a.csv"), block_bytes=8),
                          CompactSource)
    assert not isinstance(read_csv_form(write(tmp_path, text.encode(), "b.csv")), CompactSource)


@pytest.mark.parametrize("study", ["carnk-sclc", "cll1-aml"])
def test_the_shipped_forms_read_in_blocks_equal_the_forms_read_whole(study: str) -> None:
    for path in sorted(study_raw(study).glob("*.csv")):
        if path.stat().st_size > 4096:
            same_form(path, 4096)


def test_a_raw_folder_gives_large_forms_as_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, b"SUBJID,LBTESTCD,LBORRES\n" + b"S-1,ALB,40\n" * 30)
    write(tmp_path, b"SUBJID,AETERM\nS-1,Rash\n", "ae.csv")
    monkeypatch.setattr("converters.readers.csv.BLOCK_BYTES", 64)
    forms = dict(iter_raw_folder(tmp_path))
    assert set(forms) == {"ae", "lb"}
    assert all(ROW in f.source().frame if isinstance(f, CompactSource) else ROW in f.frame for f in forms.values())
    assert not any(isinstance(f, CompactSource) for f in read_raw_folder(tmp_path).values())


FOREIGN = Path(__file__).parent / "fixtures" / "foreign"  # usubjid.join: ae.csv is read before its source dm.csv


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("where", ["carnk-sclc", "cll1-aml", "foreign"])
def test_forms_read_in_blocks_give_the_same_coverage_warnings_and_forms(
        where: str, compact: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    mappings, raw_folder = (FOREIGN / "mappings" / "frn", FOREIGN / "raw") if where == "foreign" \
        else (study_mappings(where), study_raw(where))
    study = load_study(mappings / "study.yaml")
    specs = load_domain_specs(mappings / "sdtm", study)
    whole = read_forms(study, specs, iter(read_raw_folder(raw_folder).items()), compact=compact)
    # blocks of a few records: the foreign fixture's forms are a few hundred bytes, the examples' up to 450 KB
    monkeypatch.setattr("converters.readers.csv.BLOCK_BYTES", 64 if where == "foreign" else 4096)
    forms = list(iter_raw_folder(raw_folder))
    assert any(isinstance(form, CompactSource) for _name, form in forms)
    blocks = read_forms(study, specs, iter(forms), compact=compact)
    assert blocks.coverage == whole.coverage
    assert blocks.warnings == whole.warnings
    assert blocks.columns() == whole.columns()
    assert list(blocks.raw) == list(whole.raw)
    for name, form in blocks.raw.items():
        assert isinstance(form, CompactSource) is compact
        pd.testing.assert_frame_equal(raw_source(form).frame, raw_source(whole.raw[name]).frame, check_exact=True)


def test_a_date_source_where_value_is_looked_for_in_a_form_held_as_codes(tmp_path: Path) -> None:
    study = load_study(study_mappings("carnk-sclc") / "study.yaml")
    positions = [(position, source) for position, (_label, source) in enumerate(date_sources(study)) if source.where]
    assert positions, "the shipped study has a date source with a where"
    position, source = positions[0]
    form = read_raw_folder(study_raw("carnk-sclc"))[source.form]
    column = str(next(iter(source.where.items() if isinstance(source.where, dict) else source.where))[0])
    changed = RawSource(form.name, form.path, form.frame.assign(**{column: pd.array(["x"] * len(form), dtype="string")}))
    held = date_where_misses(study, source.form, compact_source(changed))
    assert held == date_where_misses(study, source.form, changed) and held[position]
    assert date_where_misses(study, source.form, compact_source(form)) == date_where_misses(study, source.form, form)
