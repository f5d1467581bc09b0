"""Tests find CDISC reference material in one place (conftest), so a fresh clone with nothing beside it passes."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from conftest import FIXTURE_REFERENCE, TESTS

# A path to the reference set built anywhere but conftest: '../shared', parents[...] / "shared", "shared/reference".
OWN_SHARED_PATH = re.compile(r"""["']shared["']|shared/reference|\.\./shared""")


def test_no_test_module_builds_its_own_path_to_shared_reference():
    offenders = [path.name for path in sorted(TESTS.glob("*.py"))
                 if path.name not in {"conftest.py", Path(__file__).name}
                 and OWN_SHARED_PATH.search(path.read_text(encoding="utf-8"))]
    assert offenders == [], "use conftest.reference_file or the full_reference fixture"


def test_bundled_reference_files_are_the_published_bytes():
    """Each fixture is an unmodified copy: its SHA-256 matches the source note kept beside it."""
    notes = (FIXTURE_REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    entries = dict(re.findall(r"^### `([^`]+)`\n.*?sha256 `([0-9a-f]{64})`", notes, re.M | re.S))
    files = {str(p.relative_to(FIXTURE_REFERENCE)) for p in FIXTURE_REFERENCE.rglob("*")
             if p.is_file() and p.name != "SOURCES.md"}
    assert files == set(entries), "every bundled file has a source note, and every note a file"
    for name, digest in entries.items():
        assert hashlib.sha256((FIXTURE_REFERENCE / name).read_bytes()).hexdigest() == digest, name
