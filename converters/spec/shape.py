"""The shape of a spec file checked with its pydantic model (``converters.spec.schema``), errors as the user sees them.

The model is the one the JSON Schema for editors comes from, so the loader and the editor agree on what a file may
hold. The YAML is read as JSON would read it (mapping keys are text), validated, and the first problem pydantic
finds becomes a :class:`~converters.errors.SpecError` naming the file, the line of the key or item (from
``converters.spec.yaml_lines``) and a hint: the close spelling among the keys allowed *at that place* for an
unknown key, else what the place takes. Checks that need the standards, the study or the raw data stay in the
loaders, on top of this.
"""
from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from converters.errors import Location, SpecError
from converters.spec.yaml_lines import LineDict, LineList


def jsonable(node: Any) -> Any:
    """The YAML document as the model reads it: keys as text (as JSON holds them), and numbers as text too, since
    the loaders read every name and value as text (``ARMCD: 1`` is the arm code '1'); a number the model wants is
    read back from the text. Booleans and nulls stay what they are."""
    if isinstance(node, dict):
        return {str(key): jsonable(value) for key, value in node.items()}
    if isinstance(node, list):
        return [jsonable(value) for value in node]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return str(node)
    return node


#: What a value must be, by pydantic's error type (the words the loaders have always used).
KINDS = {
    "float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "int_type": "a whole number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list", "tuple_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
}


def check_shape(model: type[BaseModel], doc: Any, file: str, hints: dict[str, str] | None = None) -> None:
    """SpecError (file, line, hint) for the first way ``doc`` does not fit ``model``; ``hints`` adds a hint per
    top-level section (e.g. that a comma inside ``{...}`` must be quoted)."""
    try:
        model.model_validate(jsonable(doc))
    except ValidationError as exc:
        raise shape_error(model, exc, doc, file, hints or {}) from None


def shape_error(model: type[BaseModel], exc: ValidationError, doc: Any, file: str,
                hints: dict[str, str]) -> SpecError:
    """The most telling problem of ``exc`` (the one deepest in the document; an unknown key before a wrong value)
    as a SpecError with the line and a hint."""
    (path, line), problem = deepest_problem(doc, exc)
    extra = hints.get(str(path[0])) if path else None
    parent = _words(path[:-1]) or "the file"
    row = " in this row" if len(path) > 1 and isinstance(path[-2], int) else ""
    if problem["type"] == "extra_forbidden":
        key = str(path[-1])
        allowed = _keys_at(model, path[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"allowed: {', '.join(allowed)}; nothing else is read"
        return SpecError(f"{parent}: unknown key {key!r}{row}", Location(file, line),
                         "; ".join(h for h in (hint, extra) if h))
    if problem["type"] == "missing":
        return SpecError(f"{parent}: each entry needs '{path[-1]}'" if row else f"{parent} needs '{path[-1]}'",
                         Location(file, line))
    value = value_at(doc, path)
    name = next((str(step) for step in reversed(path) if not isinstance(step, int)), "the file")
    section = f"{path[0]}: " if len(path) > 1 else ""
    kind = KINDS.get(problem["type"])
    if kind in ("a mapping", "a list"):
        message = f"'{name}' must be {kind}" if kind == "a mapping" else f"{name} must be {kind}"
    elif kind is not None or problem["type"] == "literal_error":
        kind = kind or f"one of {problem.get('ctx', {}).get('expected', '')}"
        item = " value" if path and isinstance(path[-1], int) else ""
        message = f"{name}{item} {value!r} must be {kind}"
    else:
        message = f"{_words(path) or 'the file'}: {problem['msg'][:1].lower()}{problem['msg'][1:]}"
    return SpecError(section + message, Location(file, line))


def value_at(doc: Any, path: Sequence[Any]) -> Any:
    """The document's own value at ``path`` (as written, not as text)."""
    node = doc
    for step in path:
        if isinstance(node, dict):
            node = next((v for k, v in node.items() if str(k) == str(step)), None)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node


def deepest_problem(doc: Any, exc: ValidationError) -> tuple[tuple[tuple[Any, ...], int], Any]:
    """The problem deepest in the document, with its path and line. Of a union's members (a condition's test or
    ``all``, a case's ``when`` or ``else``) the one the writer meant is the one whose keys fit, so at equal depth a
    wrong value of a key that belongs there goes before an unknown or a missing key."""
    rank = {"extra_forbidden": 1, "missing": 0}
    problems = [(_walk(doc, problem), problem) for problem in exc.errors()]
    return max(problems, key=lambda item: (len(item[0][0]), rank.get(item[1]["type"], 2)))


def _walk(doc: Any, problem: Any) -> tuple[tuple[Any, ...], int]:
    """The part of the problem's ``loc`` that names keys and items of the document (pydantic adds union member
    tags such as ``DateSourceModel`` or ``list[str]``; a missing key is the last step), and the line of the deepest."""
    node, path, line = doc, [], getattr(doc, "line", 1) or 1
    loc = problem["loc"]
    for i, step in enumerate(loc):
        if isinstance(node, LineDict):
            key = next((k for k in node if str(k) == str(step)), _ABSENT)
            if key is not _ABSENT:
                line, node = node.line_of(key) or line, node[key]
                path.append(step)
            elif i == len(loc) - 1 and problem["type"] == "missing":
                path.append(step)
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line, node = node.line_of(step) or line, node[step]
            path.append(step)
    return tuple(path), line


_ABSENT = object()


def _words(path: Sequence[Any]) -> str:
    """``visits.VISITNUM`` for a path of keys and list positions (the line says which item)."""
    return ".".join(str(step) for step in path if not isinstance(step, int))


def _keys_at(model: Any, path: Sequence[Any]) -> list[str]:
    """The keys a mapping at ``path`` of ``model`` may hold (every model a union allows there), in model order."""
    found: list[str] = []
    for kind in _kinds_at(model, path):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += [info.alias or name for name, info in kind.model_fields.items()]
    return list(dict.fromkeys(found))


def _kinds_at(kind: Any, path: Sequence[Any]) -> list[Any]:
    if not path:
        return _members(kind)
    step, rest = path[0], path[1:]
    out = []
    for member in _members(kind):
        if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(step, str):
            for name, info in member.model_fields.items():
                if step in (name, info.alias):
                    out += _kinds_at(info.annotation, rest)
        elif typing.get_origin(member) is list and isinstance(step, int):
            out += _kinds_at(typing.get_args(member)[0], rest)
        elif typing.get_origin(member) is dict:
            out += _kinds_at(typing.get_args(member)[1], rest)
    return out


def _members(kind: Any) -> list[Any]:
    """The members of a union (``X | Y``, ``Optional[X]``), else the kind itself."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(kind) for m in _members(arg)]
    return [kind]
