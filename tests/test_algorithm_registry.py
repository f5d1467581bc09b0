"""The algorithm registry: one registered object per algorithm, looked up by name with a hint."""
from __future__ import annotations

import pytest
from pydantic import BaseModel

from converters.algorithms import registry
from converters.algorithms.registry import Algorithm, algorithm, algorithms, register
from converters.errors import SpecError


class _Options(BaseModel):
    by_vars: list[str]


@pytest.fixture()
def scratch(monkeypatch):
    """A registry holding only what the test registers."""
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_LOADED", True)


def _entry(name: str = "derive_var_test", **kw) -> Algorithm:
    base: dict = {"name": name, "standards": ("ADaM",), "phase": "dataset", "options": _Options,
                  "fill": lambda frame, options, context: frame, "origin": "Derived",
                  "summary": "a test derivation", "method": "Flag by {by_vars}"}
    base.update(kw)
    return Algorithm(**base)


def test_registered_algorithm_is_found_by_name_and_standard(scratch):
    entry = register(_entry())
    assert algorithm("derive_var_test") is entry
    assert algorithms("ADaM") == [entry] and algorithms("SDTM") == []
    assert entry.method_text(_Options(by_vars=["USUBJID"])) == "Flag by ['USUBJID']"


def test_unknown_name_is_a_spec_error_with_the_closest_name(scratch):
    register(_entry())
    with pytest.raises(SpecError, match="did you mean derive_var_test"):
        algorithm("derive_var_tst")
    with pytest.raises(SpecError, match="for SDTM"):
        algorithm("derive_var_test", standard="SDTM")


def test_a_name_registers_once_and_phase_and_origin_are_checked(scratch):
    register(_entry())
    with pytest.raises(ValueError, match="registered twice"):
        register(_entry())
    with pytest.raises(ValueError, match="phase"):
        _entry(phase="later")
    with pytest.raises(ValueError, match="origin"):
        _entry(origin="Guessed")
