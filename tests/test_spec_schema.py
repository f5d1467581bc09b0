"""`cdisc-convert spec schema`: the JSON Schema editors use validates every shipped spec and refuses mistakes."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.spec.yaml_lines import load_yaml_file

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "domain": sorted(ROOT.glob("mappings/*/sdtm/*.yaml")),
    "study": sorted(ROOT.glob("mappings/*/study.yaml")),
    "dispositions": sorted(ROOT.glob("mappings/*/validation-dispositions.yaml")),
}


def plain(node):
    """A loaded YAML node as plain JSON-like data (the YAML a language server sees: dates stay text)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> dict[str, dict]:
    out = {}
    folder = tmp_path_factory.mktemp("schemas")
    for kind in FILES:
        target = folder / f"{kind}.json"
        result = CliRunner().invoke(cli, ["spec", "schema", "--kind", kind, "--out", str(target)])
        assert result.exit_code == 0, result.output
        out[kind] = json.loads(target.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(out[kind])
    return out


@pytest.mark.parametrize("kind,path", [(k, p) for k, paths in FILES.items() for p in paths],
                         ids=lambda v: v if isinstance(v, str) else f"{v.parent.parent.name}/{v.name}")
def test_every_shipped_file_validates(schemas, kind: str, path: Path) -> None:
    errors = list(jsonschema.Draft202012Validator(schemas[kind]).iter_errors(plain(load_yaml_file(path))))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]


def test_shipped_files_exist() -> None:
    assert all(FILES.values())


@pytest.mark.parametrize("mistake", [
    {"domain": "AE", "source": "ae", "variables": {"AETERM": {"asign": "TERM"}}},            # misspelt algorithm
    {"domain": "AE", "source": "ae", "variables": {"AETERM": {"assign": "TERM", "crf_pgae": 3}}},  # unknown option
    {"domain": "AE", "source": "ae", "variables": {"AESEQ": {"derive": "no_such_derivation"}}},
    {"domain": "AE", "source": "ae", "variables": {"AGE": {"derive": "number", "args": {"factr": 2, "column": "X"}}}},
    {"domain": "AE", "sorce": "ae"},
    {"domain": "AE", "source": "ae", "filter": {"column": "X", "equal": "Y"}},
])
def test_the_schema_refuses_what_the_loader_refuses(schemas, mistake: dict) -> None:
    assert list(jsonschema.Draft202012Validator(schemas["domain"]).iter_errors(mistake))


def test_schema_is_printed_without_out() -> None:
    result = CliRunner().invoke(cli, ["spec", "schema", "--kind", "study"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "StudyFile"
