"""Where the shipped example studies (their mappings and raw exports) are found.

In a source checkout they are the repository's own ``mappings/`` and
``examples/`` folders; in an installed copy, the same files are package data
under ``converters/_shipped/`` (setup.cfg maps the two folders there).
"""
from __future__ import annotations

from pathlib import Path

from converters.errors import CdiscConvertError

_PACKAGE = Path(__file__).resolve().parent
#: The example studies, by folder name, in the order the demo runs them.
EXAMPLE_STUDIES = ("carnk-sclc", "cll1-aml")


def shipped_root() -> Path:
    """The folder holding ``mappings/`` and ``examples/`` of the shipped studies."""
    for root in (_PACKAGE.parent, _PACKAGE / "_shipped"):
        if (root / "mappings").is_dir() and (root / "examples").is_dir():
            return root
    raise CdiscConvertError("the shipped example studies are missing from this installation",
                            hint="reinstall cdisc-convert with 'pip install .' from a full source checkout")


def study_mappings(study: str) -> Path:
    """``mappings/<study>`` of a shipped example study."""
    return shipped_root() / "mappings" / study


def study_raw(study: str) -> Path:
    """``examples/<study>/raw`` of a shipped example study."""
    return shipped_root() / "examples" / study / "raw"
