"""Every top-level study.yaml section removed in turn gives a build or a clear error, never a traceback."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from converters.errors import CdiscConvertError
from converters.sdtm.study import ABSENT_SECTION_NOTES, build_study

ROOT = Path(__file__).resolve().parents[1]
STUDY = "cll1-aml"
SECTIONS = re.findall(r"^([a-z_]+):", (ROOT / "mappings" / STUDY / "study.yaml").read_text(encoding="utf-8"), re.M)


def _without(text: str, section: str) -> str:
    """study.yaml text without one top-level section (its key line and everything indented under it)."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if re.match(r"^[a-z_]+:", line):
            skipping = line.startswith(f"{section}:")
        if not skipping:
            kept.append(line)
    return "".join(kept)


@pytest.mark.slow
@pytest.mark.parametrize("section", SECTIONS)
def test_removing_a_section_builds_or_stops_with_a_located_error(tmp_path: Path, section: str) -> None:
    shutil.copytree(ROOT / "mappings" / STUDY, tmp_path / "mappings" / STUDY)
    shutil.copytree(ROOT / "examples" / STUDY / "raw", tmp_path / "examples" / STUDY / "raw")
    study_yaml = tmp_path / "mappings" / STUDY / "study.yaml"
    study_yaml.write_text(_without(study_yaml.read_text(encoding="utf-8"), section), encoding="utf-8")
    try:
        build = build_study(tmp_path / "mappings" / STUDY)
    except CdiscConvertError as error:
        assert error.where.file, f"without {section}: the error names no file: {error}"
        assert "study.yaml" in str(error) or "sdtm/" in str(error), str(error)
        return
    if section in ABSENT_SECTION_NOTES:
        assert ABSENT_SECTION_NOTES[section] in build.notes


def test_the_sections_of_the_example_study_are_all_probed() -> None:
    assert {"visits", "study_end", "element_dates", "arms", "raw"} <= set(SECTIONS)
