"""Plain dataclasses for study, dataset, variable, value-level, codelist, method and comment metadata.

Frames carry data; these objects carry everything said about the data.  The
mapping spec and the bundled standards fill them, the data fills lengths and
the codelist terms actually used.  The XPT and Dataset-JSON writers, the
Define-XML writer and the validator all read this one model.

Data types are the Define-XML 2.1 ``DataType`` values (``text``, ``integer``,
``float``, ``date``, ``datetime``, ``time``, ``partialDate`` ... ``durationDatetime``).
A variable stored as a SAS number with a date format (ADaM ``*DT``, ``*DTM``,
``*TM``) has data type ``integer``/``float`` and a ``display_format`` such as
``DATE9.``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Define-XML data types stored as SAS character in XPT.
CHARACTER_TYPES = frozenset({
    "text", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
    "incompleteDatetime", "durationDatetime", "intervalDatetime", "URI",
})
#: Define-XML data types stored as SAS numbers in XPT.
NUMERIC_TYPES = frozenset({"integer", "float"})

#: SAS display format names (without width) that make a number a date, datetime or time.
TEMPORAL_FORMATS = {
    "DATE": "date", "YYMMDD": "date", "E8601DA": "date", "MMDDYY": "date", "DDMMYY": "date", "IS8601DA": "date",
    "DATETIME": "datetime", "E8601DT": "datetime", "IS8601DT": "datetime",
    "TIME": "time", "TOD": "time", "E8601TM": "time", "IS8601TM": "time",
}
_FORMAT_NAME = re.compile(r"^([A-Z_](?:[A-Z0-9_]*[A-Z_])?)\d*\.\d*$")


@dataclass
class Origin:
    """Where a variable's values come from (Define-XML 2.1 def:Origin)."""

    type: str  # Collected, Derived, Assigned, Protocol, Predecessor, Not Available
    source: str | None = None  # Investigator, Sponsor, Subject, Vendor
    pages: tuple[str, ...] = ()  # aCRF page references
    predecessor: str | None = None  # e.g. "DM.AGE"
    document: str | None = None  # leaf ID of the document the pages are in
    description: str | None = None  # free text beside the origin (def:Origin/Description)

    @property
    def page_type(self) -> str:
        """``PhysicalRef`` when every page reference is a page number, else ``NamedDestination``."""
        numbers = [part for page in self.pages for part in page.split()]
        return "PhysicalRef" if numbers and all(n.isdigit() for n in numbers) else "NamedDestination"


@dataclass
class Variable:
    """One variable of a dataset (ItemDef plus its ItemRef in Define-XML terms)."""

    name: str
    label: str
    data_type: str = "text"
    length: int | None = None
    significant_digits: int | None = None
    display_format: str | None = None
    core: str | None = None  # Req, Exp, Perm (SDTM); Req, Cond, Perm (ADaM)
    role: str | None = None
    codelist: str | None = None  # codelist short name (e.g. "NY") or OID
    origin: Origin | None = None
    method: str | None = None  # Method OID
    comment: str | None = None  # Comment OID
    key_sequence: int | None = None
    order: int | None = None
    mandatory: bool | None = None
    value_list: str | None = None  # ValueListDef OID when value-level metadata applies

    @property
    def is_numeric(self) -> bool:
        """True when the variable is stored as a SAS number (XPT type 1)."""
        return self.data_type in NUMERIC_TYPES

    @property
    def temporal_kind(self) -> str | None:
        """``date``, ``datetime`` or ``time`` for a numeric variable with a SAS date format."""
        if not self.is_numeric or not self.display_format:
            return None
        match = _FORMAT_NAME.match(self.display_format.strip().upper())
        return TEMPORAL_FORMATS.get(match.group(1)) if match else None


@dataclass
class WhereCondition:
    """One condition of a where-clause: ``variable comparator values`` (def:WhereClauseDef RangeCheck)."""

    dataset: str
    variable: str
    comparator: str = "EQ"  # EQ, NE, IN, NOTIN, LT, LE, GT, GE
    values: tuple[str, ...] = ()


@dataclass
class ValueLevel:
    """Metadata that holds for ``variable`` when every condition of ``where`` holds."""

    variable: str  # the dataset variable described, e.g. QVAL, --ORRES, AVAL
    where: tuple[WhereCondition, ...]
    item: Variable  # label, type, length, codelist, origin of the values under the clause


@dataclass
class CodelistTerm:
    """A term of a codelist as used in a study."""

    submission_value: str
    nci_code: str | None = None
    decode: str | None = None
    extended: bool = False  # sponsor extension of an extensible codelist


@dataclass
class Codelist:
    """A codelist as used in a study: only the terms that occur (plus sponsor extensions)."""

    name: str  # CDISC submission value of the codelist (e.g. "NY") or sponsor name
    nci_code: str | None = None
    label: str | None = None
    extensible: bool | None = None
    data_type: str = "text"
    terms: list[CodelistTerm] = field(default_factory=list)
    sponsor_defined: bool = False
    dictionary: str | None = None  # external dictionary (ExternalCodeList): MedDRA, WHODrug, ISO 3166 ...
    version: str | None = None  # version of the external dictionary
    standard: str | None = None  # Standard OID of the CT package the codelist comes from

    @property
    def oid(self) -> str:
        return f"CL.{self.name}"

    @property
    def is_external(self) -> bool:
        return self.dictionary is not None

    @property
    def has_decodes(self) -> bool:
        """True when some term has a decode that differs from its submission value (a CodeListItem list)."""
        return any(t.decode and t.decode != t.submission_value for t in self.terms)


@dataclass
class Method:
    """A derivation or imputation method (MethodDef)."""

    oid: str
    name: str
    description: str
    type: str = "Computation"  # Computation or Imputation
    expression: str | None = None
    document: str | None = None


@dataclass
class Comment:
    """A comment attached to a dataset, variable or value-level entry (def:CommentDef)."""

    oid: str
    text: str
    document: str | None = None


@dataclass
class Document:
    """An external document referenced by the define (aCRF, reviewer's guide): a def:leaf."""

    oid: str  # leaf ID, e.g. LF.acrf
    title: str
    href: str  # path relative to the define
    kind: str = "SupplementalDoc"  # AnnotatedCRF or SupplementalDoc (other documents: "Other")


@dataclass
class Standard:
    """A standard or CT package the study's metadata conforms to (def:Standard)."""

    name: str  # SDTMIG, ADaMIG, CDISC/NCI
    version: str  # 3.4, 1.3, 2025-03-28
    type: str = "IG"  # IG or CT
    publishing_set: str | None = None  # SDTM, ADaM, DEFINE-XML for CT

    @property
    def oid(self) -> str:
        tag = f"{self.publishing_set}." if self.publishing_set else ""
        return f"STD.{self.name}.{tag}{self.version}".replace("/", "_").replace(" ", "_")


@dataclass
class Dataset:
    """One dataset (ItemGroupDef): its identity and its variables in order."""

    name: str
    label: str
    domain: str | None = None
    dataset_class: str | None = None  # e.g. EVENTS, FINDINGS, SUBJECT LEVEL ANALYSIS DATASET
    subclass: str | None = None  # ADaM def:SubClass, e.g. TIME-TO-EVENT
    structure: str | None = None
    keys: tuple[str, ...] = ()
    purpose: str = "Tabulation"  # Tabulation or Analysis
    standard: str | None = None  # Standard OID
    variables: list[Variable] = field(default_factory=list)
    value_level: list[ValueLevel] = field(default_factory=list)
    comment: str | None = None
    records: int | None = None
    repeating: bool | None = None  # None: derived from the keys (No for one record per subject)
    is_reference_data: bool | None = None  # None: Yes for trial design datasets
    has_no_data: bool = False  # def:HasNoData: described though the folder holds no records
    leaf: str | None = None  # file of the dataset relative to the define (default <name>.xpt)

    @property
    def leaf_href(self) -> str:
        return self.leaf or f"{self.name.lower()}.xpt"

    @property
    def is_repeating(self) -> bool:
        if self.repeating is not None:
            return self.repeating
        return tuple(self.keys) not in (("STUDYID", "USUBJID"), ("USUBJID",), ("STUDYID", "USUBJID", "SUBJID"))

    @property
    def is_reference(self) -> bool:
        if self.is_reference_data is not None:
            return self.is_reference_data
        return (self.dataset_class or "").upper() == "TRIAL DESIGN"

    def variable(self, name: str) -> Variable:
        """The variable called ``name``; KeyError if the dataset has none."""
        for var in self.variables:
            if var.name == name:
                return var
        raise KeyError(f"{self.name} has no variable {name}")

    @property
    def variable_names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def oid(self) -> str:
        return f"IG.{self.name}"

    def item_oid(self, variable: str) -> str:
        """OID of one of this dataset's variables, ``IT.<DATASET>.<VARIABLE>``.

        Dataset-JSON itemOIDs and Define-XML ItemDef OIDs both use this form, so they match.
        """
        return f"IT.{self.name}.{variable}"


@dataclass
class AnalysisDataset:
    """The data an analysis result used: a dataset, the variables analysed and the records selected."""

    dataset: str
    variables: tuple[str, ...]
    where: tuple[WhereCondition, ...] = ()


@dataclass
class AnalysisResult:
    """One analysis result of a display (arm:AnalysisResult)."""

    oid: str
    description: str
    reason: str  # SPECIFIED IN PROTOCOL, SPECIFIED IN SAP, DATA DRIVEN, REQUESTED BY REGULATORY AGENCY
    purpose: str  # PRIMARY OUTCOME MEASURE, SECONDARY OUTCOME MEASURE, EXPLORATORY OUTCOME MEASURE
    datasets: list[AnalysisDataset] = field(default_factory=list)
    parameter: str | None = None  # PARAMCD variable OID (IT.ADRS.PARAMCD) when the result is by parameter
    documentation: str = ""
    code: str = ""  # programming statements or their description
    code_context: str = "Python"


@dataclass
class ResultDisplay:
    """A table or figure of analysis results (arm:ResultDisplay)."""

    oid: str
    name: str
    title: str
    results: list[AnalysisResult] = field(default_factory=list)
    document: str | None = None  # leaf ID of the document showing it
    pages: tuple[str, ...] = ()


@dataclass
class Study:
    """A study's identity, the standards it uses, and all its metadata."""

    studyid: str
    name: str = ""
    description: str = ""
    protocol: str = ""
    ct_version: str = "2025-03-28"
    standards: list[Standard] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    codelists: list[Codelist] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    mdv_oid: str | None = None  # MetaDataVersion OID (default MDV.<STUDYID>.<standard>)
    mdv_name: str | None = None  # MetaDataVersion Name
    mdv_description: str | None = None
    analysis_results: list[ResultDisplay] = field(default_factory=list)  # ADaM ARM 1.0

    @property
    def purpose(self) -> str:
        """Analysis when every dataset is an analysis dataset, else Tabulation."""
        return "Analysis" if self.datasets and all(d.purpose == "Analysis" for d in self.datasets) else "Tabulation"

    def dataset(self, name: str) -> Dataset:
        for ds in self.datasets:
            if ds.name == name:
                return ds
        raise KeyError(f"study {self.studyid} has no dataset {name}")
