"""Typed models of the three YAML files a study keeps: domain specs, ``study.yaml`` and the dispositions file.

The models say the *shape* of each file (which keys, what each holds); the loaders in this package add the checks
that need the standards or the other files (SDTMIG variables, CT terms, value maps, raw columns, references between
domains), each with the file and line. The same models give the JSON Schema that ``cdisc-convert spec schema``
writes, so an editor with a YAML language server completes and checks a spec while the user types.

The variables of a domain spec are one model per registered SDTM algorithm (``converters.algorithms``): a new
algorithm appears in the schema as soon as it is registered.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from converters.algorithms.registry import ORIGIN_TYPES, Algorithm, derivations, keywords

Scalar = Union[str, int, float, bool, None]
Names = Union[str, list[str]]
Values = Union[Scalar, list[Scalar]]
Pages = Union[str, int, Annotated[list[str | int], Field(min_length=1)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ------------------------------------------------------------------------------------------------ conditions
class ColumnRef(_Strict):
    """Compare with another column (``DOMAIN.VARIABLE`` for a variable of another built domain)."""

    column: str


class ColumnTest(_Strict):
    """``column`` compared with one test. Text compares trimmed and case-insensitively; ``lt``/``le``/``gt``/``ge``
    compare numbers as numbers and ISO 8601 dates as dates. ``column`` may be ``DOMAIN.VARIABLE`` of another built
    domain (the subject's first record there)."""

    column: str
    equals: Scalar | ColumnRef = None
    not_equals: Scalar | ColumnRef = None
    in_: Values = Field(None, alias="in")
    not_in: Values = None
    contains: Values = None
    is_null: Literal[True] | None = None
    not_null: Literal[True] | None = None
    lt: Scalar | ColumnRef = None
    le: Scalar | ColumnRef = None
    gt: Scalar | ColumnRef = None
    ge: Scalar | ColumnRef = None


class AllOf(_Strict):
    all: list[Condition]


class AnyOf(_Strict):
    any: list[Condition]


class NotOf(_Strict):
    not_: Condition = Field(alias="not")


Condition = Union[ColumnTest, AllOf, AnyOf, NotOf]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class WhenCase(_Strict):
    when: Condition
    value: Scalar = None
    assign: str | None = None


class ElseCase(_Strict):
    else_: Scalar = Field(None, alias="else")
    else_assign: str | None = None


# ------------------------------------------------------------------------------------------------- variables
class Substring(_Strict):
    substring: list[int] = Field(min_length=1, max_length=2, description="[start, length], start counted from 1")


class Replace(_Strict):
    replace: list[str] = Field(min_length=2, max_length=2, description="[old, new] (plain text)")


class Extract(_Strict):
    extract: str = Field(description="a regular expression; the first group (or the whole match) is kept")


class Concatenate(_Strict):
    concatenate: Names = Field(description="raw columns appended, separated by one space")


#: One text transform applied to the collected text before mapping (docs: converters/algorithms/transforms.py).
Transform = Union[Literal["upper", "lower", "trim"], Substring, Replace, Extract, Concatenate]


class VariableOptions(_Strict):
    """Options every algorithm takes."""

    crf_page: Pages | None = None
    origin: Literal[ORIGIN_TYPES] | None = None  # type: ignore[valid-type]
    label: str | None = Field(None, max_length=40)
    type: Literal["Char", "Num"] | None = None
    sponsor_defined: StrictBool | None = None  # true/false only: yes/no and 1/0 are text
    qeval: str | None = None
    description: str | None = None
    on_error: Literal["null", "drop"] | None = None
    codelist: str | None = None
    transliterate: StrictBool | None = None


def derive_model(entry: Algorithm) -> type[BaseModel]:
    """The spec model of ``{derive: <name>, args: {...}}`` for one registered algorithm."""
    fields: dict[str, Any] = {"derive": (Literal[entry.name], ...),
                              "args": (entry.options | None, None)}
    return create_model(f"Derive_{entry.name}", __base__=VariableOptions, __doc__=entry.summary, **fields)


def variable_models() -> list[type[BaseModel]]:
    """One model per way a variable can be filled: each keyword's (its registration's options), then, in place of
    the generic ``derive``, one per registered derivation."""
    own = [entry.options for name, entry in keywords("SDTM").items() if name != "derive"]
    return own + [derive_model(entry) for entry in derivations("SDTM").values()]


# ----------------------------------------------------------------------------------------------- domain spec
class Merge(_Strict):
    source: str
    by: Names | dict[str, str]
    columns: Names
    prefix: str | None = None
    on_duplicate: Literal["error", "first"] | None = None
    required: StrictBool | None = None


def domain_spec_model() -> type[BaseModel]:
    """The model of one domain spec file (``mappings/<study>/sdtm/<domain>.yaml``)."""
    variable = Union[tuple(variable_models())]  # type: ignore[valid-type]
    table = dict[str, variable]  # type: ignore[valid-type]
    block = create_model(
        "RecordBlock", __base__=_Strict, source=(str, ...), description=(str | None, None),
        filter=(Condition | None, None), merge=(Union[Merge, list[Merge]] | None, None),
        variables=(table | None, None), supp=(table | None, None))
    return create_model(
        "DomainSpec", __base__=_Strict, __doc__="One SDTM domain: where its records come from and how each "
        "variable is filled (docs/mapping-spec.md).",
        domain=(str, ...), description=(str | None, None), source=(str | None, None),
        filter=(Condition | None, None), merge=(Union[Merge, list[Merge]] | None, None),
        variables=(table | None, None), records=(list[block] | None, None),  # type: ignore[valid-type,arg-type]
        supp=(table | None, None), supp_idvar=(str | None, None), keys=(Names | None, None))


# ------------------------------------------------------------------------------------------------ study.yaml
class DateSourceModel(_Strict):
    form: str
    column: str
    time_column: str | None = None
    where: dict[str, Scalar | list[Scalar]] | None = None
    pick: Literal["first", "last"] | None = None


class AfterElements(_Strict):
    after_taetord: int | list[int]
    offset: str | None = None


class ArmRow(_Strict):
    ARMCD: str
    ARM: str
    raw_codes: list[Scalar | list[Scalar]] | None = None
    treatment: dict[str, str | int | float] | None = None


class ElementRow(_Strict):
    ETCD: str
    ELEMENT: str
    TESTRL: str | None = None
    TEENRL: str | None = None
    TEDUR: str | None = None


class TrialArmRow(_Strict):
    TAETORD: int
    ETCD: str
    EPOCH: str
    TABRANCH: str | None = None
    TATRANS: str | None = None


class ElementDateRow(_Strict):
    TAETORD: int
    start: DateSourceModel | AfterElements


class VisitRow(_Strict):
    VISITNUM: float
    VISIT: str
    VISITDY: float | None = None
    TVSTRL: str | None = None
    TVENRL: str | None = None
    ARMCD: str | None = None
    window_before: float | None = None
    window_after: float | None = None
    raw_folders: Names | None = None


class TrialSummaryRow(_Strict):
    TSPARMCD: str
    TSPARM: str | None = None
    TSGRPID: str | None = None
    TSVAL: Scalar = None
    TSVALNF: str | None = None
    TSVALCD: str | None = None
    TSVCDREF: str | None = None
    TSVCDVER: str | None = None
    derive: str | None = None


class CriterionRow(_Strict):
    IETESTCD: str
    IETEST: str | None = None
    IECAT: str | None = None
    IESCAT: str | None = None
    TIRL: str | None = None
    TIVERS: str | None = None
    full_text: str | None = None


class ArmAssignmentModel(_Strict):
    form: str
    column: str | None = None
    columns: list[str] | None = None


class IeSourceModel(_Strict):
    form: str
    testcd_column: str
    result_column: str | None = None
    date_column: str | None = None
    visit_column: str | None = None
    waived_column: str | None = None


class SubjectJoin(_Strict):
    """A form that lacks part of USUBJID gets it from another form by a join (e.g. SITEID from demographics)."""

    source: str = Field(description="the form that holds the missing columns (e.g. dm)")
    by: Names = Field(description="columns both forms have (e.g. SUBJID)")
    columns: Names = Field(description="columns taken from it (e.g. SITEID)")


class StudyIdentity(_Open):
    studyid: str
    title: str | None = None
    short_title: str | None = None
    protocol_number: str | None = None
    sponsor: str | None = None
    registry_id: str | None = None


class RawSection(_Strict):
    folder: str | None = None
    encodings: dict[str, str] | None = None


class UsubjidSection(_Strict):
    pattern: str | None = None
    join: SubjectJoin | None = None


class StudyFile(_Open):
    """study.yaml: study-level facts every domain spec shares (docs/study-yaml.md)."""

    study: StudyIdentity
    standards: dict[str, Scalar] | None = None
    data_cutoff: str | None = None
    raw: RawSection | None = None
    usubjid: UsubjidSection | None = None
    arms: list[ArmRow] | None = None
    arm_assignment: ArmAssignmentModel | None = None
    elements: list[ElementRow] | None = None
    trial_arms: dict[str, list[TrialArmRow] | None] | None = None
    element_dates: list[ElementDateRow] | None = None
    study_end: DateSourceModel | None = None
    reference_start: DateSourceModel | None = None
    reference_end: DateSourceModel | None = None
    visits: list[VisitRow] | None = None
    non_visit_folders: Names | None = None
    trial_summary: list[TrialSummaryRow] | None = None
    inclusion_exclusion: list[CriterionRow] | None = None
    ie_source: IeSourceModel | None = None
    value_maps: dict[str, dict[str, Scalar | dict[str, Scalar]]] | None = None


# ---------------------------------------------------------------------------------------------- dispositions
class DispositionEntry(_Strict):
    rule: str
    reason: str
    by: str
    dataset: str | None = None
    variable: str | None = None
    usubjid: str | None = None
    seq: int | str | None = None
    record: int | None = None
    value: Scalar = None
    date: str | None = None


class DispositionsFile(_Strict):
    """validation-dispositions.yaml: explanations of accepted conformance findings (docs/validation.md)."""

    dispositions: list[DispositionEntry] | None = None


KINDS = ("domain", "study", "dispositions")


def json_schema(kind: str = "domain") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a ``domain`` spec, ``study`` (study.yaml) or ``dispositions`` file."""
    model: type[BaseModel]
    if kind == "domain":
        model = domain_spec_model()
    elif kind == "study":
        model = StudyFile
    elif kind == "dispositions":
        model = DispositionsFile
    else:
        raise ValueError(f"unknown schema kind {kind!r}; one of {', '.join(KINDS)}")
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return schema
