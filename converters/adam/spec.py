"""ADaM specs: ``mappings/<study>/adam/<dataset>.yaml``, loaded into typed objects with every error at its line.

    dataset: ADSL
    structure: ADSL                 # ADSL, BDS, OCCDS or TTE (ADaMIG 1.3 class and subclass)
    source: {dataset: DM, filter: {ARMNRS: {isnull: true}}}   # or null: start with no records
    keys: [STUDYID, USUBJID]
    steps:                          # verbs of the registry, in order; each takes the frame and extends it
      - derive_vars_merged: {dataset_add: EX, new_vars: {TRTSDTC: EXSTDTC}, order: [EXSTDTC], mode: first}
    variables:                      # the variables kept, in this order; metadata for those ADaMIG does not define
      STUDYID:
      DLTEVLFL: {label: DLT-Evaluable Population Flag, type: Char}

A step's options are checked by the verb's pydantic model; unknown verbs, unknown options and wrong kinds are
SpecErrors naming the file and line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from converters.adam.where import Where, check_where
from converters.algorithms.registry import Algorithm, algorithm
from converters.errors import Location, SpecError
from converters.spec.yaml_lines import LineDict, LineList, load_yaml_file

STRUCTURES = ("ADSL", "BDS", "OCCDS", "TTE")
#: files of the adam/ folder that are not dataset specs
NOT_SPECS = ("escalation.yaml", "results.yaml", "validation-dispositions.yaml")


class VariableMeta(BaseModel):
    """What the spec says about one kept variable (ADaMIG or the SDTM predecessor says the rest)."""

    model_config = ConfigDict(extra="forbid")
    label: str | None = None
    type: Literal["Char", "Num"] | None = None
    display_format: str | None = None
    codelist: str | None = None
    core: Literal["Req", "Cond", "Perm"] | None = None


class SourceSpec(BaseModel):
    """The records a dataset starts from: an SDTM domain (SUPP-- merged) or an ADaM dataset built before."""

    model_config = ConfigDict(extra="forbid")
    dataset: str
    filter: Where | None = None

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: Where | None) -> Where | None:
        return None if value is None else check_where(value)


@dataclass
class Step:
    """One verb of a dataset's pipeline with its checked options."""

    verb: Algorithm
    options: BaseModel
    line: int


@dataclass
class AdamSpec:
    """One ADaM dataset's spec."""

    dataset: str
    structure: str
    label: str | None
    source: SourceSpec | None  # None: no input records (parameters derived from other datasets)
    keys: tuple[str, ...]
    steps: list[Step]
    variables: dict[str, VariableMeta]
    file: str
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str | None = None) -> Location:
        return Location(self.file, self.lines.get(key or "", 1))


def _fail(message: str, file: str, line: int, hint: str | None = None) -> SpecError:
    return SpecError(message, Location(file, line), hint=hint)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def _line_of(container: Any, key: Any, default: int) -> int:
    if isinstance(container, LineDict):
        return container.line_of(key)
    if isinstance(container, LineList):
        return container.line_of(key)
    return default


def load_adam_spec(path: str | Path) -> AdamSpec:
    """Load and check one ADaM spec file."""
    file = str(path)
    raw = load_yaml_file(path)
    if not isinstance(raw, LineDict):
        raise _fail("an ADaM spec is a mapping with dataset, structure, source, steps and variables", file, 1)
    known = {"dataset", "structure", "label", "source", "keys", "steps", "variables"}
    for key in raw:
        if key not in known:
            raise _fail(f"unknown key {key!r}", file, raw.line_of(key), hint=f"known keys: {', '.join(sorted(known))}")
    for key in ("dataset", "structure", "source", "variables"):
        if key not in raw:
            raise _fail(f"'{key}' is missing", file, raw.line)
    name = str(raw["dataset"]).upper()
    if not name.startswith("AD") or len(name) > 8 or not name.isalnum():
        raise _fail(f"dataset name {raw['dataset']!r} is not an ADaM name (AD + up to 6 letters or digits)",
                    file, raw.line_of("dataset"))
    structure = str(raw["structure"]).upper()
    if structure not in STRUCTURES:
        raise _fail(f"structure {raw['structure']!r} is not one of {', '.join(STRUCTURES)}", file,
                    raw.line_of("structure"))
    source = None
    if raw["source"] is not None:
        try:
            source = SourceSpec.model_validate(raw["source"] if isinstance(raw["source"], dict)
                                               else {"dataset": raw["source"]})
        except ValidationError as exc:
            raise _fail(f"source: {_validation_message(exc)}", file, raw.line_of("source")) from None
        source.dataset = source.dataset.upper()
    steps = []
    raw_steps = raw.get("steps") or []
    if not isinstance(raw_steps, list):
        raise _fail("steps must be a list of {verb: options}", file, raw.line_of("steps"))
    for index, item in enumerate(raw_steps):
        line = _line_of(raw_steps, index, raw.line_of("steps"))
        if not isinstance(item, dict) or len(item) != 1:
            raise _fail("each step is one {verb: options} mapping", file, line)
        (verb_name, options), = item.items()
        try:
            verb = algorithm(str(verb_name), standard="ADaM")
        except SpecError as exc:
            raise _fail(exc.message, file, line, exc.hint) from None
        try:
            checked = verb.options.model_validate(options or {})
        except ValidationError as exc:
            raise _fail(f"{verb_name}: {_validation_message(exc)}", file, line,
                        hint=f"see 'cdisc-convert adam --help' and docs/adam.md for {verb_name}") from None
        steps.append(Step(verb, checked, line))
    variables: dict[str, VariableMeta] = {}
    raw_vars = raw["variables"]
    if not isinstance(raw_vars, dict) or not raw_vars:
        raise _fail("variables must map each kept variable to its metadata (or nothing)", file,
                    raw.line_of("variables"))
    lines = {"dataset": raw.line_of("dataset"), "source": raw.line_of("source"), "variables": raw.line_of("variables")}
    for var, meta in raw_vars.items():
        line = _line_of(raw_vars, var, raw.line_of("variables"))
        lines[f"variables.{var}"] = line
        if not str(var).isupper() or len(str(var)) > 8:
            raise _fail(f"variable name {var!r} must be upper case and at most 8 characters", file, line)
        try:
            variables[str(var)] = VariableMeta.model_validate(meta or {})
        except ValidationError as exc:
            raise _fail(f"{var}: {_validation_message(exc)}", file, line) from None
    keys = tuple(str(k) for k in (raw.get("keys") or ("STUDYID", "USUBJID")))
    for key in keys:
        if key not in variables:
            raise _fail(f"key {key} is not one of the kept variables", file, raw.line_of("keys"))
    return AdamSpec(name, structure, raw.get("label"), source, keys, steps, variables, file, lines)


def referenced_datasets(spec: AdamSpec) -> set[str]:
    """Dataset names a spec reads (its source and any option naming a dataset), upper case."""
    found = {spec.source.dataset} if spec.source else set()

    def walk(value: Any) -> None:
        if isinstance(value, BaseModel):
            for name, item in value:
                if name in ("dataset", "dataset_add") and isinstance(item, str):
                    found.add(item.upper())
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for step in spec.steps:
        walk(step.options)
    return found


def load_adam_specs(folder: str | Path) -> list[AdamSpec]:
    """Every ``*.yaml`` of ``folder`` but the escalation and dispositions files, ordered so a dataset comes after
    those it reads."""
    root = Path(folder)
    if not root.is_dir():
        raise SpecError("ADaM spec folder not found", Location(str(root)),
                        hint="put one YAML per ADaM dataset in mappings/<study>/adam/")
    specs = [load_adam_spec(p) for p in sorted(root.glob("*.yaml")) if p.name not in NOT_SPECS]
    if not specs:
        raise SpecError("no ADaM specs (*.yaml) in the folder", Location(str(root)))
    by_name: dict[str, AdamSpec] = {}
    for spec in specs:
        if spec.dataset in by_name:
            raise SpecError(f"{spec.dataset} is specified twice (also in {by_name[spec.dataset].file})",
                            spec.where("dataset"))
        by_name[spec.dataset] = spec
    ordered: list[AdamSpec] = []
    state: dict[str, int] = {}

    def visit(spec: AdamSpec, chain: tuple[str, ...]) -> None:
        if state.get(spec.dataset) == 2:
            return
        if state.get(spec.dataset) == 1:
            raise SpecError(f"ADaM datasets read each other in a circle: {' -> '.join(chain + (spec.dataset,))}",
                            spec.where("source"))
        state[spec.dataset] = 1
        deps = sorted(referenced_datasets(spec) & set(by_name) - {spec.dataset})
        if spec.dataset != "ADSL" and "ADSL" in by_name:
            deps = ["ADSL"] + [d for d in deps if d != "ADSL"]
        for dep in deps:
            visit(by_name[dep], chain + (spec.dataset,))
        state[spec.dataset] = 2
        ordered.append(spec)

    for spec in sorted(specs, key=lambda s: (s.dataset != "ADSL", s.dataset)):
        visit(spec, ())
    return ordered
