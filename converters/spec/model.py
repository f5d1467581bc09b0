"""Typed objects of the mapping spec (one YAML file per SDTM domain).

Every object keeps the spec file and line it came from, so a problem found
later (a raw column missing from the data, say) still names the spec line.
The spec language is documented in ``docs/mapping-spec.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SpecPlace:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Condition:
    """``column op values`` or a combination (``all``, ``any``, ``not``) of conditions."""

    op: str  # equals, not_equals, in, not_in, is_null, not_null, contains, lt, le, gt, ge, all, any, not
    column: str | None = None
    values: tuple[str, ...] = ()
    children: tuple[Condition, ...] = ()
    place: SpecPlace | None = None
    other: str | None = None  # lt/le/gt/ge/equals against another column: {column: NAME} as the value

    def columns(self) -> list[str]:
        """Every column the condition reads (``DOMAIN.VARIABLE`` for a variable of another built domain)."""
        own = [c for c in (self.column, self.other) if c]
        return own + [c for child in self.children for c in child.columns()]

    def domain_refs(self) -> list[str]:
        """The ``DOMAIN.VARIABLE`` columns it reads (values of another built domain)."""
        return [c for c in self.columns() if "." in c]


@dataclass
class Case:
    """One branch of an if/else mapping: when ``when`` holds (None = else), the value or a column's value."""

    when: Condition | None
    value: Any = None
    column: str | None = None
    place: SpecPlace | None = None


class NoValue(str):
    """A value-map entry that maps a collected value to no value, for a reason (the text):
    ``Screen Failure: {no_value: SCREEN FAILURE}`` leaves ARMCD null and gives ARMNRS the reason, with no
    rejection entry (the value is understood, not unmapped)."""


def value_map_entry(value: Any) -> str:
    """A value map's entry as the engine keeps it: ``{no_value: reason}`` -> NoValue(reason), else the text."""
    if isinstance(value, dict) and set(value) == {"no_value"}:
        return NoValue(str(value["no_value"]))
    return str(value)


@dataclass
class VariableSpec:
    """How one target variable (or one supplemental qualifier) is filled."""

    name: str
    algorithm: str  # assign, assign_ct, hardcode, datetime, condition, study_day, seq, epoch, visit, derive
    place: SpecPlace
    columns: tuple[str, ...] = ()  # raw columns read (assign, assign_ct, datetime, visit)
    target_refs: tuple[str, ...] = ()  # built variables read (study_day, epoch, seq order, visit date)
    value: Any = None  # hardcode
    codelist: str | None = None
    value_map: dict[str, str] | None = None
    value_map_name: str | None = None
    extend: bool = False
    date_formats: tuple[str, ...] = ()
    time_formats: tuple[str, ...] = ()
    cases: list[Case] = field(default_factory=list)
    by: tuple[str, ...] = ("USUBJID",)
    order: tuple[str, ...] = ()
    derivation: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    arg_lines: dict[str, int] = field(default_factory=dict)  # spec line of each derivation argument
    crf_page: str | None = None
    origin: str | None = None  # override of the origin the algorithm implies (e.g. Protocol for hardcode)
    label: str | None = None  # sponsor-defined variables and supplemental qualifiers
    data_type: str | None = None  # Char or Num for sponsor-defined variables
    sponsor_defined: bool = False
    qeval: str | None = None  # supplemental qualifiers
    description: str | None = None  # method text for derived values
    on_error: str = "null"  # null (blank the value) or drop (drop the record) for unconvertible values
    transliterate: bool = False  # non-ASCII raw text written as ASCII, each change logged (sdtm/ascii_text.py)

    transforms: tuple[tuple[str, Any], ...] = ()  # text transforms applied to the collected text (assign, assign_ct)

    def domain_refs(self) -> list[str]:
        """``DOMAIN.VARIABLE`` columns its conditions read: such a variable is filled once those domains are built."""
        return [c for case in self.cases if case.when is not None for c in case.when.domain_refs()]

    @property
    def origin_type(self) -> str:
        """The Define-XML origin type: the spec's override, else the one the algorithm implies (its registration's;
        for ``derive``, the named derivation's)."""
        if self.origin:
            return self.origin
        from converters.algorithms.registry import algorithm

        return algorithm(self.derivation or self.algorithm).origin


@dataclass
class MergeSpec:
    """Join columns of another raw source onto the block's source by keys."""

    source: str
    left_on: tuple[str, ...]
    right_on: tuple[str, ...]
    columns: tuple[str, ...]
    prefix: str = ""
    on_duplicate: str = "error"  # error or first
    required: bool = False  # records without a match are dropped and logged
    place: SpecPlace | None = None


@dataclass
class BlockSpec:
    """One record source of a domain: a raw source, an optional filter and merges, and its variables."""

    source: str
    place: SpecPlace
    filter: Condition | None = None
    merges: list[MergeSpec] = field(default_factory=list)
    variables: dict[str, VariableSpec] = field(default_factory=dict)
    supp: dict[str, VariableSpec] = field(default_factory=dict)  # qualifiers filled from this block


@dataclass
class DomainSpec:
    """A whole domain: its record blocks, supplemental qualifiers and keys."""

    domain: str
    place: SpecPlace
    blocks: list[BlockSpec]
    supp: dict[str, VariableSpec] = field(default_factory=dict)  # every qualifier of any block (first seen)
    supp_idvar: str | None = None
    keys: tuple[str, ...] = ()
    description: str = ""

    @property
    def file(self) -> str:
        return self.place.file

    def variable_names(self) -> list[str]:
        """Every target variable some block fills, in first-seen order."""
        seen: dict[str, None] = {}
        for block in self.blocks:
            for name in block.variables:
                seen.setdefault(name)
        return list(seen)

    def variable_specs(self) -> dict[str, VariableSpec]:
        """Every target variable some block fills, in first-seen order, with the first block's spec of it."""
        specs: dict[str, VariableSpec] = {}
        for block in self.blocks:
            for name, var in block.variables.items():
                specs.setdefault(name, var)
        return specs

    def variable(self, name: str) -> VariableSpec | None:
        for block in self.blocks:
            if name in block.variables:
                return block.variables[name]
        return None

    def sources(self) -> list[str]:
        names = []
        for block in self.blocks:
            names += [block.source] + [m.source for m in block.merges]
        return list(dict.fromkeys(names))
