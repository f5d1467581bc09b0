"""Load ``study.yaml``: the study-level facts every domain spec shares (``docs/study-yaml.md``).

The engine reads identifiers, the raw folder, the USUBJID pattern, arms,
trial elements and trial arms, the element date rules (for the subject
element timeline behind EPOCH and SE), the named date sources
(``reference_start``, ``study_end`` ...), the visit plan and the value maps.
Everything else (TS parameters, I/E criteria ...) stays in ``document`` for
the trial-design builders.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from converters.errors import Location, SpecError
from converters.spec.model import value_map_entry
from converters.spec.schema import StudyFile
from converters.spec.shape import check_shape
from converters.spec.yaml_lines import LineDict, LineList, load_yaml_file

@dataclass(frozen=True)
class PlannedVisit:
    """One visit of the study.yaml visit plan (TV), with the raw folder names that mean it."""

    visitnum: float
    visit: str
    visitdy: float | None = None
    aliases: tuple[str, ...] = ()


#: top-level keys whose value is a date source.
SOURCE_KEYS = ("study_end", "reference_start", "reference_end")
#: The table sections of study.yaml: an unknown key in a row is most often an unquoted comma in a flow mapping
#: (``{A: x, y}`` makes ``y`` a key), so the error says so.
TABLE_HINTS = {name: "a value that contains a comma inside {...} must be quoted" for name in
               ("arms", "elements", "trial_arms", "element_dates", "visits", "trial_summary", "inclusion_exclusion")}


@dataclass(frozen=True)
class Arm:
    """A planned arm; ``raw_codes`` are the raw value combinations (one value per assignment column) of it."""

    armcd: str
    arm: str
    raw_codes: tuple[tuple[str, ...], ...] = ()
    #: what a subject of the arm is given, as exposure (EX) values: ``{EXTRT: ..., EXDOSE: ...}``; the
    #: ``actual_arm`` derivation compares a subject's first treatment record with it (ACTARMCD).
    treatment: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ArmAssignment:
    """Where a subject's planned arm is collected: one or more raw columns of one form (arm, dose level ...)."""

    form: str
    columns: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class Element:
    etcd: str
    element: str
    testrl: str = ""
    teenrl: str = ""
    tedur: str | None = None


@dataclass(frozen=True)
class TrialArmElement:
    """One TA row: the element at position TAETORD of an arm, and its EPOCH."""

    armcd: str
    taetord: int
    etcd: str
    epoch: str
    tabranch: str | None = None
    tatrans: str | None = None


@dataclass(frozen=True)
class DateSource:
    """One date per subject from a raw form: ``{form, column, time_column, where, pick}``."""

    form: str
    column: str
    time_column: str | None = None
    where: tuple[tuple[str, str | tuple[str, ...]], ...] = ()  # column -> value or values
    pick: str = "first"
    line: int = 0


@dataclass(frozen=True)
class ElementDate:
    """How a subject's element at TAETORD starts: a date source, or an offset after earlier elements."""

    taetord: int
    start: DateSource | None = None
    after_taetord: tuple[int, ...] = ()
    offset: str | None = None  # ISO 8601 duration, e.g. P42D


@dataclass(frozen=True)
class SubjectJoin:
    """``usubjid.join``: forms that lack part of USUBJID (e.g. SITEID) take it from ``source`` by ``by``."""

    source: str
    by: tuple[str, ...]
    columns: tuple[str, ...]
    line: int = 0


@dataclass
class StudyDefinition:
    """Everything study.yaml says that the SDTM engine needs."""

    studyid: str
    path: Path
    title: str = ""
    protocol: str = ""
    raw_dir: Path | None = None
    encodings: dict[str, str] = field(default_factory=dict)
    ct_version: str = "2025-03-28"
    data_cutoff: str | None = None  # ISO 8601 date: no collected date is after it (null: final data)
    usubjid_pattern: str = "{STUDYID}-{SUBJID}"
    subject_join: SubjectJoin | None = None
    arms: list[Arm] = field(default_factory=list)
    arm_assignment: ArmAssignment | None = None
    elements: list[Element] = field(default_factory=list)
    trial_arms: dict[str, list[TrialArmElement]] = field(default_factory=dict)
    element_dates: list[ElementDate] = field(default_factory=list)
    sources: dict[str, DateSource] = field(default_factory=dict)
    visits: list[PlannedVisit] = field(default_factory=list)
    non_visit_folders: tuple[str, ...] = ()
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    value_tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    document: Any = None

    @property
    def folder(self) -> Path:
        return self.path.parent


def _fail(message: str, file: str, line: int | None, hint: str | None = None) -> SpecError:
    return SpecError(message, Location(file, line), hint)


def load_study(path: str | Path) -> StudyDefinition:
    """Read study.yaml (or the study.yaml inside a mappings folder); SpecError with file and line."""
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    doc = load_yaml_file(path)
    file = str(path)
    if not isinstance(doc, LineDict):
        raise _fail("study.yaml must be a mapping", file, 1)
    study = doc.get("study")
    if not isinstance(study, LineDict) or not study.get("studyid"):
        raise _fail("study.yaml needs 'study: {studyid: ...}'", file, doc.line_of("study") if study else 1)
    check_shape(StudyFile, doc, file, TABLE_HINTS)  # the shape (schema.StudyFile); the meaning is checked below
    raw = _mapping(doc, "raw", file)
    standards = _mapping(doc, "standards", file)
    encodings = _mapping(raw, "encodings", file)
    definition = StudyDefinition(
        studyid=str(study["studyid"]), path=path, title=str(study.get("title") or ""),
        protocol=str(study.get("protocol_number") or study["studyid"]),
        raw_dir=(path.parent / str(raw["folder"])).resolve() if raw.get("folder") else None,
        encodings={str(k): str(v) for k, v in encodings.items()},
        ct_version=str(standards.get("ct") or "2025-03-28"),
        document=doc)
    if doc.get("data_cutoff") is not None:
        cutoff = str(doc["data_cutoff"])
        if not _is_date(cutoff):
            raise _fail(f"data_cutoff {cutoff!r} must be an ISO 8601 date (\"2026-06-30\")", file,
                        doc.line_of("data_cutoff"))
        definition.data_cutoff = cutoff
    usubjid = doc.get("usubjid")
    if isinstance(usubjid, LineDict) and usubjid.get("pattern"):
        definition.usubjid_pattern = str(usubjid["pattern"])
    if isinstance(usubjid, LineDict) and usubjid.get("join") is not None:
        join = usubjid["join"]
        line = usubjid.line_of("join")
        definition.subject_join = SubjectJoin(str(join["source"]).lower(), _names(join["by"]), _names(join["columns"]),
                                              line)
    definition.arm_assignment = _arm_assignment(doc, file)
    width = len(definition.arm_assignment.columns) if definition.arm_assignment else 1
    for i, node in enumerate(_list(doc, "arms", file)):
        row = _row(node, ("ARMCD", "ARM"), "arm", file, doc["arms"].line_of(i))
        treatment = row.get("treatment") or LineDict()
        definition.arms.append(Arm(str(row["ARMCD"]), str(row["ARM"]),
                                   _raw_codes(row.get("raw_codes"), width, file, row.line_of("raw_codes")),
                                   tuple((str(k).upper(), str(v)) for k, v in treatment.items())))
    seen: dict[tuple[str, ...], str] = {}
    for arm in definition.arms:
        for code in arm.raw_codes:
            if seen.setdefault(code, arm.armcd) != arm.armcd:
                raise _fail(f"raw code {list(code)} is listed for arms {seen[code]} and {arm.armcd}", file,
                            doc.line_of("arms"))
    for i, node in enumerate(_list(doc, "elements", file)):
        row = _row(node, ("ETCD", "ELEMENT"), "element", file, doc["elements"].line_of(i))
        definition.elements.append(Element(str(row["ETCD"]), str(row["ELEMENT"]), str(row.get("TESTRL") or ""),
                                           str(row.get("TEENRL") or ""), row.get("TEDUR")))
    etcds = {e.etcd for e in definition.elements}
    trial_arms = _mapping(doc, "trial_arms", file)
    for armcd, rows in trial_arms.items():
        if armcd not in {a.armcd for a in definition.arms}:
            raise _fail(f"trial_arms names arm {armcd!r}, which 'arms' does not list", file,
                        trial_arms.line_of(armcd))
        if rows is not None and not isinstance(rows, LineList):
            raise _fail(f"trial_arms {armcd}: the elements of an arm are a list", file, trial_arms.line_of(armcd))
        if rows is None:
            rows = LineList()
        items = []
        for i, node in enumerate(rows):
            row = _row(node, ("TAETORD", "ETCD", "EPOCH"), "trial arm element", file, rows.line_of(i))
            if str(row["ETCD"]) not in etcds:
                raise _fail(f"trial arm {armcd}: element {row['ETCD']!r} is not in 'elements'", file, row.line)
            items.append(TrialArmElement(str(armcd), _integer(row, "TAETORD", file), str(row["ETCD"]),
                                         str(row["EPOCH"]),
                                         row.get("TABRANCH"), row.get("TATRANS")))
        definition.trial_arms[str(armcd)] = items
    for i, node in enumerate(_list(doc, "element_dates", file)):
        row = _row(node, ("TAETORD", "start"), "element date rule", file, doc["element_dates"].line_of(i))
        start = row["start"]
        taetord = _integer(row, "TAETORD", file)
        if isinstance(start, LineDict) and "after_taetord" in start:
            after = start["after_taetord"]
            orders = after if isinstance(after, LineList) else LineList([after])
            line = start.line_of("after_taetord")
            offset = str(start.get("offset")) if start.get("offset") else None
            if offset is not None and not DURATION.fullmatch(offset.strip().upper()):
                raise _fail(f"element date rule TAETORD {taetord}: offset {offset!r} must be an ISO 8601 duration "
                            "in days or weeks (P42D, P6W)", file, start.line_of("offset"))
            definition.element_dates.append(ElementDate(
                taetord, after_taetord=tuple(_as_integer(v, f"after_taetord value {v!r}", file, line)
                                             for v in orders), offset=offset))
        else:
            definition.element_dates.append(ElementDate(taetord, start=_source(start, file, row.line_of("start"))))
    for key in SOURCE_KEYS:
        if key in doc and doc[key] is not None:
            definition.sources[key] = _source(doc[key], file, doc.line_of(key))
    for i, node in enumerate(_list(doc, "visits", file)):
        row = _row(node, ("VISITNUM", "VISIT"), "visit", file, doc["visits"].line_of(i))
        num = float(row["VISITNUM"])  # numbers: the shape check says so with the line
        day = float(row["VISITDY"]) if row.get("VISITDY") is not None else None
        definition.visits.append(PlannedVisit(num, str(row["VISIT"]), day,
                                              _names(row.get("raw_folders"))))
    definition.non_visit_folders = _names(doc.get("non_visit_folders"))
    maps = _mapping(doc, "value_maps", file)
    for name, table in maps.items():
        if not isinstance(table, LineDict):
            raise _fail(f"value map {name!r} must be a mapping of raw value to SDTM value", file, maps.line_of(name))
        no_values = [k for k, v in table.items() if isinstance(v, LineDict) and set(v) == {"no_value"}]
        if all(isinstance(v, LineDict) for v in table.values()) and table and not no_values:
            definition.value_tables[str(name)] = {str(k): dict(v) for k, v in table.items()}
        else:
            for key, value in table.items():
                if isinstance(value, LineDict) and key not in no_values:
                    raise _fail(f"value map {name!r}: {key!r} maps to a mapping; an entry is a value, or "
                                "{no_value: REASON} for a collected value that means 'no value'", file,
                                table.line_of(key))
            definition.value_maps[str(name)] = {str(k): value_map_entry(v) for k, v in table.items()
                                                if v is not None}
    # the arm assignment codes are a value map too: raw code (values joined by a space) -> ARMCD
    definition.value_maps.setdefault("arms", {arm_key(code): a.armcd for a in definition.arms
                                              for code in a.raw_codes})
    return definition


def arm_key(values) -> str:
    """The key of a raw arm code combination in the ``arms`` value map: the values joined by one space."""
    return " ".join(str(v) for v in values)


def _arm_assignment(doc: LineDict, file: str) -> ArmAssignment | None:
    node = doc.get("arm_assignment")
    if node is None:
        return None
    line = doc.line_of("arm_assignment")
    if not isinstance(node, LineDict) or "form" not in node or ("column" in node) == ("columns" in node):
        raise _fail("arm_assignment is {form, column} or {form, columns: [..]} (e.g. arm code and dose level)",
                    file, line)
    columns = _names(node.get("columns") if "columns" in node else node.get("column"))
    if not columns:
        raise _fail("arm_assignment needs at least one column", file, line)
    return ArmAssignment(str(node["form"]).lower(), columns, node.line)


def _raw_codes(value, width: int, file: str, line: int) -> tuple[tuple[str, ...], ...]:
    """``raw_codes`` of an arm: a list of codes (one assignment column) or of code lists (one value per column)."""
    codes = []
    for item in (value if isinstance(value, (list, tuple)) else _names(value)):
        code = _names(item)
        if len(code) != width:
            raise _fail(f"raw code {list(code)} has {len(code)} value(s); arm_assignment has {width} column(s)",
                        file, line, "give one value per arm_assignment column, e.g. [A1, DL1]")
        codes.append(code)
    return tuple(codes)


#: an ISO 8601 duration in days or weeks, the offsets element date rules use
DURATION = re.compile(r"P\d+[DW]")


def _is_date(text: str) -> bool:
    """True for a complete, real ISO 8601 calendar date (``2026-06-30``; not ``2026-02-30``)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _as_integer(value, what: str, file: str, line: int) -> int:
    """``value`` as a whole number, else a SpecError naming what it is and the line."""
    if isinstance(value, bool):
        value = None
    try:
        number = float(str(value).strip())
        if number.is_integer():
            return int(number)
    except (TypeError, ValueError):
        pass
    raise _fail(f"{what} must be a whole number", file, line)


def _integer(row: LineDict, key: str, file: str) -> int:
    return _as_integer(row.get(key), f"{key} {row.get(key)!r}", file, row.line_of(key))


def _section(doc: LineDict, key: str, file: str, kind: type, what: str):
    """The ``kind`` node under ``key`` (empty when absent); SpecError with the line when it is something else."""
    node = doc.get(key)
    if node is None:
        return kind()
    if not isinstance(node, kind):
        raise _fail(f"'{key}' must be {what}", file, doc.line_of(key))
    return node


def _mapping(doc: LineDict, key: str, file: str) -> LineDict:
    """The mapping under ``key`` (empty when absent)."""
    return _section(doc, key, file, LineDict, "a mapping (key: value ...)")


def _list(doc: LineDict, key: str, file: str) -> LineList:
    """The list under ``key`` (empty when absent)."""
    return _section(doc, key, file, LineList, "a list")


def _row(node, keys: tuple[str, ...], what: str, file: str, line: int) -> LineDict:
    if not isinstance(node, LineDict):
        raise _fail(f"each {what} must be a mapping", file, line)
    for key in keys:
        if node.get(key) is None:
            raise _fail(f"{what} needs '{key}'", file, node.line)
    return node


def _names(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _source(node, file: str, line: int) -> DateSource:
    if not isinstance(node, LineDict) or "form" not in node or "column" not in node:
        raise _fail("a date source is {form, column} with optional time_column, where, pick", file, line)
    pick = str(node.get("pick", "first"))
    where = node.get("where") or LineDict()
    return DateSource(str(node["form"]).lower(), str(node["column"]),
                      str(node["time_column"]) if node.get("time_column") else None,
                      tuple((str(k), tuple(str(x) for x in v) if isinstance(v, list) else str(v))
                            for k, v in where.items()), pick, node.line)


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def pattern_fields(pattern: str) -> list[tuple[bool, str]]:
    """A USUBJID pattern as (is_field, text) pieces: ``{STUDYID}-{SUBJID}`` -> field, '-', field."""
    pieces, pos = [], 0
    for m in _FIELD.finditer(pattern):
        if m.start() > pos:
            pieces.append((False, pattern[pos:m.start()]))
        pieces.append((True, m.group(1)))
        pos = m.end()
    if pos < len(pattern):
        pieces.append((False, pattern[pos:]))
    return pieces
