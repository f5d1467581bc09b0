"""The variables a domain of a general observation class may hold: its SDTMIG 3.4 variables plus those the SDTM model
allows in any domain of the class, in model order.

The SDTM model lets every domain of the Events, Interventions and Findings classes use the class's identifiers and
timing variables (VISITNUM, VISIT, VISITDY, EPOCH, --DTC, --DY, --TPT, --STRTPT/--STTPT ...) and the qualifiers of
its own class, whether or not SDTMIG lists them for that domain. The bundled SDTMIG tables are the source: a variable
counts as allowed for a domain when some domain of a general class defines it (``--`` variables with that domain's
prefix replaced) with an Identifier or Timing role, or some domain of the same class defines it as a qualifier. Such
a variable is Permissible; its label, type and role are those of the domain that defines it, and it is placed after
the variable that precedes it there (so a timing variable lands among the timing variables).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from converters.standards import sdtmig
from converters.standards.ig import StandardVariable

GENERAL_CLASSES = ("Events", "Interventions", "Findings", "Findings About")
#: Roles any domain of a general class may take from another class.
SHARED_ROLES = ("Identifier", "Timing")
#: Roles a domain may take only from a domain of its own class.
CLASS_ROLES = ("Record Qualifier", "Variable Qualifier", "Result Qualifier", "Grouping Qualifier",
               "Synonym Qualifier")


def _class_of(domain: str) -> str:
    return sdtmig.dataset(domain).dataset_class if sdtmig.has_dataset(domain) else ""


def _general(name: str) -> str:
    """The class family: Findings About counts as Findings (its variables are the Findings class's)."""
    cls = _class_of(name)
    return "Findings" if cls == "Findings About" else cls


def _renamed(var: StandardVariable, source: str, domain: str) -> str:
    """``AESTDTC`` of AE as it would be named in ``domain`` (``CMSTDTC``); unprefixed names stay as they are."""
    if len(source) == 2 and var.name.startswith(source) and var.name != source and len(domain) == 2:
        return domain + var.name[2:]
    return var.name


@lru_cache(maxsize=None)
def allowed_variables(domain: str) -> tuple[StandardVariable, ...]:
    """Every variable ``domain`` may hold, in order: SDTMIG's own, with the class's model variables inserted."""
    domain = domain.upper()
    own = list(sdtmig.variables(domain))
    family = _general(domain)
    if family not in ("Events", "Interventions", "Findings") or len(domain) != 2:
        return tuple(own)
    ordered = [v.name for v in own]
    known = {v.name: v for v in own}
    extras: dict[str, tuple[StandardVariable, str | None]] = {}
    for source in sdtmig.dataset_names():
        if _class_of(source) not in GENERAL_CLASSES or source == domain or len(source) != 2:
            continue
        same_class = _general(source) == family
        previous: str | None = None
        for var in sdtmig.variables(source):
            name = _renamed(var, source, domain)
            wanted = var.role in SHARED_ROLES or (same_class and var.role in CLASS_ROLES)
            if wanted and name not in known and name not in extras and var.role != "Topic":
                extras[name] = (replace(var, dataset=domain, name=name, core="Perm"), previous)
            previous = name
    for name, (var, previous) in extras.items():
        at = ordered.index(previous) + 1 if previous in ordered else len(ordered)
        ordered.insert(at, name)
        known[name] = var
    return tuple(replace(known[name], order=i) for i, name in enumerate(ordered, start=1))


def allowed_variable(domain: str, name: str) -> StandardVariable | None:
    """One allowed variable of ``domain`` (None when neither SDTMIG nor the model's class rules allow it)."""
    for var in allowed_variables(domain):
        if var.name == name.upper():
            return var
    return None
