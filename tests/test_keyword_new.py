"""A new core keyword (a variable names it directly, like ``assign``) needs one registration, in one module: the
loader reads it, the builder fills with it, and it appears in the schema, the docs table and the define's method text
(issue 9: no per-keyword branch left in the loader or the builder)."""
from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from converters.algorithms import registry
from converters.algorithms.docs import algorithms_table
from converters.algorithms.registry import Algorithm, register
from converters.errors import SpecError
from converters.sdtm.study import build_study
from converters.spec.schema import VariableOptions, json_schema
from sdtm_fixtures import AE, DM, EX, write_tiny_study


class InitialsOptions(VariableOptions):
    initials: str


def read_initials(r: Any, spec: Any, node: Any, study: Any, standard: Any) -> None:
    spec.columns = r.names(node["initials"], f"{spec.name}: initials", spec.place.line)


def fill_initials(frame: pd.DataFrame, var: Any, context: Any) -> pd.Series:
    """The first letter of each word of the collected text (whole column)."""
    words = context.resolve(var.columns[0]).astype("string").str.upper().str.split()
    return words.map(lambda ws: "".join(w[0] for w in ws), na_action="ignore").astype("object")


@pytest.fixture()
def initials(monkeypatch):
    registry.algorithms()  # the built-in ones first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return register(Algorithm(
        name="initials", standards=("SDTM",), phase="record", options=InitialsOptions, fill=fill_initials,
        origin="Derived", summary="The first letter of each word of the collected text.", keyword=True,
        kinds={"initials": "name"}, read=read_initials, method="The first letter of each word of the collected term."))


def _ae_with(line: str) -> str:
    return AE.replace("supp:", f"  {line}\nsupp:")


def test_a_registered_keyword_loads_builds_and_is_described_everywhere(tmp_path, initials) -> None:
    spec = _ae_with("AEINIT:   {initials: TERM, sponsor_defined: true, label: Term Initials, type: Char}")
    mappings = write_tiny_study(tmp_path, {"dm": DM, "ae": spec, "ex": EX})
    build = build_study(mappings, builtins=False)
    ae = next(d for d in build.domains if d.name == "AE").frame
    assert dict(zip(ae["AETERM"], ae["AEINIT"])) == {t: "".join(w[0] for w in t.upper().split()) for t in ae["AETERM"]}
    variable = next(v for d in build.study.datasets if d.name == "AE" for v in d.variables if v.name == "AEINIT")
    assert variable.origin is not None and variable.origin.type == "Derived"
    method = next(m for m in build.study.methods if m.oid == variable.method)
    assert method.description == "The first letter of each word of the collected term."
    assert "InitialsOptions" in json_schema("domain")["$defs"]
    assert "| `initials` (keyword) | record | `initials` | Derived |" in algorithms_table()


def test_its_argument_is_checked_with_the_spec_line(tmp_path, initials) -> None:
    spec = _ae_with("AEINIT:   {initials: [TERM, PT], sponsor_defined: true, label: Term Initials, type: Char}")
    mappings = write_tiny_study(tmp_path, {"dm": DM, "ae": spec, "ex": EX})
    with pytest.raises(SpecError, match=r"ae.yaml:\d+: AEINIT: initials must be a name, not \['TERM', 'PT'\]"):
        build_study(mappings, builtins=False)
