"""Shared pieces of the trial-design builders: study.yaml sections, shaping and metadata.

Every builder returns ``(frame, Dataset)``.  Shaping (SDTMIG 3.4 variable order,
Core presence rules, types) and the Dataset metadata (labels, types, lengths,
codelists, keys) come from the engine's ``converters.sdtm.finalize``, so trial
design datasets are described exactly like the spec-driven domains; only the
origins are set here, because these datasets come from the protocol rather
than from a mapping spec.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from converters.errors import Location, SpecError
from converters.metadata.model import Dataset, Origin
from converters.sdtm import finalize
from converters.spec.yaml_lines import LineDict, LineList

PROTOCOL = Origin("Protocol", "Sponsor")
ASSIGNED = Origin("Assigned", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")
COLLECTED = Origin("Collected", "Investigator")


def section(study, key: str) -> list:
    """A list section of study.yaml (``trial_summary``, ``visits`` ...); empty when absent."""
    doc = getattr(study, "document", None)
    node = doc.get(key) if isinstance(doc, dict) else None
    if node is None:
        return LineList()
    if not isinstance(node, list):
        raise spec_error(study, f"'{key}' must be a list", _line(doc, key))
    return node


def rows(study, key: str) -> list[tuple[dict, int | None]]:
    """The mapping rows of a list section with the line each starts on."""
    items = section(study, key)
    out = []
    for i, node in enumerate(items):
        line = items.line_of(i) if isinstance(items, LineList) else None
        if not isinstance(node, dict):
            raise spec_error(study, f"each row of '{key}' must be a mapping", line)
        out.append((node, line))
    return out


def _line(node, key) -> int | None:
    return node.line_of(key) if isinstance(node, LineDict) else None


def study_file(study) -> str:
    return str(getattr(study, "path", "study.yaml"))


def spec_error(study, message: str, line: int | None = None, hint: str | None = None) -> SpecError:
    return SpecError(message, Location(study_file(study), line), hint)


def text(value) -> str | None:
    """A YAML scalar as SDTM text: None for null or blank, else the stripped string."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    out = str(value).strip()
    return out or None


def add_identifiers(frame: pd.DataFrame, study, domain: str) -> pd.DataFrame:
    """``frame`` with STUDYID and DOMAIN inserted as its first two columns (in place; returned for chaining)."""
    frame.insert(0, "STUDYID", study.studyid)
    frame.insert(1, "DOMAIN", domain)
    return frame


def protocol_table(study, domain: str, records: list[dict], columns: list[str],
                   keys: Iterable[str]) -> tuple[pd.DataFrame, Dataset]:
    """A dataset read straight from the protocol: ``records`` (without STUDYID and DOMAIN) shaped and described."""
    frame = pd.DataFrame(records, columns=[c for c in columns if c not in ("STUDYID", "DOMAIN")])
    return finish(domain, add_identifiers(frame, study, domain), keys, {})


def finish(domain: str, frame: pd.DataFrame, keys: Iterable[str], origins: dict[str, Origin],
           default: Origin = PROTOCOL) -> tuple[pd.DataFrame, Dataset]:
    """Shape ``frame`` to SDTMIG order and Core rules and describe it (origins from ``origins``)."""
    shaped, names = finalize.shape_domain(domain, frame.copy(), {})
    dataset = finalize.dataset_metadata(domain, shaped, names, {}, {}, tuple(keys), {})
    for var in dataset.variables:
        var.origin = origins.get(var.name, ASSIGNED if var.name == "DOMAIN" else default)
    return shaped.reset_index(drop=True), dataset
