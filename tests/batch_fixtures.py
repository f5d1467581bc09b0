"""Helpers of the batch and Dask engine tests: an unbatched build written to a folder, and folder comparison."""
from __future__ import annotations

from pathlib import Path

from converters.sdtm.output import write_build
from converters.sdtm.study import build_study
from converters.shipped import study_mappings, study_raw


def write_unbatched(study: str, out: Path) -> Path:
    """The shipped study built in one piece (no batches, as before the batch plan) into ``out``."""
    build = build_study(study_mappings(study), study_raw(study), batch_subjects=None)
    write_build(build, out, None)
    return out


def differing_files(expected: Path, got: Path) -> list[str]:
    """Files that are missing, extra or not byte-identical between two output folders."""
    names = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    names |= {p.relative_to(got) for p in got.rglob("*") if p.is_file()}
    return sorted(str(n) for n in names if not (expected / n).is_file() or not (got / n).is_file()
                  or (expected / n).read_bytes() != (got / n).read_bytes())
