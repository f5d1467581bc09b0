"""study.yaml table rows hold only their documented keys, so an unquoted comma cannot split a value silently."""
from pathlib import Path

import pytest

from converters.errors import SpecError
from converters.spec.study import load_study

ROOT = Path(__file__).resolve().parents[1]


def study_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "mappings" / "cll1-aml" / "study.yaml").read_text(encoding="utf-8")
    assert old in text
    folder = tmp_path / "mappings" / "cll1-aml"
    folder.mkdir(parents=True)
    (folder / "study.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return folder


def test_shipped_study_definitions_load():
    for study in ("carnk-sclc", "cll1-aml"):
        assert load_study(ROOT / "mappings" / study).elements


def test_an_unquoted_comma_in_a_flow_row_is_an_error_with_the_line(tmp_path):
    folder = study_with(tmp_path, 'TEENRL: "About 2 years after the last infusion, death or withdrawal"',
                        "TEENRL: About 2 years after the last infusion, death or withdrawal")
    with pytest.raises(SpecError) as info:
        load_study(folder)
    message = str(info.value)
    assert "unknown key 'death or withdrawal'" in message and "study.yaml:" in message and "quoted" in message


def test_a_misspelt_key_in_a_criterion_row_is_an_error(tmp_path):
    folder = study_with(tmp_path, "full_text:", "fulltext:")
    with pytest.raises(SpecError, match="inclusion_exclusion: unknown key 'fulltext'"):
        load_study(folder)


def test_a_raw_key_nothing_reads_is_an_error(tmp_path):
    folder = study_with(tmp_path, "  encodings: {}", "  encodings: {}\n  date_format: DD-MON-YYYY")
    with pytest.raises(SpecError, match="raw: unknown key 'date_format'"):
        load_study(folder)
