"""What each named derivation's arguments hold: the kinds the spec loader checks (with the spec line) and the pydantic
options model built from them (and so the JSON Schema of specs). Shared by the loader and the SDTM derivations.
"""
from __future__ import annotations

import keyword
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

Scalar = str | int | float | bool
#: What each derivation argument holds: the kind the loader checks (with the spec line) and the type of the
#: argument in the derivation's options model (and so in the JSON Schema of specs).
ARGUMENT_KINDS: dict[str, str] = {
    "factor": "number", "item": "whole number",
    "columns": "names", "column": "names", "birth": "names", "reference": "names", "from": "names",
    "variables": "names", "domains": "names", "checked": "values",
    "domain": "name", "variable": "name", "source": "date source",
    "template": "value", "separator": "value", "value": "value", "multiple": "value",
    "not_assigned": "value", "not_treated": "value",
    "where": "conditions", "filter_add": "conditions", "by_vars": "names", "choices": "choices",
}
KIND_TYPES: dict[str, Any] = {
    "number": float, "whole number": int, "names": str | list[str],
    "values": Scalar | list[Scalar], "name": str,
    "date source": Literal["study_end", "reference_start", "reference_end"], "value": Scalar,
    "conditions": dict[str, Scalar | list[Scalar]], "choices": str | dict[str, Scalar],
}


def options_model(name: str, required: tuple[str, ...], optional: tuple[str, ...]) -> type[BaseModel]:
    """The pydantic model of a derivation's ``args`` (types from ``ARGUMENT_KINDS``; unknown ones take anything)."""
    fields: dict[str, Any] = {}
    for arg in (*required, *optional):
        kind = KIND_TYPES.get(ARGUMENT_KINDS.get(arg, ""), Any)
        default = ... if arg in required else None
        attr = f"{arg}_" if keyword.iskeyword(arg) else arg
        fields[attr] = (kind if arg in required else kind | None, Field(default, alias=arg))
    return create_model(f"{name}_args", __config__=ConfigDict(extra="forbid", populate_by_name=True), **fields)
