"""Deterministic generator of the two example studies (raw EDC-style exports plus expected answers).

``generate(study, out, subjects=None, seed=DEFAULT_SEED)`` writes ``out/raw/*.csv``
and ``out/expected/{subjects,cohorts,problems}.csv``.  Studies: ``carnk-sclc``
(study A, CARNK-SCLC-101) and ``cll1-aml`` (study B, CLL1-NK-101).
"""
from __future__ import annotations

import importlib
from pathlib import Path

#: study folder name -> module holding its design
STUDIES = {"carnk-sclc": "converters.examples.sclc", "cll1-aml": "converters.examples.aml"}
#: seed of the committed example files
DEFAULT_SEED = 20250328


def study_module(name: str):
    """The generator module of study ``name`` (``carnk-sclc`` or ``cll1-aml``)."""
    return importlib.import_module(STUDIES[name])


def generate(name: str, out: str | Path, subjects: int | None = None, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Generate study ``name`` into ``out`` (``raw/`` and ``expected/``); return rows written per raw file."""
    from .writer import write_study
    return write_study(study_module(name), Path(out), subjects, seed)
