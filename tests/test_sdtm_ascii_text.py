"""Non-ASCII raw text: every value reported in one run with its raw file, row and column, or written as ASCII
for the variables whose spec says ``transliterate: true``, each change logged."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.sdtm.ascii_text import TRANSLITERATED, to_ascii
from sdtm_fixtures import write_tiny_study


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def study(tmp_path) -> Path:
    mappings = write_tiny_study(tmp_path)
    _edit(mappings / "raw" / "ae.csv", "Headache,Headache", "Céphalée,Headache")
    _edit(mappings / "raw" / "ae.csv", "Fever,Pyrexia", "Fièvre – 39°,Pyrexia")
    _edit(mappings / "raw" / "dm.csv", "54,1,L,cm", "54,1,L,µm")
    return mappings


def test_every_non_ascii_value_is_reported_in_one_run(study, tmp_path):
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "3 raw values hold non-ASCII characters, which XPT v5 cannot hold (AETERM 2, HEIGHTU 1)" in result.output
    assert "ae.csv, row 1, column TERM: 'Céphalée' (AETERM)" in result.output
    assert "ae.csv, row 2, column TERM: 'Fièvre – 39°' (AETERM)" in result.output
    assert "dm.csv, row 1, column HTU: 'µm' (HEIGHTU)" in result.output
    assert "transliterate: true" in result.output
    assert not (tmp_path / "out").exists()


def test_transliterate_writes_ascii_and_logs_each_change(study, tmp_path):
    spec = study / "sdtm" / "ae.yaml"
    _edit(spec, 'AETERM:   {assign: TERM, crf_page: "12"}',
          'AETERM:   {assign: TERM, crf_page: "12", transliterate: true}')
    _edit(study / "raw" / "dm.csv", "µm", "cm")
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 values transliterated to ASCII" in result.output
    log = pd.read_csv(tmp_path / "out" / "rejections.csv", dtype=str, keep_default_na=False)
    changed = log[log["action"].eq(TRANSLITERATED)]
    assert changed[["source", "row", "column", "value", "reason"]].values.tolist() == [
        ["ae.csv", "1", "TERM", "Céphalée", "AETERM: written as 'Cephalee'"],
        ["ae.csv", "2", "TERM", "Fièvre – 39°", "AETERM: written as 'Fievre - 39 deg'"]]
    json_rows = (tmp_path / "out" / "ae.json").read_text(encoding="utf-8")
    assert '"Cephalee"' in json_rows and '"Fievre - 39 deg"' in json_rows


def test_transliterate_must_be_true_or_false(study, tmp_path):
    spec = study / "sdtm" / "ae.yaml"
    _edit(spec, 'AETERM:   {assign: TERM, crf_page: "12"}', 'AETERM:   {assign: TERM, transliterate: yes}')
    result = CliRunner().invoke(cli, ["sdtm", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "transliterate" in result.output and "ae.yaml:8" in result.output


@pytest.mark.parametrize("text, ascii_text", [("Müller", "Muller"), ("Straße", "Strasse"), ("Ærø", "AEro"),
                                              ("“quoted”", '"quoted"'), ("≥ 5 × 10⁹/L", ">= 5 x 109/L"),
                                              ("山田", "??"), ("plain", "plain")])
def test_to_ascii(text, ascii_text):
    assert to_ascii(text) == ascii_text
