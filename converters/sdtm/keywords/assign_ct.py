"""``assign_ct``: map collected values and synonyms to CT submission values (a value map first); unmapped values
are logged and set to null (or the record dropped)."""
from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import StrictBool

from converters.algorithms.registry import Algorithm, register
from converters.sdtm.builder import RecordFill
from converters.sdtm.keywords.assign import collected, read_transforms
from converters.sdtm.terminology import assign_ct
from converters.spec.loader import _hint, _is_scalar, _plain, _Reader
from converters.spec.model import VariableSpec, value_map_entry
from converters.spec.schema import Scalar, Transform, VariableOptions
from converters.spec.yaml_lines import LineDict
from converters.standards import ct


class AssignCtOptions(VariableOptions):
    assign_ct: str
    value_map: str | dict[str, Scalar | dict[str, Scalar]] | None = None
    extend: StrictBool | None = None
    transform: Transform | list[Transform] | None = None


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at = spec.name, spec.place.line
    if spec.codelist is None and standard is not None and standard.codelist:
        spec.codelist = standard.codelist  # the codelist SDTMIG names for the variable
    spec.columns = r.names(node["assign_ct"], f"{name}: assign_ct", at)[:1]
    read_transforms(r, spec, node)
    if spec.codelist is None and "value_map" not in node:
        raise r.fail(f"{name}: assign_ct needs a 'codelist' (or a 'value_map' for a sponsor list)", at)
    if "value_map" in node:
        vm = node["value_map"]
        if isinstance(vm, LineDict):
            if not all((_is_scalar(v) and v is not None) or (isinstance(v, dict) and set(v) == {"no_value"})
                       for v in vm.values()):
                raise r.fail(f"{name}: an inline value_map maps each collected value to one submission "
                             "value (or to {no_value: REASON})", node.line_of("value_map"),
                             "for example 'value_map: {1: Y, 2: N}'")
            spec.value_map = {str(k): value_map_entry(_plain(v)) for k, v in vm.items()}
        elif isinstance(vm, str):
            spec.value_map_name = vm
            maps = getattr(study, "value_maps", None)
            if maps is not None:
                if vm not in maps:
                    raise r.fail(f"{name}: study.yaml has no value map {vm!r}", node.line_of("value_map"),
                                 _hint(vm, maps) or f"value maps: {', '.join(sorted(maps)) or 'none'}")
                spec.value_map = dict(maps[vm])
        else:
            raise r.fail(f"{name}: value_map is a mapping (collected: submission) or the name of a "
                         "study.yaml value map", node.line_of("value_map"))
    if "extend" in node:
        spec.extend = node["extend"] is True
        if spec.extend and not spec.codelist:
            raise r.fail(f"{name}: 'extend: true' needs a codelist to extend (the value map is the whole "
                         "list)", node.line_of("extend"), "add 'codelist: NAME' or remove extend")
        if spec.extend and spec.codelist and not ct.codelist(spec.codelist).extensible:
            raise r.fail(f"{name}: codelist {spec.codelist} is not extensible; 'extend: true' is not "
                         "allowed", node.line_of("extend"))


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    values = collected(var, context)
    info = ct.codelist(var.codelist) if var.codelist else None
    got = assign_ct(values, info, var.value_map, extend=var.extend)
    if got.unmapped.any():
        parts = []
        if var.value_map is not None:
            parts.append(f"value map {var.value_map_name}" if var.value_map_name else "the spec's value map")
        if info is not None:
            parts.append(f"codelist {info.name}")
        context.null(var, var.columns[0], values, f"{var.name}: value not in {' nor '.join(parts)}", got.unmapped)
    result = context.result
    if got.extensions and info is not None:  # only a codelist is extended
        result.extensions.setdefault(info.name, set()).update(got.extensions)
    if got.reasons is not None:
        context.row.reasons[var.name] = got.reasons
    if info is not None:
        result.codelists[var.name] = info.name
    if got.text is not None:  # the trimmed text, known from the distinct values
        context.text_of = (got.values, *got.text)
    return got.values


ASSIGN_CT = register(Algorithm(
    name="assign_ct", standards=("SDTM",), phase="record", options=AssignCtOptions, fill=fill, origin="Collected",
    summary="Map collected values and synonyms to CT submission values, case- and space-insensitively; a `value_map` "
            "(a study.yaml value map or inline) is applied first; `extend: true` keeps unmatched values of an "
            "extensible codelist as sponsor terms. Unmapped values are reported.",
    keyword=True, kinds={"assign_ct": "name", "extend": "boolean", "value_map": "value map"}, read=read))
