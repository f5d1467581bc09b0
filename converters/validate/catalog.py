"""The rule catalog: every rule module imported once, rules listed in ID order."""
from __future__ import annotations

import dataclasses

from converters.validate import (  # noqa: F401 - imported to register their rules
    rules_adam,
    rules_adam_analysis,
    rules_cross,
    rules_ct,
    rules_dates,
    rules_define,
    rules_define_review,
    rules_design,
    rules_exposure,
    rules_identity,
    rules_metadata,
    rules_relrec,
    rules_values,
)
from converters.validate.counterparts import COUNTERPARTS
from converters.validate.model import FAMILIES, REGISTRY, Rule


def _attach_counterparts() -> None:
    for rule_id, (fda, core, cg) in COUNTERPARTS.items():
        item = REGISTRY[rule_id]
        REGISTRY[rule_id] = dataclasses.replace(item, fda=item.fda or fda, core=item.core or core, cg=cg)


_attach_counterparts()

_FAMILY_ORDER = list(FAMILIES)


def all_rules() -> list[Rule]:
    """Every rule, by family (catalog order) then ID."""
    return sorted(REGISTRY.values(), key=lambda r: (_FAMILY_ORDER.index(r.family), r.id))


def get_rule(rule_id: str) -> Rule:
    return REGISTRY[rule_id]


def rules_for(standard: str, with_define: bool = False, select: list[str] | None = None) -> list[Rule]:
    """The rules that run for ``standard`` (``sdtmig-3.4`` or ``adamig-1.3``), define rules only with a define."""
    wanted = {"sdtmig"} if standard.startswith("sdtmig") else {"adamig"}
    wanted |= {"adamig", "any"}  # ADaM rules skip SDTM datasets themselves, so a mixed folder gets both
    if with_define:
        wanted.add("define")
    chosen = [r for r in all_rules() if r.standard in wanted]
    if select:
        prefixes = tuple(s.upper() for s in select)
        chosen = [r for r in chosen if r.id.startswith(prefixes)]
    return chosen
