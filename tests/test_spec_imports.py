"""The spec package reads specs; the SDTM engine applies them: spec/ never imports sdtm/ (sdtm may import spec)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SPEC = Path(__file__).resolve().parents[1] / "converters" / "spec"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_no_spec_module_names_the_sdtm_package() -> None:
    offenders = {path.name: [m for m in _imported_modules(path) if m.startswith("converters.sdtm")]
                 for path in SPEC.glob("*.py")}
    assert not {name: mods for name, mods in offenders.items() if mods}


def test_importing_the_spec_package_loads_no_sdtm_module() -> None:
    code = ("import sys, converters.spec.loader, converters.spec.schema, converters.spec.study, "
            "converters.spec.model, converters.spec.paths\n"
            "print(sorted(m for m in sys.modules if m.startswith('converters.sdtm')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
