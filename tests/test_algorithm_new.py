"""A new algorithm needs one registration: it then loads, builds, and appears in the schema, the docs table and
the define's method text."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel

from converters.algorithms import registry
from converters.algorithms.docs import algorithms_table, docs_section
from converters.algorithms.registry import Algorithm, register
from converters.errors import SpecError
from converters.sdtm.study import build_study
from converters.spec.schema import json_schema
from sdtm_fixtures import AE, write_tiny_study

ROOT = Path(__file__).resolve().parents[1]


class LongTermOptions(BaseModel):
    column: str
    longer_than: int = 5


def flag_long_term(frame: pd.DataFrame, options: LongTermOptions, context) -> pd.Series:
    """Y when the collected text is longer than ``longer_than`` characters (whole column)."""
    text = context.resolve(options.column).astype("string").str.strip()
    return text.str.len().gt(options.longer_than).map({True: "Y", False: "N"}).astype("object")


@pytest.fixture()
def long_term(monkeypatch):
    """The real registry plus one new algorithm, for this test only."""
    registry.algorithms()  # load the built-in ones first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return register(Algorithm(
        name="flag_long_term", standards=("SDTM",), phase="record", options=LongTermOptions, fill=flag_long_term,
        origin="Derived", summary="Y when the collected term is longer than a number of characters.",
        method="Y when {column} has more than {longer_than} characters, else N."))


def test_a_registered_algorithm_is_used_in_a_spec_and_described_everywhere(tmp_path, long_term) -> None:
    spec = _with_variable("AELONG:   {derive: flag_long_term, args: {column: TERM, longer_than: 6}, "
                          "sponsor_defined: true, label: Long Term Flag, type: Char}")
    mappings = write_tiny_study(tmp_path, {"dm": _dm(), "ae": spec, "ex": _ex()})
    build = build_study(mappings, builtins=False)
    ae = next(d for d in build.domains if d.name == "AE")
    terms = ae.frame.set_index("AETERM")["AELONG"]
    assert terms["Headache"] == "Y" and terms["Fever"] == "N"
    method = next(m for m in build.study.methods if m.oid == "MT.AE.AELONG")
    assert method.description == "Y when TERM has more than 6 characters, else N."
    schema = json_schema("domain")
    assert "Derive_flag_long_term" in schema["$defs"]
    assert "| `flag_long_term` | record | `column`, `longer_than`? | Derived |" in algorithms_table()


def test_its_arguments_are_checked_with_the_spec_line(tmp_path, long_term) -> None:
    spec = _with_variable("AELONG:   {derive: flag_long_term, args: {column: TERM, longer_than: many}, "
                          "sponsor_defined: true, label: Long Term Flag, type: Char}")
    mappings = write_tiny_study(tmp_path, {"dm": _dm(), "ae": spec, "ex": _ex()})
    with pytest.raises(SpecError, match=r"ae.yaml:\d+: AELONG: derivation flag_long_term argument longer_than"):
        build_study(mappings, builtins=False)


def test_the_docs_hold_the_current_table() -> None:
    text = (ROOT / "docs" / "mapping-spec.md").read_text(encoding="utf-8")
    assert docs_section() in text, "regenerate with: python -m converters.algorithms.docs"


def _with_variable(line: str) -> str:
    """The tiny study's AE spec with one more variable (before its supp section)."""
    return AE.replace("supp:", f"  {line}\nsupp:")


def _dm() -> str:
    from sdtm_fixtures import DM
    return DM


def _ex() -> str:
    from sdtm_fixtures import EX
    return EX


def test_the_adam_docs_hold_the_current_table_of_verbs() -> None:
    text = (ROOT / "docs" / "adam.md").read_text(encoding="utf-8")
    assert docs_section("ADaM") in text, "regenerate with: python -m converters.algorithms.docs ADaM"
