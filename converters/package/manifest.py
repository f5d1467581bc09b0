"""``manifest.json``: what a package holds and what made it.

Every file of the package (the manifest itself excepted) with its SHA-256 and size; the inputs (mapping files and
raw exports) with theirs; the tool version; the standards and CT versions; the creation stamp; the rejection
criteria results; the command line.  Paths are relative (to the package root, the mappings folder, the raw
folder), keys sorted, so identical inputs and command give identical bytes on any machine.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from converters import __version__
from converters.package.layout import MANIFEST

_CHUNK = 1 << 20


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(root: Path, skip: Iterable[str] = ()) -> list[dict[str, object]]:
    """Path (relative, forward slashes), size and SHA-256 of every file under ``root``, in path order."""
    skipped = set(skip)
    entries = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel in skipped:
            continue
        entries.append({"path": rel, "size": path.stat().st_size, "sha256": sha256(path)})
    return entries


def input_entries(folder: Path, suffixes: tuple[str, ...] | None = None) -> list[dict[str, object]]:
    """Like :func:`file_entries` for an input folder; hidden files and ``__pycache__`` are left out."""
    entries = []
    for entry in file_entries(folder):
        parts = str(entry["path"]).split("/")
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        if suffixes and not str(entry["path"]).lower().endswith(suffixes):
            continue
        entries.append(entry)
    return entries


def build_manifest(root: Path, *, study: str, studyid: str, created: str, standards: list[dict[str, str]],
                   inputs: dict[str, list[dict[str, object]]], checks: list[dict[str, str]],
                   command: list[str], stages: list[dict[str, str]]) -> dict[str, object]:
    """The manifest of the package under ``root`` (files listed as they are now)."""
    return {
        "manifest_version": "1",
        "tool": {"name": "cdisc-convert", "version": __version__},
        "command": command,
        "created": created,
        "study": {"folder": study, "studyid": studyid},
        "standards": standards,
        "stages": stages,
        "rejection_criteria": checks,
        "inputs": inputs,
        "files": file_entries(root, skip=(MANIFEST,)),
    }


def write_manifest(root: Path, manifest: dict[str, object]) -> Path:
    path = root / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verify_manifest(root: Path) -> list[str]:
    """Differences between ``root/manifest.json`` and the files under ``root`` (empty when they match)."""
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    listed: dict[str, dict] = {str(e["path"]): e for e in manifest["files"]}
    actual: dict[str, dict] = {str(e["path"]): e for e in file_entries(root, skip=(MANIFEST,))}
    problems = [f"missing: {p}" for p in sorted(set(listed) - set(actual))]
    problems += [f"not listed: {p}" for p in sorted(set(actual) - set(listed))]
    problems += [f"changed: {p}" for p in sorted(set(listed) & set(actual))
                 if listed[p]["sha256"] != actual[p]["sha256"] or listed[p]["size"] != actual[p]["size"]]
    return problems
