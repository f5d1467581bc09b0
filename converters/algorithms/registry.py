"""The registry of algorithms (SDTM) and derivations (ADaM): one registered object each.

An :class:`Algorithm` says everything the rest of the tool needs to know about one spec keyword:

- ``name``: the keyword a spec uses (``assign_ct``, ``study_day``, ``derive_var_trtemfl``);
- ``standards``: which specs may use it (``"SDTM"``, ``"ADaM"`` or both);
- ``phase``: when it runs (see :data:`PHASES`);
- ``options``: a pydantic model of its arguments, so specs are checked and the editor schema is generated from it;
- ``fill``: the whole-column function that does the work (its call shape is the phase's, below);
- ``origin``: the Define-XML origin type its values have (Collected, Assigned, Derived, Protocol, Predecessor);
- ``method``: the Define-XML method text, a template filled from the options (``str.format`` over the options'
  fields, so no spec text is ever evaluated), empty for algorithms that only copy collected values;
- ``summary``: one line for the docs table.

Argument names follow admiral's vocabulary where the concept is the same (``dataset_add``, ``by_vars``, ``order``,
``new_vars``, ``filter_add``, ``mode``), so an ADaM programmer reads a spec without a glossary.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from converters.errors import SpecError

Phase = Literal["record", "domain", "study", "dataset"]

#: When an algorithm runs, and the call shape of its ``fill``:
#: - ``record``: per record block, from raw columns: ``fill(frame, options, context) -> Series``;
#: - ``domain``: after all record blocks of a domain are built, from built variables: same shape;
#: - ``study``: after every domain of the study is built (reads other built domains): same shape;
#: - ``dataset``: an ADaM verb: takes the analysis dataset and returns it extended: ``fill(frame, options, context)
#:   -> DataFrame``.
PHASES: tuple[Phase, ...] = ("record", "domain", "study", "dataset")
ORIGIN_TYPES = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")
Standard = Literal["SDTM", "ADaM"]


@dataclass(frozen=True)
class Algorithm:
    """One spec keyword and everything that follows from it."""

    name: str
    standards: tuple[Standard, ...]
    phase: Phase
    options: type[BaseModel]
    fill: Callable[..., Any]
    origin: str
    summary: str
    method: str = ""

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"algorithm {self.name}: phase {self.phase!r} is not one of {PHASES}")
        if self.origin not in ORIGIN_TYPES:
            raise ValueError(f"algorithm {self.name}: origin {self.origin!r} is not one of {ORIGIN_TYPES}")

    def method_text(self, options: BaseModel) -> str:
        """The Define-XML method description for one use of the algorithm (empty when it only copies values)."""
        return self.method.format(**dict(options)) if self.method else ""


_REGISTRY: dict[str, Algorithm] = {}


def register(entry: Algorithm) -> Algorithm:
    """Add an algorithm to the registry; a second one of the same name is a programming error."""
    if entry.name in _REGISTRY:
        raise ValueError(f"algorithm {entry.name!r} is registered twice")
    _REGISTRY[entry.name] = entry
    return entry


def algorithms(standard: Standard | None = None, phases: Iterable[Phase] | None = None) -> list[Algorithm]:
    """The registered algorithms, by name, optionally of one standard and some phases."""
    _load_builtin()
    wanted = set(phases) if phases is not None else set(PHASES)
    return [a for _, a in sorted(_REGISTRY.items())
            if (standard is None or standard in a.standards) and a.phase in wanted]


def algorithm(name: str, standard: Standard | None = None) -> Algorithm:
    """The algorithm a spec names; an unknown name is a SpecError with the closest names as a hint."""
    _load_builtin()
    found = _REGISTRY.get(name)
    if found is None or (standard is not None and standard not in found.standards):
        names = [a.name for a in algorithms(standard)]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise SpecError(f"unknown algorithm {name!r}" + (f" for {standard}" if standard else ""), hint=hint)
    return found


_LOADED = False


def _load_builtin() -> None:
    """Import the modules that register the built-in algorithms (once; they register on import)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from converters.algorithms import builtin  # noqa: F401  (registers on import)
