"""Rules as data: identity, severity, message, citation and counterparts, plus the check that runs them."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from converters.validate.data import DatasetData, StudyData

SEVERITIES = ("Error", "Warning", "Notice")
#: Severity -> rank (lower is worse), used for sorting and ``--fail-on``.
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

FAMILIES = {
    "MD": "Dataset and variable metadata",
    "CT": "Controlled terminology",
    "DT": "Dates and times",
    "ID": "Identity and keys",
    "CR": "Cross-domain",
    "VL": "Values and consistency",
    "TD": "Trial design and trial summary",
    "DF": "Define-XML against data",
    "DX": "Define-XML document on its own",
    "AD": "ADaM",
}


@dataclass
class Hits:
    """What one check found in one dataset: the failing records (or none, for a dataset-level finding).

    ``rows`` are positional row numbers (0-based) of the dataset; ``variables`` are the
    columns whose values explain the finding; ``extra`` adds computed values per row
    (e.g. the expected study day); ``params`` fill the rule's message template.
    """

    dataset: str
    rows: np.ndarray | None = None
    variables: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    value: str | None = None  # for dataset-level findings: the offending value, if any

    def __len__(self) -> int:
        return 1 if self.rows is None else len(self.rows)


#: A check: (study, dataset or None for a study-level rule) -> the hits it found.
Check = Callable[["StudyData", "DatasetData | None"], Iterable[Hits]]


@dataclass(frozen=True)
class Rule:
    """One conformance rule.

    ``applies_to`` names datasets (``DM``), wildcards (``SUPP*``, ``*``), classes
    (``class:EVENTS``) or ``study`` (the check runs once for the whole folder).
    ``needs`` lists generic variables (``--STDTC``) the dataset must have.
    """

    id: str
    severity: str
    title: str
    message: str
    citation: str
    check: Check = field(compare=False, repr=False)
    applies_to: tuple[str, ...] = ("*",)
    needs: tuple[str, ...] = ()
    core: str = ""
    fda: str = ""
    standard: str = "sdtmig"  # sdtmig, adamig, define, or any (transport-format rules)
    cg: str = ""  # SDTMIG Conformance Rule IDs the FDA validator cites for the same check
    #: the SDTMIG version that introduced the requirement: on a folder of an earlier version, a finding is only a
    #: version difference and is reported at Notice (a finding can also name its own version in params["since"])
    since: str = ""

    @property
    def family(self) -> str:
        return self.id[:2]

    @property
    def study_level(self) -> bool:
        return self.applies_to == ("study",)


REGISTRY: dict[str, Rule] = {}


def rule(id: str, severity: str, title: str, message: str, citation: str, *, applies_to: Iterable[str] = ("*",),
         needs: Iterable[str] = (), core: str = "", fda: str = "", standard: str = "sdtmig", since: str = ""):
    """Register the decorated check under ``id`` with its catalog data."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: severity {severity!r} is not one of {SEVERITIES}")

    def register(check: Check) -> Check:
        add_rule(Rule(id=id, severity=severity, title=title, message=message, citation=citation, check=check,
                      applies_to=tuple(applies_to), needs=tuple(needs), core=core, fda=fda, standard=standard,
                      since=since))
        return check

    return register


def add_rule(item: Rule) -> None:
    if item.id in REGISTRY:
        raise ValueError(f"rule {item.id} is defined twice")
    REGISTRY[item.id] = item


def version_key(text: str) -> tuple[int, ...]:
    """``3.1.2`` -> (3, 1, 2), for comparing IG versions; () when there is no version."""
    parts = []
    for part in text.split("."):
        if not (part.isascii() and part.isdigit()):  # "²".isdigit() is True, int("²") fails
            break
        parts.append(int(part))
    return tuple(parts)


def distinct_keys(key: np.ndarray) -> np.ndarray:
    """The distinct values of non-negative integer keys (in any order): counted directly when they are small (no
    hash table sized by the records, as ``pd.unique`` builds), else ``pd.unique``."""
    if not len(key):
        return key
    if int(key.max()) < 2 * len(key):
        return np.flatnonzero(np.bincount(key))
    import pandas as pd

    return pd.unique(key)


def rows_of(mask) -> np.ndarray:
    """Positional row numbers where a boolean mask (Series or array) is true."""
    arr = mask.to_numpy() if hasattr(mask, "to_numpy") else np.asarray(mask)
    return np.flatnonzero(arr.astype(bool))
