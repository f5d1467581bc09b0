"""Every YAML block in docs/ parses, and the ones that are whole files load as what they are (a domain spec,
study.yaml, a dispositions file) and validate against the editor schema."""
from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from converters.spec.loader import load_domain_spec
from converters.spec.schema import json_schema
from converters.spec.study import load_study
from converters.validate.dispositions import load_dispositions

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^```ya?ml\n(.*?)^```", re.M | re.S)
BLOCKS = [(path, text.count("\n", 0, m.start()) + 1, m.group(1))
          for path in sorted(DOCS.glob("*.md")) for text in [path.read_text(encoding="utf-8")]
          for m in FENCE.finditer(text)]


def _kind(doc) -> str | None:
    if not isinstance(doc, dict):
        return None
    if "domain" in doc and ("source" in doc or "records" in doc):
        return "domain"
    if "study" in doc and isinstance(doc["study"], dict):
        return "study"
    if set(doc) == {"dispositions"}:
        return "dispositions"
    return None


def test_the_docs_have_yaml_blocks() -> None:
    assert len(BLOCKS) >= 5 and any(_kind(yaml.safe_load(b)) == "domain" for _, _, b in BLOCKS)


@pytest.mark.parametrize("path,line,block", BLOCKS, ids=[f"{p.name}:{n}" for p, n, _ in BLOCKS])
def test_yaml_block(tmp_path: Path, path: Path, line: int, block: str) -> None:
    doc = yaml.safe_load(block)
    kind = _kind(doc)
    if isinstance(doc, dict) and set(doc) == {"displays"}:  # an ADaM results.yaml (docs/adam.md)
        from converters.adam.results import load_results_spec

        (tmp_path / "results.yaml").write_text(block, encoding="utf-8")
        load_results_spec(tmp_path / "results.yaml")
        return
    if kind is None:
        return  # a fragment: it parses
    target = tmp_path / ("study.yaml" if kind == "study" else f"{kind}.yaml")
    target.write_text(block, encoding="utf-8")
    if kind == "domain":
        load_domain_spec(target)
    elif kind == "study":
        load_study(target)
    else:
        load_dispositions(target)
    from converters.spec.yaml_lines import load_yaml_file

    plain = yaml.safe_load(yaml.safe_dump(_plain(load_yaml_file(target))))
    errors = [e.message for e in jsonschema.Draft202012Validator(json_schema(kind)).iter_errors(plain)]
    assert not errors, f"{path.name}:{line}: {errors[:3]}"


def _plain(node):
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
