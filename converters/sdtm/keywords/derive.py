"""``derive``: a named derivation of the registry (``{derive: name, args: {...}}``), never eval. Its arguments are
checked against the derivation's options model; its phase, origin and method text are the derivation's."""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.algorithms.registry import Algorithm, algorithm, derivations, register
from converters.sdtm.builder import RecordFill
from converters.sdtm.derivations import REGISTRY
from converters.algorithms.arguments import ARGUMENT_KINDS
from converters.spec.loader import _check_date_source, _hint, _plain, _Reader, check_model
from converters.spec.model import VariableSpec
from converters.spec.schema import VariableOptions
from converters.spec.yaml_lines import LineDict

#: Arguments of record-level derivations that name the raw columns they read.
COLUMN_ARGUMENTS = ("column", "columns", "birth", "reference", "from")


class DeriveOptions(VariableOptions):
    derive: str
    args: dict[str, Any] | None = None


def read(r: _Reader, spec: VariableSpec, node: LineDict, study: Any, standard: Any) -> None:
    name, at, arg = spec.name, spec.place.line, node["derive"]
    named = derivations()
    if not isinstance(arg, str) or arg not in named:
        raise r.fail(f"{name}: unknown derivation {arg!r}", at,
                     _hint(arg, named) or f"derivations: {', '.join(sorted(named))}")
    d = named[arg]
    required, optional = d.arguments()
    allowed = set(required) | set(optional)
    spec.derivation = arg
    args = node.get("args") or LineDict()
    args = r.mapping(args, f"{name}: args", node.line_of("args"))
    for key in args:
        if key not in allowed:
            raise r.fail(f"{name}: derivation {arg} takes no argument {key!r}", args.line_of(key),
                         _hint(key, allowed) or f"arguments: {', '.join(sorted(allowed)) or 'none'}")
    for key in required:
        if key not in args:
            raise r.fail(f"{name}: derivation {arg} needs argument {key!r}", at)
    check_model(r, f"{name}: derivation {arg} argument ", d.options, args, ARGUMENT_KINDS, at)
    spec.args = _plain(args)
    spec.arg_lines = {str(k): args.line_of(k) or at for k in args}
    if "source" in allowed and study is not None:
        _check_date_source(r, f"{name}: derivation {arg}", spec, study)
    # variables of the record it reads (actual_arm's ``variable``) must be filled by the spec
    spec.target_refs += tuple(str(spec.args[key]).upper() for key, kind in d.reads.items()
                              if kind == "record" and key in spec.args)
    if d.phase != "record":
        return
    source_columns: list[str] = []
    for key in COLUMN_ARGUMENTS:
        if key in args:
            source_columns += r.names(args[key], f"{name}: {arg} argument {key}", args.line_of(key))
    if d.columns is not None:  # columns named some other way (a template's fields, a value map's keys, the pattern)
        try:
            source_columns += d.columns(spec.args, study)
        except LookupError as exc:
            message, key, hint = (*exc.args, None, None)[:3]
            raise r.fail(f"{name}: {message}", args.line_of(key) if key in args else at, hint) from None
    spec.columns = tuple(source_columns)


def fill(frame: pd.DataFrame, var: VariableSpec, context: RecordFill) -> pd.Series:
    """A record-level derivation (later-phase ones are run by the study build with the built domains)."""
    if var.derivation is None:
        raise ValueError(f"{var.name}: derive names no derivation")
    return REGISTRY[var.derivation].fn(context.row, **var.args)


def describe(var: VariableSpec) -> str | None:
    if var.derivation is None:
        return None
    entry = algorithm(var.derivation, "SDTM")
    return entry.method_text(entry.options.model_validate(var.args)) or None


DERIVE = register(Algorithm(
    name="derive", standards=("SDTM",), phase="record", options=DeriveOptions, fill=fill, origin="Derived",
    summary="A named derivation of the registry (`{derive: name, args: {...}}`: every row of this table not "
            "marked keyword); its phase, arguments, origin and method text are the derivation's.",
    keyword=True, kinds={"derive": "name"}, read=read, describe=describe))
