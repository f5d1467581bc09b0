"""How a drafted spec compares with a finished one: per variable, is it mapped the same way?

"The same way" means the same algorithm reading the same raw columns: for ``assign``, ``assign_ct`` and
``datetime`` the raw column(s) (merged columns by their name in the merged form), for ``derive`` the derivation
name, for ``hardcode`` the value, for ``condition`` the columns tested, for ``seq``, ``study_day``, ``epoch`` and
``visit`` the algorithm. Codelists and value-map names are not compared (two value maps can say the same thing).
A variable the finished spec fills in several record blocks counts once, as the same when every block agrees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Comparison:
    domain: str
    same: list[str] = field(default_factory=list)
    different: list[tuple[str, str, str]] = field(default_factory=list)  # variable, finished, drafted
    missing: list[tuple[str, str]] = field(default_factory=list)  # variable, finished

    @property
    def total(self) -> int:
        return len(self.same) + len(self.different) + len(self.missing)

    @property
    def share(self) -> float:
        return len(self.same) / self.total if self.total else 1.0


def _columns(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).upper() for v in value)
    return (str(value).upper(),)


def _tested(cases: object) -> tuple[str, ...]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "column":
                    found.add(str(item).upper())
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cases)
    return tuple(sorted(found))


def signature(spec: dict) -> str:
    """What "mapped the same way" compares for one variable's algorithm mapping."""
    for key in ("assign", "assign_ct", "datetime"):
        if key in spec:
            return f"{key} {' + '.join(_columns(spec[key]))}"
    if "derive" in spec:
        return f"derive {spec['derive']}"
    if "hardcode" in spec:
        return f"hardcode {spec['hardcode']}"
    if "condition" in spec:
        return f"condition on {', '.join(_tested(spec['condition']))}"
    for key in ("seq", "study_day", "epoch", "visit"):
        if key in spec:
            return key
    return "?"


def variable_signatures(path: Path, supp: bool = False) -> dict[str, str]:
    """Variable -> signature of a domain spec file (record blocks that disagree join their signatures);
    with ``supp`` the supplemental qualifiers too, as ``SUPP.<QNAM>``."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: dict[str, set[str]] = {}
    blocks = doc.get("records") or [doc]
    shared = doc.get("variables") or {}
    for block in blocks:
        variables = {**shared, **(block.get("variables") or {})} if block is not doc else dict(shared)
        if supp:
            qualifiers = {**(doc.get("supp") or {}), **(block.get("supp") or {})} if block is not doc else \
                dict(doc.get("supp") or {})
            variables.update({f"SUPP.{name}": spec for name, spec in qualifiers.items()})
        for name, spec in variables.items():
            if isinstance(spec, dict):
                found.setdefault(str(name), set()).add(signature(spec))
    return {name: " | ".join(sorted(sigs)) for name, sigs in found.items()}


def compare_domain(finished: Path, drafted: Path | None, domain: str, supp: bool = False) -> Comparison:
    """Compare the variables (with ``supp`` also the qualifiers) of a finished spec with a draft (None: none)."""
    want = variable_signatures(finished, supp)
    got = variable_signatures(drafted, supp) if drafted is not None and drafted.is_file() else {}
    result = Comparison(domain)
    for name, sig in want.items():
        if name not in got:
            result.missing.append((name, sig))
        elif got[name] == sig:
            result.same.append(name)
        else:
            result.different.append((name, sig, got[name]))
    return result
