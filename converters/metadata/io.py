"""The Study metadata model to and from ``metadata.json``: deterministic JSON for later steps.

Define-XML and ADaM read the SDTM build's metadata from this file.  Keys are
written in dataclass field order, lists in model order, with two-space
indentation and a trailing newline, so identical metadata gives identical
bytes.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from converters.errors import DataError, Location
from converters.metadata.model import (
    AnalysisDataset,
    AnalysisResult,
    Codelist,
    CodelistTerm,
    Comment,
    Dataset,
    Document,
    Method,
    Origin,
    ResultDisplay,
    Standard,
    Study,
    ValueLevel,
    Variable,
    WhereCondition,
)

FORMAT_VERSION = 1


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def study_to_dict(study: Study) -> dict:
    """The Study as plain JSON-ready data (with a format version)."""
    return {"format": "cdisc-convert metadata", "version": FORMAT_VERSION, "study": _plain(study)}


def study_to_json(study: Study) -> str:
    return json.dumps(study_to_dict(study), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_metadata(study: Study, path: str | Path) -> Path:
    """Write ``metadata.json`` atomically (temporary file beside it, then rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(study_to_json(study))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def _present(cls: type, d: dict) -> dict:
    """The keys of ``d`` that are fields of ``cls`` (absent keys keep the field's default)."""
    return {f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d}


def _origin(d: dict | None) -> Origin | None:
    if d is None:
        return None
    values = _present(Origin, d)
    values["pages"] = tuple(d.get("pages") or ())
    return Origin(**values)


def _where(items: list) -> tuple[WhereCondition, ...]:
    return tuple(WhereCondition(w["dataset"], w["variable"], w.get("comparator", "EQ"), tuple(w.get("values") or ()))
                 for w in items)


def _display(d: dict) -> ResultDisplay:
    results = []
    for r in d.get("results") or []:
        values = _present(AnalysisResult, r)
        values["datasets"] = [AnalysisDataset(a["dataset"], tuple(a.get("variables") or ()), _where(a.get("where") or []))
                              for a in r.get("datasets") or []]
        results.append(AnalysisResult(**values))
    values = _present(ResultDisplay, d)
    values["results"] = results
    values["pages"] = tuple(d.get("pages") or ())
    return ResultDisplay(**values)


def _variable(d: dict) -> Variable:
    values = _present(Variable, d)
    values["origin"] = _origin(d.get("origin"))
    return Variable(**values)


def _value_level(d: dict) -> ValueLevel:
    return ValueLevel(d["variable"], _where(d["where"]), _variable(d["item"]))


def _dataset(d: dict) -> Dataset:
    values = _present(Dataset, d)
    values["keys"] = tuple(d.get("keys") or ())
    values["variables"] = [_variable(v) for v in d.get("variables") or []]
    values["value_level"] = [_value_level(v) for v in d.get("value_level") or []]
    return Dataset(**values)


def _codelist(d: dict) -> Codelist:
    values = _present(Codelist, d)
    values["terms"] = [CodelistTerm(**t) for t in d.get("terms") or []]
    return Codelist(**values)


def study_from_dict(data: dict) -> Study:
    """Rebuild the Study from ``study_to_dict`` output."""
    if data.get("format") != "cdisc-convert metadata":
        raise DataError("not a cdisc-convert metadata file", Location())
    s = data["study"]
    return Study(
        studyid=s["studyid"], name=s.get("name", ""), description=s.get("description", ""),
        protocol=s.get("protocol", ""), ct_version=s.get("ct_version", ""),
        standards=[Standard(**x) for x in s.get("standards") or []],
        datasets=[_dataset(x) for x in s.get("datasets") or []],
        codelists=[_codelist(x) for x in s.get("codelists") or []],
        methods=[Method(**x) for x in s.get("methods") or []],
        comments=[Comment(**x) for x in s.get("comments") or []],
        documents=[Document(**x) for x in s.get("documents") or []],
        mdv_oid=s.get("mdv_oid"), mdv_name=s.get("mdv_name"), mdv_description=s.get("mdv_description"),
        analysis_results=[_display(x) for x in s.get("analysis_results") or []])


def read_metadata(path: str | Path) -> Study:
    """Read ``metadata.json`` written by ``write_metadata``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("metadata file not found", Location(str(path)),
                        hint="give a folder written by 'cdisc-convert sdtm' (it holds metadata.json beside the "
                             "datasets)") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"metadata file is not valid JSON: {exc.msg}", Location(str(path), exc.lineno)) from None
    return study_from_dict(data)
