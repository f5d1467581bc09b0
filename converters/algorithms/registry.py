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
- ``summary``: one line for the docs table;
- ``keyword``: True for the core spec keywords a variable names directly (``{assign: COL}``, ``{seq: ...}``); the
  others are used through ``{derive: <name>, args: {...}}``. A keyword's ``options`` is the whole variable entry's
  model, ``kinds`` says what its own argument and options hold (checked first, with the line), its ``read`` turns
  the YAML entry into the engine's ``VariableSpec`` (semantic checks with the spec line), its ``fill`` is called as
  ``fill(frame, variable_spec, context)`` and its ``describe`` gives the define's method text from the
  ``VariableSpec`` when the text depends on the spec's lists (cases, sort order).

Argument names follow admiral's vocabulary where the concept is the same (``dataset_add``, ``by_vars``, ``order``,
``new_vars``, ``filter_add``, ``mode``), so an ADaM programmer reads a spec without a glossary.
"""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
    keyword: bool = False
    kinds: Mapping[str, str] = field(default_factory=dict)
    read: Callable[..., Any] | None = None
    describe: Callable[[Any], str | None] | None = None
    #: what some arguments name in the built data, for the loader's reference checks and the domains' build order:
    #: ``domain`` (another built domain), ``domains`` (a list of them), ``variables`` (variables of that domain),
    #: ``conditions`` (a mapping whose keys are variables of that domain), ``record`` (a variable of the record).
    reads: Mapping[str, str] = field(default_factory=dict)
    #: the raw columns a record-level use reads besides its ``column``-like arguments, from its arguments and the
    #: study (``fn(args, study) -> [columns]``; ``LookupError(message, argument, hint)`` for a name that is not there)
    columns: Callable[[Mapping[str, Any], Any], list[str]] | None = None
    #: ADaM derivations: the records it gives a subject, and their order among that subject's records, depend only
    #: on that subject's records (in the dataset and in every dataset it reads), provided its ``by_vars`` (when it
    #: has them) hold USUBJID; a dataset whose steps all are is derived per batch of subjects (docs/adam.md).
    #: False for anything that compares across subjects (dose cohorts, escalation, study-wide ranks or summaries).
    subject_local: bool = False
    #: ADaM derivations: what it does to the order of the records: ``kept`` (the records it keeps stay in their
    #: order), ``appended`` (new records after the others) or ``sorted`` (by its ``by_vars``, then ``order``).
    record_order: Literal["kept", "appended", "sorted"] = "kept"

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"algorithm {self.name}: phase {self.phase!r} is not one of {PHASES}")
        if self.origin not in ORIGIN_TYPES:
            raise ValueError(f"algorithm {self.name}: origin {self.origin!r} is not one of {ORIGIN_TYPES}")

    def method_text(self, options: BaseModel) -> str:
        """The Define-XML method description for one use of the algorithm (empty when it only copies values)."""
        return self.method.format(**dict(options)) if self.method else ""

    def arguments(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The names (aliases) of its required and of its optional arguments, from the options model."""
        fields = self.options.model_fields
        required = tuple(f.alias or n for n, f in fields.items() if f.is_required())
        optional = tuple(f.alias or n for n, f in fields.items() if not f.is_required())
        return required, optional

    def default(self, argument: str) -> Any:
        """The value an argument takes when a spec leaves it out: the fill function's own default (derivations
        declared as functions keep their defaults there), else the options model's, else None."""
        fn = getattr(self.fill, "__wrapped__", None)
        if fn is not None:
            parameter = inspect.signature(fn).parameters.get(argument)
            if parameter is not None and parameter.default is not inspect.Parameter.empty:
                return parameter.default
            return None
        for name, info in self.options.model_fields.items():
            if (info.alias or name) == argument and not info.is_required():
                return info.get_default(call_default_factory=True)
        return None


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


def derivations(standard: Standard = "SDTM") -> dict[str, Algorithm]:
    """The algorithms a spec uses through ``derive`` (every registered one of the standard that is not a keyword)."""
    return {a.name: a for a in algorithms(standard, ("record", "domain", "study")) if not a.keyword}


def keywords(standard: Standard = "SDTM") -> dict[str, Algorithm]:
    """The core keywords a variable names directly (``assign``, ``seq`` ...), by name."""
    return {a.name: a for a in algorithms(standard) if a.keyword}


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
