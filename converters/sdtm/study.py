"""Build every SDTM domain of a study: spec-driven domains, then the built-in builders.

Order of work (each step partition-safe by subject):

1. record phase of every spec (``builder.build_records``);
2. subjects: DM keeps one record per USUBJID (later duplicates dropped and
   logged); records of other domains whose subject is not in DM are dropped
   and logged;
3. end before start: an --ENDTC earlier than its --STDTC is set to null and
   logged (the record is kept);
4. DM's domain derivations (reference dates from EX and DS), then the
   subject element timeline, then each domain's visit, derivations, study
   days and EPOCH;
5. records with a blank Req variable are dropped and logged; --SEQ;
6. values of non-extensible codelists that are not submission values are set
   to null and logged; SUPP-- split; shape and metadata;
7. built-in builders (trial-design domains and the like) from
   ``BUILTIN_BUILDERS``, each ``builder(context) -> list[BuiltDomain]``.

With ``spill`` (the ``sdtm`` command, the ``run`` stage), each finished domain but DM and the trial design
goes to disk at once and keeps in memory only the columns the builders read (``builder_columns``);
``converters.sdtm.output.write_build`` reads each back to write it (docs/scale.md).  A study built in batches
finishes each domain one batch piece at a time where that gives the same result (``finishes_in_pieces``), with
the study-wide decisions merged across the pieces, and such a domain is spilled and written piece by piece;
when spilled, each piece is finished as its batch comes back (``EarlyFinish``), so no domain's records wait for
the other batches.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from converters.engine.compact import CompactFrame, TextColumn, compact_frame, concat_compact, factorized_column, \
    text_column
from converters.errors import DataError, Location, SpecError
from converters.memory import release_free_memory
from converters.metadata.model import Codelist, Comment, Dataset, Method, Standard, Study
from converters.metadata.value_level import FINDINGS_RESULTS, SHAPE_BY, findings_value_level, ts_value_level
from converters.sdtm import conditions, finalize
from converters.sdtm.builder import ROW, SOURCE, SUBJECT_COLUMN, SUBJECT_VALUE, SUPP_PREFIX, BuiltRecords, \
    RAW_PREFIX, build_records
from converters.sdtm.builder import fill_timing as _timing  # visit, study day, EPOCH: by their registered fills
from converters.engine.compact import raw_rows, raw_source
from converters.sdtm.raw_forms import read_forms
from converters.sdtm.dates import date_part
from converters.sdtm.derivations import REGISTRY, DomainContext
from converters.sdtm.epoch import subject_timeline
from converters.sdtm.model_variables import allowed_variables
from converters.sdtm.reference_dates import check_date_sources, date_sources, where_misses
from converters.sdtm.rejections import DROPPED, IGNORED, NOT_MAPPED, NULLED, RejectionLog
from converters.sdtm.sequence import derive_seq, sort_by_keys
from converters.sdtm.supp import Qualifier, split_supp
from converters.spec.loader import build_order, check_spec_sources, load_domain_specs
from converters.spec.paths import check_folder_entries, check_form_name, check_study_path, study_root
from converters.spec.model import DomainSpec, VariableSpec
from converters.spec.study import StudyDefinition, load_study
from converters.standards import ct, sdtmig
from converters.writers.spill import SpilledFrame, join_spilled, spill_frame
from converters.writers.text_facts import TextFacts, merge_facts, text_columns_facts
from converters.writers.transport import byte_lengths

#: name -> "module:function" of builders run after the spec-driven domains; a missing module is skipped.
BUILTIN_BUILDERS: dict[str, str] = {
    "trial_design": "converters.sdtm.trial_design:build_trial_design",
    "relrec": "converters.sdtm.relrec:build_relrec",
    "data_questions": "converters.sdtm.data_questions:log_data_questions",
    "value_levels": "converters.sdtm.value_levels:add_value_levels",
}
#: Values SDTMIG 3.4 prescribes although the codelist lacks them (DM assumption: RACE = MULTIPLE when several
#: races are collected); they are kept and recorded as sponsor terms in the codelist metadata.
IG_VALUES = {"RACE": {"MULTIPLE"}}
#: SDTM QORIG for each Define origin type.
QORIG = {"Collected": "CRF", "Assigned": "Assigned", "Derived": "Derived", "Protocol": "Protocol"}


@dataclass
class BuiltDomain:
    """One finished dataset: its frame, its metadata and its counts."""

    name: str
    frame: pd.DataFrame
    dataset: Dataset
    rows_read: int = 0
    filtered: int = 0
    rejected: int = 0
    sources: tuple[str, ...] = ()
    parent: str | None = None  # SUPP-- datasets: the domain split from (their rows are generated, not read)
    #: text facts of the frame's text columns, measured once when the domain is finished (writers reuse them)
    facts: dict[str, TextFacts] = field(default_factory=dict, repr=False)

    #: records of a domain whose frame was released once written (``release``)
    _written: int | None = field(default=None, repr=False)
    #: the finished records on disk (``spill``); ``frame`` then holds only the columns the builders read
    spilled: SpilledFrame | None = field(default=None, repr=False)
    #: those columns held as codes (a domain finished in pieces and spilled, ``PieceFinish``): ``frame`` makes
    #: them object columns each time it is read, and ``columns`` only the ones asked for, so a builder reading the
    #: domains one at a time holds one domain's columns as objects at a time (``BuildContext.frames``)
    held: CompactFrame | None = field(default=None, repr=False)

    def columns(self, names: Iterable[str]) -> pd.DataFrame:
        """The columns ``names`` (those the domain has, in the order given) as ``frame`` gives them, made alone
        from their codes when held so."""
        if self.held is None:
            frame = self.frame
            return frame[[n for n in dict.fromkeys(names) if n in frame.columns]]
        wanted = [n for n in dict.fromkeys(names) if n in self.held.columns]
        labels = pd.Index(wanted, dtype=self.held.labels.dtype) if self.held.labels is not None else None
        part = CompactFrame({n: self.held.columns[n] for n in wanted}, self.held.index, wanted, labels)
        return part.frame()

    def column_names(self) -> list[str]:
        """The names of the columns ``frame`` has, without making them."""
        return list(self.held.order) if self.held is not None else list(self.frame.columns)

    @property
    def records(self) -> int:
        if self._written is not None:
            return self._written
        return self.spilled.records if self.spilled is not None else len(self.frame)

    def release(self) -> None:
        """Drop the records (kept: their count, the columns and the metadata), once the domain is written, so a
        build holds one written domain at a time less."""
        self._written = self.records
        # not a slice: a view would keep every record alive (codes held: none made)
        self.frame = _empty_like(self.frame if self.held is None else self.held.take(np.arange(0)).frame())
        self.facts = {}
        if self.spilled is not None:
            self.spilled.remove()  # its disk space back before the next domain is written
        self.spilled = None

    def spill(self, folder: Path, keep: set[str]) -> None:
        """Write the finished records to ``folder`` (``converters.writers.spill``) and hold only the columns in
        ``keep`` (those the built-in builders read) and the text facts of those and of the coded variables
        (codelists in use read them)."""
        if self.spilled is not None:
            return
        self.text_facts()
        self.spilled = spill_frame(self.frame, self.facts, folder / f"{self.name.lower()}.spill")
        coded = {v.name for v in self.dataset.variables if v.codelist} | \
            {name for vl in self.dataset.value_level for name in (vl.variable, *(c.variable for c in vl.where))}
        self.facts = {name: f for name, f in self.facts.items() if name in keep or name in coded}
        held = keep | (coded - set(self.facts))  # coded columns without text facts (numbers) are read as they are
        frame = self.frame
        names = [c for c in frame.columns if c in held]
        # held as codes (``held``), a text column with facts as their codes (not factorized again), as a domain
        # finished in pieces holds them; any other column copied as it is
        columns: dict[str, TextColumn | pd.Series] = {
            n: factorized_column(frame[n], self.facts[n].codes, self.facts[n].values) if n in self.facts else
            frame[n].copy() for n in names}
        codes = CompactFrame(columns, frame.index, names, pd.Index(names, dtype=frame.columns.dtype))
        self.frame = _empty_like(frame[names])
        del frame
        self.held = codes

    def written_form(self) -> tuple[pd.DataFrame, dict[str, TextFacts]]:
        """The frame and text facts to write: read back from the spill, or the frame held."""
        if self.spilled is not None:
            return self.spilled.load()
        return self.frame, self.text_facts()

    def text_facts(self) -> dict[str, TextFacts]:
        """The text facts of every character variable, measured now for those the build did not measure
        (a spilled domain: those it kept)."""
        if self.spilled is not None:
            return self.facts
        missing = [v.name for v in self.dataset.variables if not v.is_numeric and v.name not in self.facts]
        if missing:
            self.facts.update(text_columns_facts(self.frame, self.name, missing))
        return self.facts


def _frame_of(domain: BuiltDomain) -> pd.DataFrame:
    """A domain's frame: the one set, or its held columns made object columns now (not kept)."""
    held = domain.__dict__.get("held")
    return held.frame() if held is not None else domain.__dict__["_frame"]


def _set_frame(domain: BuiltDomain, frame: pd.DataFrame) -> None:
    domain.__dict__["_frame"] = frame
    domain.__dict__["held"] = None


# ``frame`` read through the held codes when there are some (set after the dataclass made __init__, which sets it)
BuiltDomain.frame = property(_frame_of, _set_frame)  # type: ignore[assignment]


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with no records and the columns and dtypes of ``frame``, sharing no memory with it."""
    return pd.DataFrame({name: pd.Series(dtype=frame[name].dtype) for name in frame.columns},
                        columns=frame.columns)


class DomainFrames(Mapping[str, pd.DataFrame]):
    """Built domains' frames by name, each made when asked and not kept: a domain holding its columns as codes
    (``BuiltDomain.held``) makes them object columns then, and ``columns`` makes only those a reader needs. A
    builder that reads the domains one at a time (``for name in frames: ... frames[name]``, not ``items()`` into
    a list) so holds one domain's object columns at a time."""

    def __init__(self, domains: Mapping[str, BuiltDomain]) -> None:
        self.domains = domains

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.domains[name].frame

    def __iter__(self) -> Iterator[str]:
        return iter(self.domains)

    def __len__(self) -> int:
        return len(self.domains)

    def columns(self, name: str, names: Iterable[str]) -> pd.DataFrame:
        """Only the columns ``names`` of domain ``name`` (those it has, in the order given), made alone."""
        return self.domains[name].columns(names)

    def column_names(self, name: str) -> list[str]:
        """The columns domain ``name`` has, without making them."""
        return self.domains[name].column_names()


def domain_columns(frames: Mapping[str, pd.DataFrame], name: str, names: Iterable[str]) -> pd.DataFrame:
    """Only the columns ``names`` of one domain of ``frames`` (those it has, in the order given): made alone from
    codes when ``frames`` are ``DomainFrames``, else taken from the frame."""
    if isinstance(frames, DomainFrames):
        return frames.columns(name, names)
    frame = frames[name]
    return frame[[n for n in dict.fromkeys(names) if n in frame.columns]]


def domain_column_names(frames: Mapping[str, pd.DataFrame], name: str) -> list[str]:
    """The columns of one domain of ``frames``, without making a domain held as codes."""
    return frames.column_names(name) if isinstance(frames, DomainFrames) else list(frames[name].columns)


@dataclass
class BuildContext:
    """What a built-in builder sees: the study, raw sources, built domains, the rejection log and the method and
    comment registries."""

    study: StudyDefinition
    raw: dict
    domains: dict[str, BuiltDomain]
    log: RejectionLog
    methods: dict[str, Method] = field(default_factory=dict)
    #: the comment registry, OID -> Comment (def:CommentDef); builders add comments here and the
    #: variables, value-level entries or datasets they describe name the OID.  Ends in Study.comments.
    comments: dict[str, Comment] = field(default_factory=dict)
    extensions: dict[str, set[str]] = field(default_factory=dict)
    #: the visits the raw forms show, when the batches gave them (``trial_design.sv.raw_visit_records``, per
    #: subject); then ``raw`` holds only the forms of ``study_wide_forms`` and the study-level forms
    raw_visits: pd.DataFrame | None = None
    _timeline: pd.DataFrame | None = None

    def frames(self) -> DomainFrames:
        """Each built domain's frame by name, made when asked (``DomainFrames``)."""
        return DomainFrames(self.domains)

    def timeline(self) -> pd.DataFrame:
        """The subject element timeline (USUBJID, ETCD, ELEMENT, EPOCH, TAETORD, SESTDTC, SEENDTC)."""
        if self._timeline is None:
            self._timeline = dm_timeline(self.study, self.raw, self.domains["DM"].frame)
        return self._timeline


@dataclass
class StudyBuild:
    study: Study
    domains: list[BuiltDomain]
    log: RejectionLog
    definition: StudyDefinition
    notes: list[str] = field(default_factory=list)  # what absent study.yaml sections changed; warnings
    coverage: list[tuple[str, str, str, str]] = field(default_factory=list)  # coverage.csv rows


#: Optional study.yaml sections and what the build does without them (said in the build summary).
ABSENT_SECTION_NOTES: dict[str, str] = {
    "data_cutoff": "no data_cutoff: the data are taken as final (the last contact of a subject without an end date "
                   "counts every collected date)",
    "usubjid": "no usubjid.pattern: USUBJID is {STUDYID}-{SUBJID}",
    "arms": "no arms: ARM/ARMCD cannot be derived from arm codes and TA is empty",
    "elements": "no elements: TE is empty",
    "trial_arms": "no trial_arms: TA is empty, so EPOCH and SE have no elements to report",
    "element_dates": "no element_dates: SE is empty and every EPOCH is blank",
    "study_end": "no study_end: the end of participation comes from the last contact only",
    "visits": "no visits: TV is empty and every collected visit is numbered as an unscheduled visit",
    "non_visit_folders": "no non_visit_folders: every collected folder is taken as a visit",
    "trial_summary": "no trial_summary: TS has no parameters",
    "inclusion_exclusion": "no inclusion_exclusion: TI is empty",
    "ie_source": "no ie_source: IE is not built",
    "value_maps": "no value_maps: only inline value maps and CT synonyms apply",
}


def absent_section_notes(study: StudyDefinition) -> list[str]:
    """What the build does differently because an optional study.yaml section is absent."""
    doc = study.document if isinstance(study.document, dict) else {}
    return [note for key, note in ABSENT_SECTION_NOTES.items() if doc.get(key) in (None, [], {})]


def dm_timeline(study: StudyDefinition, raw: dict, dm: pd.DataFrame) -> pd.DataFrame:
    """The subject element timeline for DM's subjects (their ARMCD picks the trial arm's elements)."""
    arm = dm.set_index("USUBJID")["ARMCD"] if "ARMCD" in dm else pd.Series(None, index=dm["USUBJID"],
                                                                          dtype="object")
    return subject_timeline(study, raw, arm)


def _log_frame(log: RejectionLog, domain: str, frame: pd.DataFrame, mask: pd.Series, column, values, reason,
               action) -> None:
    if not mask.any():
        return
    log.add(domain, "", frame.loc[mask, ROW], column if isinstance(column, str) else "", values, reason, action)
    part = log.last()
    part["source"] = frame.loc[mask, SOURCE].to_numpy()
    if not isinstance(column, str):
        part["column"] = column[mask].astype("string").to_numpy()


def os_error(exc: OSError, doing: str = "read") -> DataError:
    """A file-system error (permission, a folder where a file is expected ...) as a DataError naming the path."""
    path = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or type(exc).__name__
    return DataError(f"cannot {doing} {path}: {reason}", Location(str(path)),
                     hint="check that the path exists, is the right kind (file or folder) and is "
                          f"{'readable' if doing == 'read' else 'writable'}")


#: Domains held whole when a build spills: DM (every builder reads it) and those a builder reads or replaces.
HELD_WHOLE = frozenset({"DM", "TA", "TE", "TV", "TI", "TS", "SE", "SV"})


def builder_columns(study: StudyDefinition, domain: str) -> set[str]:
    """The columns of a finished domain that the built-in builders and the study-wide steps after them read,
    what a spilled domain keeps in memory (``BuiltDomain.spill``):

    * SV and the trial-design cross-checks: USUBJID, VISITNUM, VISIT, EPOCH and the record's date (--STDTC,
      --DTC); IE's IETESTCD and IECAT (checked against TI) when a spec builds IE;
    * RELREC (study.yaml ``related_records``) and value-level metadata (``value_level``): --SEQ and the
      variables they name; SUPP-- datasets: USUBJID, IDVARVAL, QNAM and QVAL;
    * data questions: DD's DDTESTCD and DDSTRESC, AE's AEOUT and AESDTH.
    """
    columns = {"USUBJID", "VISITNUM", "VISIT", "EPOCH", f"{domain}STDTC", f"{domain}DTC", f"{domain}SEQ"}
    columns |= {"IE": {"IETESTCD", "IECAT"}, "DD": {"DDTESTCD", "DDSTRESC"},
                "AE": {"AEOUT", "AESDTH"}}.get(domain, set())
    if domain.startswith("SUPP"):
        columns |= {"IDVARVAL", "QNAM", "QVAL"}
    doc = study.document if isinstance(study.document, dict) else {}
    for node in doc.get("related_records") or []:
        for side in ("parent", "child"):
            part = node.get(side) if isinstance(node, dict) else None
            if isinstance(part, dict) and str(part.get("domain", "")).upper() == domain:
                columns.add(str(part.get("variable")))
    for node in doc.get("value_level") or []:
        if isinstance(node, dict) and str(node.get("dataset")) == domain:
            columns |= {str(node.get("variable")), str(node.get("by"))}
    return columns


def build_study(mappings: str | Path, raw_dir: str | Path | None = None,
                progress: Callable[[str], None] | None = None, raw: dict | None = None,
                builtins: bool = True, batch_subjects: int | None = None, engine: object = None,
                spill: Path | None = None) -> StudyBuild:
    """Build all SDTM domains of the study whose mappings folder is ``mappings``.

    ``batch_subjects``: run the subject-local steps per batch of that many subjects (``converters.engine``; the
    same output whatever the size) on ``engine`` (a ``converters.engine.Engine``; default in-process).
    ``spill``: a private folder (``converters.writers.output_folder.spill_folder``) where each domain is put once
    finished, holding in memory only the columns the built-in builders read (``builder_columns``); the writers
    read it back one domain at a time (``converters.sdtm.output.write_build``), before the folder is removed.

    ``raw`` gives the raw sources directly (else they are read from ``raw_dir`` or study.yaml's
    raw folder); ``builtins=False`` skips the built-in builders (spec-driven domains only).
    A file that cannot be read stops the build with a DataError naming it (never an OSError).
    """
    try:
        return _build_study(Path(mappings), raw_dir, progress, raw, builtins, batch_subjects, engine, spill)
    except OSError as exc:
        raise os_error(exc, "read") from None


def _build_study(mappings: Path, raw_dir, progress, raw, builtins, batch_subjects=None, engine=None,
                 spill: Path | None = None) -> StudyBuild:
    from converters.readers.raw import iter_raw_folder

    say = progress or (lambda _msg: None)
    if (mappings / "study.yaml").is_dir():
        raise SpecError("study.yaml is a folder, not the study definition file", Location(str(mappings / "study.yaml")))
    study = load_study(mappings / "study.yaml")
    spec_dir = mappings / "sdtm"
    if not spec_dir.is_dir():
        raise SpecError("the mappings folder has no sdtm/ folder of domain specs", Location(str(mappings)))
    specs = load_domain_specs(spec_dir, study)
    check_study_paths(study, specs, mappings)
    given = raw
    folder: Path | None = None
    if raw is None:
        folder = Path(raw_dir) if raw_dir else study_raw_folder(study, mappings)
        if folder is None:
            raise SpecError("no raw data folder: give --raw, or raw.folder in study.yaml", Location(str(study.path)))
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            raise DataError(f"raw data folder {folder} {what}", Location(str(folder)),
                            hint="give --raw, or fix raw.folder in study.yaml")
        check_folder_entries(folder)
        forms = iter_raw_folder(folder, encodings=study.encodings)
    else:
        forms = iter(raw.items())
    # form by form: coverage (of the columns as collected), usubjid.join, date-source warnings; each form then
    # held as codes until its batches run (batched builds), so one raw form at a time is held as read
    read = read_forms(study, specs, forms, compact=batch_subjects is not None)
    raw, coverage, warnings, columns = read.raw, read.coverage, read.warnings, read.columns()
    del read, forms  # the batches take the forms over and free them
    for spec in specs:
        check_spec_sources(spec, columns)
    check_date_sources(study, columns)

    log = RejectionLog()
    log_unmapped_forms(raw, forms_read(study, specs, builtins), log)
    if "DM" not in {spec.domain for spec in specs}:
        raise SpecError("the study has no DM spec; every other domain needs DM's subjects", Location(str(spec_dir)))
    raw_visits = None
    merged = None
    if batch_subjects is not None:  # the same steps per batch of subjects (converters.engine)
        from converters.engine.sdtm import build_records_in_batches

        raw = dict(raw)  # the batches take its subject forms over, so they are freed as the batches are made
        visits = builtins and _builds_sv()
        early = partial(start_early, study, spill) if spill is not None else None

        def reread() -> dict:
            """The raw forms read again as they were read here (a domain finished early that must be built again)."""
            again = iter_raw_folder(folder, encodings=study.encodings) if folder is not None else \
                iter((given or {}).items())
            return dict(read_forms(study, specs, again, compact=True).raw)

        merged = build_records_in_batches(study, specs, raw, log, warnings, batch_subjects, engine, say,
                                          keep=study_wide_forms(study, specs), visits=visits, early=early,
                                          reread=reread)
        given = None  # (raw forms given by the caller: not held by the build beyond the batches)
        records, raw, timeline, raw_visits = merged.records, merged.raw, merged.timeline, merged.visits
    else:
        raw = {name: raw_source(src) for name, src in raw.items()}
        records, timeline = build_subject_records(study, specs, raw, log, warnings, say)
    log_unmerged_rows(records, raw, forms_read(study, [], builtins), log)
    ctx = BuildContext(study=study, raw=raw, domains={}, log=log, extensions={}, raw_visits=raw_visits)
    ctx._timeline = timeline
    ordered = ["DM"] + [n for n in records if n != "DM"]
    built: list[BuiltDomain] = []
    for name in ordered:
        early_done = merged.finishing.pop(name, None) if merged is not None else None
        pieces = None
        if early_done is None and merged is not None:
            pieces = merged.take_pieces(name, partial(finishes_in_pieces, records[name]))
        if early_done is not None:  # finished as its batches came back
            assert isinstance(early_done, EarlyFinish)
            rec = records[name]
            done = early_done.done(rec, log, ctx)
        elif pieces is not None:  # one batch piece's object frame at a time
            rec = records[name]
            to_disk = spill is not None and name not in HELD_WHOLE
            done = _finish_in_pieces(rec, pieces, log, ctx, spill if to_disk else None,
                                     builder_columns(study, name) if to_disk else None)
        else:
            rec = records[name] if merged is None else merged.take(name)  # one domain's object frame at a time
            done = _finish(rec, log, ctx)
        for note in rec.notes:
            say(f"{name}: {note}")
        built += done
        for domain in done:
            say(f"{domain.name}: {domain.records} records")
            if spill is not None and domain.name not in HELD_WHOLE and domain.parent not in HELD_WHOLE:
                domain.spill(spill, builder_columns(study, domain.name))
    for domain in built:
        ctx.domains[domain.name] = domain
    release_free_memory()  # what finishing the domains freed, back to the system before the builders' own peak
    for target in (BUILTIN_BUILDERS.values() if builtins else ()):
        module_name, attr = target.split(":")
        if importlib.util.find_spec(module_name) is None:
            continue
        builder = getattr(importlib.import_module(module_name), attr, None)
        if builder is None:  # the module is there but does not (yet) provide the builder
            continue
        for domain in builder(ctx):
            ctx.domains[domain.name] = domain
            built.append(domain)
            say(f"{domain.name}: {domain.records} records")
    if spill is not None:
        spill_after_builders(built, spill)
        release_free_memory()
    meta = study_metadata(study, built, ctx)
    for warning in warnings:
        say(f"warning: {warning}")
    return StudyBuild(meta, built, log, study, absent_section_notes(study) + [f"warning: {w}" for w in warnings],
                      coverage)


#: Trial design datasets: a few records each, read whole by the study's metadata (TS's value-level metadata).
TRIAL_DESIGN = frozenset({"TS", "TA", "TE", "TV", "TI"})


def spill_after_builders(built: list[BuiltDomain], spill: Path) -> None:
    """Once the built-in builders have run, only the writers read a domain's records: every domain still held as a
    frame but the trial design (DM, SV, SE, RELREC, SUPPDM ...) goes to its spill file as the others did, holding
    only its coded columns, so the writing does not hold them all while the large domains are written (SV alone
    holds a record per subject and visit)."""
    for domain in built:
        if domain.spilled is None and domain.held is None and domain.name not in TRIAL_DESIGN:
            domain.spill(spill, set())


def _builds_sv() -> bool:
    """True when the built-in trial-design builder (which builds SV from the raw forms) is there to run."""
    target = BUILTIN_BUILDERS.get("trial_design")
    return target is not None and importlib.util.find_spec(target.split(":")[0]) is not None


def study_wide_forms(study: StudyDefinition, specs: list[DomainSpec]) -> set[str]:
    """Raw forms the study-wide steps read after the batches: the eligibility form (IE), the first source of
    DD (data questions name its rows) and forms only merged in (unmatched rows are logged). The subject
    element timeline and SV's raw visits come from the batches, so the other subject forms are freed."""
    forms = {block.source for spec in specs for block in spec.blocks}
    merged = {merge.source for spec in specs for block in spec.blocks for merge in block.merges} - forms
    ie = study.document.get("ie_source") if isinstance(study.document, dict) else None
    if isinstance(ie, dict) and ie.get("form"):
        merged |= {str(ie["form"]), str(ie["form"]).lower()}
    merged |= {spec.sources()[0] for spec in specs if spec.domain == "DD" and spec.sources()}
    return merged


def build_subject_records(study: StudyDefinition, specs: list[DomainSpec], raw: dict, log: RejectionLog,
                          warnings: list[str], say: Callable[[str], None],
                          missing_input: list[DataError] | None = None
                          ) -> tuple[dict[str, BuiltRecords], pd.DataFrame]:
    """The subject-local steps of a build (1 to 4 of the module docstring and each domain's timing), on any set of
    subjects: record phase, codelists, Req variables, subjects in DM, end before start, domain derivations,
    visits, study days and EPOCH. Gives the same records for a subject whatever other subjects ``raw`` holds
    (``converters.engine`` runs it per batch of subjects). Returns the records and the subject element timeline.
    ``missing_input`` (batches): a derivation that found no value for any subject of the batch is collected there
    instead of stopping the build (the engine stops it when no batch found one)."""
    records: dict[str, BuiltRecords] = {}
    for spec in specs:
        say(f"{spec.domain}: reading {', '.join(spec.sources())}")
        records[spec.domain] = build_records(spec, raw, study, log)
    for rec in records.values():
        _enforce_codelists(rec.domain, rec.frame, _codelists_of(rec), log, rec.raw_column, rec.extensions)
        _require(rec, log)
    _check_subjects(records, log)
    for rec in records.values():
        _check_end_before_start(rec, log)
    domain_frames = {name: rec.frame for name, rec in records.items()}
    for name in build_order(specs):  # a domain after the domains it reads
        rec = records[name]
        _domain_derivations(rec, domain_frames, study, raw, warnings, missing_input)
        domain_frames[name] = rec.frame
    timeline = dm_timeline(study, raw, records["DM"].frame)
    dm = records["DM"].frame
    rfstdtc = dm.set_index("USUBJID")["RFSTDTC"] if "RFSTDTC" in dm else pd.Series(dtype="object")
    shared: dict = {}  # the timeline's days and each subject's reference day, worked out once for all domains
    for rec in records.values():
        _timing(rec, study, rfstdtc, timeline, shared)
    return records, timeline


def log_unmerged_rows(records: dict[str, BuiltRecords], raw: dict, study_forms: set[str],
                      log: RejectionLog) -> None:
    """Rows of forms that are only merged in (never a record source nor a study.yaml source) that no record's key
    matched: logged as ``lookup row ignored`` with the key, so they are counted like any other row."""
    sources = {block.source for rec in records.values() for block in rec.spec.blocks}
    for name, rec in records.items():
        for block in rec.spec.blocks:
            for merge in block.merges:
                form = merge.source
                if form in sources or form in study_forms or form not in raw:
                    continue
                sources.add(form)  # once per form, under the first domain that merges it
                matched = set().union(*(r.merged_rows.get(form, set()) for r in records.values()))
                frame = raw[form].frame
                unmatched = ~frame[ROW].astype(int).isin(matched)
                keys = frame.loc[unmatched, list(merge.right_on)].astype("string").fillna("").agg("/".join, axis=1)
                log.add(name, raw[form].path.name, frame.loc[unmatched, ROW], ", ".join(merge.right_on), keys,
                        f"no {block.source} row has this key, so no {name} record uses the row (subject not in "
                        f"{block.source}?)", IGNORED)


def forms_read(study: StudyDefinition, specs: list[DomainSpec], builtins: bool = True) -> set[str]:
    """Raw forms something reads: domain specs (sources and merges) and study.yaml's date sources, arm
    assignment and (with the built-in builders) eligibility form."""
    forms = {name for spec in specs for name in spec.sources()}
    forms |= {source.form for source in study.sources.values()}
    forms |= {rule.start.form for rule in study.element_dates if rule.start is not None}
    if study.arm_assignment is not None:
        forms.add(study.arm_assignment.form)
    ie = study.document.get("ie_source") if isinstance(study.document, dict) else None
    if builtins and isinstance(ie, dict) and ie.get("form"):
        forms.add(str(ie["form"]).lower())
    return {form.lower() for form in forms}


def log_unmapped_forms(raw: dict, read: set[str], log: RejectionLog) -> None:
    """Every row of a raw form that nothing reads goes to the log, so no raw record vanishes unreported (forms as
    read or held as codes)."""
    for name in sorted(set(raw) - read):
        source = raw[name]
        log.add("", source.path.name, raw_rows(source), "*", None,
                f"no domain spec or study.yaml source reads form {name}", NOT_MAPPED)


def study_raw_folder(study: StudyDefinition, mappings: Path) -> Path | None:
    """study.yaml's ``raw.folder``, checked to stay inside the study root (``converters.spec.paths``)."""
    raw = study.document.get("raw") if isinstance(study.document, dict) else None
    if not isinstance(raw, dict) or not raw.get("folder"):
        return study.raw_dir
    line = raw.line_of("folder") if hasattr(raw, "line_of") else None
    return check_study_path(str(raw["folder"]), Path(study.path).parent, study_root(mappings), "raw.folder",
                            Location(str(study.path), line))


def check_study_paths(study: StudyDefinition, specs: list[DomainSpec], mappings: Path) -> None:
    """Every raw form a spec or study.yaml names is a plain form name (no folder, no ``..``)."""
    for spec in specs:
        for block in spec.blocks:
            check_form_name(block.source, "source", Location(spec.file, block.place.line))
            for merge in block.merges:
                line = merge.place.line if merge.place else block.place.line
                check_form_name(merge.source, "merge source", Location(spec.file, line))
    for name, source in date_sources(study):
        check_form_name(source.form, f"{name} form", Location(str(study.path), source.line or None))
    if study.arm_assignment is not None:
        check_form_name(study.arm_assignment.form, "arm_assignment form",
                        Location(str(study.path), study.arm_assignment.line or None))
    ie = study.document.get("ie_source") if isinstance(study.document, dict) else None
    if isinstance(ie, dict) and ie.get("form"):
        check_form_name(str(ie["form"]), "ie_source form",
                        Location(str(study.path), study.document.line_of("ie_source")))


def _codelists_of(rec: BuiltRecords) -> dict[str, str]:
    """Variable -> codelist: the one the spec used, else the one SDTMIG names."""
    codelists = dict(rec.codelists)
    for sv in allowed_variables(rec.domain):
        if sv.codelist and sv.name in rec.frame and sv.name not in codelists:
            codelists[sv.name] = sv.codelist
    return codelists


def _require(rec: BuiltRecords, log: RejectionLog) -> None:
    """Req variables must be filled by the spec, and in every record (blank: record dropped and logged)."""
    d = rec.domain
    if "DOMAIN" not in rec.frame:
        rec.frame["DOMAIN"] = d
    required = [sv.name for sv in sdtmig.variables(d) if sv.core == "Req" and not sv.name.endswith("SEQ")]
    missing = [n for n in required if n not in rec.frame.columns]
    if missing:
        raise SpecError(f"{d}: Req variable(s) {', '.join(missing)} not filled by the spec",
                        Location(rec.spec.file, rec.spec.place.line), hint="SDTMIG 3.4 requires them in every record")
    rec.frame = finalize.drop_blank_required(d, rec.frame, log, rec.raw_column, required)


def _check_subjects(records: dict[str, BuiltRecords], log: RejectionLog) -> None:
    dm = records["DM"]
    frame = dm.frame
    if "USUBJID" not in frame:
        raise SpecError("DM does not fill USUBJID", Location(dm.spec.file, dm.spec.place.line))
    dup = frame["USUBJID"].notna() & frame.duplicated("USUBJID", keep="first")
    _log_frame(log, "DM", frame, dup, frame[SUBJECT_COLUMN], frame[SUBJECT_VALUE],
               "second DM record for the same subject", DROPPED)
    dm.frame = frame.loc[~dup].reset_index(drop=True)
    subjects = set(dm.frame["USUBJID"].dropna())
    for name, rec in records.items():
        if name == "DM":
            continue
        frame = rec.frame
        if "USUBJID" not in frame:
            raise SpecError(f"{name} does not fill USUBJID", Location(rec.spec.file, rec.spec.place.line))
        unknown = ~frame["USUBJID"].isin(subjects)
        _log_frame(log, name, frame, unknown, frame[SUBJECT_COLUMN], frame[SUBJECT_VALUE],
                   "subject not in DM (not enrolled in the study)", DROPPED)
        rec.frame = frame.loc[~unknown].reset_index(drop=True)


def _check_end_before_start(rec: BuiltRecords, log: RejectionLog) -> None:
    d = rec.domain
    start, end = f"{d}STDTC", f"{d}ENDTC"
    frame = rec.frame
    if start not in frame or end not in frame:
        return
    s, e = date_part(frame[start]), date_part(frame[end])
    bad = (e < s).fillna(False).astype(bool)
    if bad.any():
        col = rec.raw_column.get(end, end)
        raw_values = frame[RAW_PREFIX + end] if RAW_PREFIX + end in frame else frame[end]
        _log_frame(log, d, frame, bad, col, raw_values, f"{end} is before {start}", NULLED)
        frame.loc[bad, end] = None
        rec.frame = frame


#: Derivations that read dates of another built domain or a date source: no value for any subject is an error.
NEEDS_INPUT = ("source_date", "first_date", "last_date")


def _domain_derivations(rec: BuiltRecords, frames: dict[str, pd.DataFrame], study, raw: dict,
                        warnings: list[str] | None = None, missing_input: list[DataError] | None = None) -> None:
    """Fill the domain-phase derivations of ``rec`` (e.g. DM reference dates), in spec order."""
    for name, var in rec.spec.variable_specs().items():
        if var.algorithm == "derive" and var.derivation is not None and REGISTRY[var.derivation].phase == "domain":
            place = f"{Path(var.place.file).parent.name}/{Path(var.place.file).name}:{var.place.line}"
            for key in ("where", "filter_add"):
                read = frames.get(str(var.args.get("domain", "EX")))
                if var.args.get(key) and read is not None and warnings is not None:
                    warnings += [f"{place}: {name}: {key} {miss} matches no record of {var.args.get('domain', 'EX')}"
                                 for miss in where_misses(read, var.args[key])]
            ctx = DomainContext(frame=rec.frame, domains=frames, study=study, raw=raw)
            rec.frame[name] = REGISTRY[var.derivation].fn(ctx, **var.args)
            if var.derivation in NEEDS_INPUT and len(rec.frame) and rec.frame[name].isna().all():
                error = DataError(f"{rec.domain}.{name}: derivation {var.derivation} found no value for any subject "
                                  f"({_inputs(var)}), so {name} would be blank in every record",
                                  Location(var.place.file, var.place.line, dataset=rec.domain, variable=name),
                                  hint="check the form, column, date format and 'where' values it reads")
                if missing_input is None:
                    raise error
                missing_input.append(error)
            frames[rec.domain] = rec.frame
        elif var.algorithm == "condition" and var.domain_refs():
            rec.frame[name] = conditions.apply_cases(var.cases, built_resolver(rec.frame, frames), rec.frame.index)
            if var.codelist:
                rec.codelists[name] = var.codelist
            frames[rec.domain] = rec.frame
    for qnam, var in rec.spec.supp.items():  # qualifiers that read other built domains
        if var.algorithm == "condition" and var.domain_refs():
            rec.frame[SUPP_PREFIX + qnam] = conditions.apply_cases(var.cases, built_resolver(rec.frame, frames),
                                                                   rec.frame.index)
            if var.codelist:
                rec.codelists[qnam] = var.codelist


def _inputs(var: VariableSpec) -> str:
    """What a derivation reads, in words, for an error message."""
    return ", ".join(f"{k}: {v}" for k, v in var.args.items()) or "no arguments"


def built_resolver(frame: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> Callable[[str], pd.Series]:
    """Columns of a built domain by name; ``DOMAIN.VARIABLE`` is the subject's first non-blank value there."""
    def resolve(name: str) -> pd.Series:
        domain, _, variable = name.rpartition(".")
        if not domain:
            return frame[name]
        other = frames[domain]
        first = other.dropna(subset=[variable]).drop_duplicates("USUBJID").set_index("USUBJID")[variable]
        return frame["USUBJID"].map(first)
    return resolve


def _check_lengths(rec: BuiltRecords, frame: pd.DataFrame, facts: Mapping[str, TextFacts] | None = None) -> None:
    """XPT v5 text values hold at most 200 bytes: stop with the raw file, row and column of the first longer one.

    ``facts``: text facts of the shaped domain (same index as ``frame``), read instead of measuring again.
    """
    for error in _length_errors(rec, frame, facts, first=True).values():
        raise error


def _length_errors(rec: BuiltRecords, frame: pd.DataFrame, facts: Mapping[str, TextFacts] | None = None,
                   first: bool = False) -> dict[str, DataError]:
    """Per variable (in spec order) the error for its first value over 200 bytes; only the first with ``first``."""
    errors: dict[str, DataError] = {}
    for name in rec.spec.variable_names():
        if first and errors:
            break
        if name not in frame or not (frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name])):
            continue  # numbers and dates have no byte limit
        known = (facts or {}).get(name)
        if known is not None and known.records == len(frame):
            row = known.first_row(known.nbytes > 200)
            if row is None:
                continue
            at, size = frame.index[row], int(known.nbytes[known.codes[row]])
        else:
            values = frame[name].dropna().astype(str)
            if values.empty:
                continue
            sizes = byte_lengths(values)
            if not (sizes > 200).any():
                continue
            bad = int((sizes > 200).argmax())
            at, size = values.index[bad], int(sizes[bad])
        errors[name] = DataError(f"{rec.domain}.{name} value of {size} bytes; SDTM text values hold at most 200",
                                 Location(file=str(frame.loc[at, SOURCE]), row=int(frame.loc[at, ROW]),
                                          column=rec.raw_column.get(name, name), dataset=rec.domain, variable=name),
                                 hint="shorten it at the source, or map the text beyond 200 characters to SUPP-- "
                                      "(SDTMIG 3.4 section 4.5.3.2)")
    return errors


def _specs_by_name(spec: DomainSpec) -> dict[str, VariableSpec]:
    return spec.variable_specs()


def _enforce_codelists(domain: str, frame: pd.DataFrame, codelists: dict[str, str], log: RejectionLog,
                       raw_column: dict[str, str], extensions: dict[str, set[str]]) -> None:
    """Null and log values of non-extensible codelists that are not submission values; record extensions."""
    for var, name in codelists.items():
        if var not in frame or not ct.has_codelist(name):
            continue
        info = ct.codelist(name)
        values = frame[var]
        allowed = set(info.submission_values) | IG_VALUES.get(var, set())
        uniques = distinct_present(values)  # each distinct value looked up once
        text = pd.Series(uniques, dtype="object").astype("string")
        foreign_u = ~text.isin(allowed).fillna(False).to_numpy(dtype=bool)
        sanctioned_u = text.isin(IG_VALUES.get(var, set())).fillna(False).to_numpy(dtype=bool)
        if sanctioned_u.any():
            extensions.setdefault(info.name, set()).update(str(v) for v in uniques[sanctioned_u])
        if not foreign_u.any():
            continue
        if info.extensible:
            extensions.setdefault(info.name, set()).update(str(v) for v in uniques[foreign_u])
            continue
        codes, in_order = pd.factorize(values)  # records are coded only when some value is nulled
        nulled = pd.Series(in_order, dtype="object").isin(uniques[foreign_u]).to_numpy(dtype=bool)
        foreign = pd.Series(np.append(nulled, False)[codes], index=frame.index)
        _log_frame(log, domain, frame, foreign, raw_column.get(var, var), values,
                   f"{var}: not a submission value of codelist {info.name}", NULLED)
        frame.loc[foreign, var] = None


def distinct_present(values: pd.Series) -> np.ndarray:
    """The distinct values of ``values`` other than missing ones, in order of first appearance (``pd.factorize``'s
    uniques, without the per-record codes it also makes)."""
    uniques = pd.unique(values.to_numpy(dtype=object) if values.dtype == object else values)
    objects = np.asarray(uniques, dtype=object)
    return objects[~np.asarray(pd.isna(objects), dtype=bool)]


def _finish(rec: BuiltRecords, log: RejectionLog, ctx: BuildContext) -> list[BuiltDomain]:
    d = rec.domain
    spec = rec.spec
    specs = _specs_by_name(spec)
    seqs = [var for var in specs.values() if var.algorithm == "seq"]
    frame = sort_by_keys(rec.frame, _sort_keys(rec), [c for var in seqs for c in (*var.by, *var.order)])
    rec.frame = pd.DataFrame()  # the sorted copy is the only one now: a whole-study frame less held
    for var in seqs:
        frame[var.name] = derive_seq(frame, var.by, var.order)
    codelists = _codelists_of(rec)
    _enforce_codelists(d, frame, codelists, log, rec.raw_column, ctx.extensions)
    for ext_cl, values in rec.extensions.items():
        ctx.extensions.setdefault(ext_cl, set()).update(values)
    shaped, names = finalize.shape_domain(d, frame, specs)
    facts = text_columns_facts(shaped, d)  # each text column measured once: checks, metadata, writers
    _check_lengths(rec, frame, facts)
    dataset = finalize.dataset_metadata(d, shaped, names, specs, codelists, spec.keys, ctx.methods, facts)
    if (dataset.dataset_class or "").upper() == "FINDINGS":
        dataset.value_level = findings_value_level(dataset, shaped, _blocks(spec))
    rejected = log.dropped_count(d)
    out = [BuiltDomain(d, shaped, dataset, rec.rows_read, rec.filtered, rejected,
                       tuple(spec.sources()), facts=facts)]
    if spec.supp:
        out.append(_supp_domain(rec, _supp_records(rec, frame), len(shaped), ctx))
    return out


def _sort_keys(rec: BuiltRecords) -> tuple[str, ...]:
    return tuple(rec.spec.keys or finalize.DEFAULT_KEYS.get(rec.domain, ("STUDYID", "USUBJID")))


def _blocks(spec: DomainSpec) -> list[tuple[dict[str, str], dict]]:
    """Each spec block's hardcoded values and origins (the origins of findings value-level metadata)."""
    return [({n: str(v.value) for n, v in b.variables.items() if v.algorithm == "hardcode"},
             {n: finalize.origin_of(v) for n, v in b.variables.items()}) for b in spec.blocks]


def _supp_records(rec: BuiltRecords, frame: pd.DataFrame) -> pd.DataFrame:
    """The SUPP-- records of the finished (sorted, sequenced) records ``frame``."""
    d, spec = rec.domain, rec.spec
    qualifiers = []
    supp_values = pd.DataFrame(index=frame.index)
    for qnam, var in spec.supp.items():
        supp_values[qnam] = frame.get(SUPP_PREFIX + qnam, pd.Series(None, index=frame.index))
        origin = finalize.origin_of(var).type
        qualifiers.append(Qualifier(qnam, var.label or qnam, QORIG.get(origin, origin), var.qeval))
    idvar = None if d == "DM" else (spec.supp_idvar or f"{d}SEQ")
    return split_supp(frame, supp_values, qualifiers, d, idvar)


def _supp_domain(rec: BuiltRecords, supp: pd.DataFrame, parent_records: int, ctx: BuildContext) -> BuiltDomain:
    """SUPP-- of the domain, finished from its records."""
    d, spec = rec.domain, rec.spec
    supp_codelists = {qnam: rec.codelists[qnam] for qnam in spec.supp if qnam in rec.codelists}
    supp, _names = finalize.shape_domain(f"SUPP{d}", supp, {})
    supp_facts = text_columns_facts(supp, f"SUPP{d}")
    supp_ds = finalize.supp_metadata(d, supp, spec.supp, supp_codelists, ctx.methods, supp_facts)
    return BuiltDomain(f"SUPP{d}", supp, supp_ds, rows_read=parent_records, parent=d, facts=supp_facts)


def finishes_in_pieces(rec: BuiltRecords, pieces: list[CompactFrame]) -> bool:
    """True when the domain's batch pieces can be finished one by one with the result of finishing them whole:
    the pieces have the same columns, the sort starts with USUBJID (or with one STUDYID, then USUBJID), every
    --SEQ counts within USUBJID, and each piece's subjects all sort before the next piece's."""
    order = pieces[0].order
    if any(not isinstance(p, CompactFrame) or p.order != order for p in pieces):
        return False
    columns = _subject_sort(rec, order)
    if columns is None:
        return False
    if columns[:1] == ["STUDYID"]:
        studyid = [p.columns["STUDYID"] for p in pieces]
        if not all(isinstance(c, TextColumn) and (c.codes >= 0).all() for c in studyid) or \
                len({v for c in studyid for v in c.values[np.unique(c.codes)]}) != 1:
            return False
    bounds = []
    for piece in pieces:
        subjects = piece.columns["USUBJID"]
        if not isinstance(subjects, TextColumn) or not len(subjects.codes) or (subjects.codes < 0).any():
            return False
        present = subjects.values[np.unique(subjects.codes)]
        bounds.append((min(present), max(present)))
    return all(bounds[i][1] < bounds[i + 1][0] for i in range(len(bounds) - 1))


def _subject_sort(rec: BuiltRecords, order: list) -> list[str] | None:
    """The domain's sort columns (keys, then each --SEQ's by and order; of the columns in ``order``) when they
    start with USUBJID or with STUDYID then USUBJID and every --SEQ counts within USUBJID, else None."""
    seqs = [var for var in rec.spec.variable_specs().values() if var.algorithm == "seq"]
    if any("USUBJID" not in var.by for var in seqs):
        return None
    then = [c for var in seqs for c in (*var.by, *var.order)]
    columns = list(dict.fromkeys(c for c in (*_sort_keys(rec), *then) if c in order and not c.endswith("SEQ")))
    subjects = columns[1:] if columns[:1] == ["STUDYID"] else columns
    return columns if subjects[:1] == ["USUBJID"] else None


def _finish_in_pieces(rec: BuiltRecords, pieces: list[CompactFrame], log: RejectionLog, ctx: BuildContext,
                      spill: Path | None = None, keep: set[str] | None = None) -> list[BuiltDomain]:
    """``_finish`` one batch piece at a time (``finishes_in_pieces`` holds), with the same result
    (``PieceFinish``)."""
    finish = PieceFinish(rec, spill, keep)
    while pieces:
        finish.add(pieces.pop(0))
    return finish.done(rec, log, ctx)


class PieceFinish:
    """A domain finished one batch piece at a time, with the result of finishing it whole.

    Each piece (``add``) is made, sorted, sequenced, checked against its codelists and shaped with every Perm
    variable; what must be decided on the whole domain is measured per piece and merged (``done``): which Perm
    variables carry data, lengths and number types (``finalize.ColumnStats``), the first value over 200 bytes of
    each variable, the findings value-level metadata (on the distinct rows of its variables) and the SUPP--
    records (pieces of subjects in order). With ``spill`` (a folder) each finished piece goes to its own file at
    once, and only the columns in ``keep`` and those a codelist or value-level metadata may read are held, as for
    a spilled domain (``BuiltDomain.spill``); else the pieces are put together in memory.

    What the pieces log (codelist values nulled) and the codelist extensions they find are held here and handed
    to the build's log and context by ``done``, so a domain finished as its batches come back (``EarlyFinish``)
    logs in the place it would when finished later, and one that turns out not to qualify logs nothing."""

    def __init__(self, rec: BuiltRecords, spill: Path | None = None, keep: set[str] | None = None) -> None:
        d = rec.domain
        self.domain, self.spill, self.keep = d, spill, keep or set()
        self.specs = _specs_by_name(rec.spec)
        self.seqs = [var for var in self.specs.values() if var.algorithm == "seq"]
        self.then = [c for var in self.seqs for c in (*var.by, *var.order)]
        self.codelists = _codelists_of(rec)
        self.raw_column = dict(rec.raw_column)
        self.findings = (sdtmig.dataset(d).dataset_class or "").upper() == "FINDINGS"
        self.vl_columns = [f"{d}TESTCD", *SHAPE_BY.get(d, ()), *(d + r for r in FINDINGS_RESULTS)]
        standard = {sv.name: sv for sv in allowed_variables(d)}
        self.perm = {n for n, sv in standard.items() if sv.core not in ("Req", "Exp")}
        coded = {n for n, sv in standard.items() if sv.codelist} | set(self.codelists) | set(self.vl_columns)
        self.held = self.keep | coded
        self.log = RejectionLog()
        self.extensions: dict[str, set[str]] = {}
        self.every: list[str] = []
        self.filled: dict[str, bool] = {}
        self.stats: list[dict[str, finalize.ColumnStats]] = []
        self.errors: dict[str, DataError] = {}
        self.distinct: list[pd.DataFrame] = []
        self.supp_parts: list[pd.DataFrame | CompactFrame] = []
        self.shaped_parts: list[tuple[pd.DataFrame | CompactFrame, dict[str, TextFacts]]] = []
        self.spilled: list[SpilledFrame] = []
        self.total = 0
        self._rec = rec

    def add(self, piece: CompactFrame) -> None:
        """Finish one piece (the next subjects) and hold only what ``done`` merges."""
        rec, d = self._rec, self.domain
        frame = sort_by_keys(piece.frame(), _sort_keys(rec), self.then)
        del piece
        for var in self.seqs:
            frame[var.name] = derive_seq(frame, var.by, var.order)
        _enforce_codelists(d, frame, self.codelists, self.log, self.raw_column, self.extensions)
        for name in self.perm & set(frame.columns):
            self.filled[name] = self.filled.get(name, False) or bool(frame[name].notna().any())
        shaped, self.every = finalize.shape_domain(d, frame, self.specs, every_perm=True)
        facts = text_columns_facts(shaped, d)
        for name, error in _length_errors(rec, frame, facts).items():
            self.errors.setdefault(name, error)
        self.stats.append(finalize.column_stats(shaped, self.every, facts))
        if self.findings:
            self.distinct.append(shaped[[c for c in self.vl_columns if c in shaped]].drop_duplicates())
        if rec.spec.supp:
            supp = _supp_records(rec, frame)
            self.supp_parts.append(compact_frame(supp) if self.spill is not None else supp)
        del frame
        self.total += len(shaped)
        if self.spill is not None:
            path = self.spill / f"{d.lower()}.{len(self.spilled) + 1}.spill"
            self.spilled.append(spill_frame(shaped, facts, path))
            # the columns held (those the builders read) as codes until ``done``: a domain finished as its
            # batches come back holds no object column of any record while the other batches run. A text column
            # is held as its text facts' codes (the same array, not factorized again)
            small = {n: _small_facts(f) for n, f in facts.items() if n in self.held}
            self.shaped_parts.append((_held_piece(shaped, [c for c in self.every if c in self.keep or
                                                           (c in self.held and c not in facts)], small), small))
        else:
            self.shaped_parts.append((shaped, facts))

    def discard(self) -> None:
        """Forget the pieces finished (their spill files removed): the domain is finished another way."""
        for part in self.spilled:
            part.remove()
        self.spilled, self.shaped_parts, self.supp_parts, self.distinct = [], [], [], []

    def done(self, rec: BuiltRecords, log: RejectionLog, ctx: BuildContext) -> list[BuiltDomain]:
        """The finished domain (and its SUPP--) of the pieces added; ``rec``: the domain's merged records (counts,
        extensions of the record phase). Logs what the pieces logged, then raises the first value over 200
        bytes in spec order, as finishing it whole does."""
        d, spec, keep = self.domain, rec.spec, self.keep
        log.parts.extend(self.log.parts)
        for extensions in (self.extensions, rec.extensions):
            for ext_cl, values in extensions.items():
                ctx.extensions.setdefault(ext_cl, set()).update(values)
        for name in spec.variable_names():  # the first variable in spec order with a value too long, as whole
            if name in self.errors:
                raise self.errors[name]
        names = [n for n in self.every if n not in self.perm or self.filled.get(n, False)]
        dataset = finalize.dataset_metadata(d, pd.DataFrame(), names, self.specs, self.codelists, spec.keys,
                                            ctx.methods, stats=finalize.merge_stats(self.stats), records=self.total)
        if self.findings:
            rows = pd.concat(self.distinct, ignore_index=True).drop_duplicates(ignore_index=True)
            dataset.value_level = findings_value_level(dataset, rows, _blocks(spec))
        rejected = log.dropped_count(d)
        shaped_parts, self.shaped_parts = self.shaped_parts, []
        text = [n for n in names if all(n in f for _s, f in shaped_parts)]
        facts = {n: merge_facts([f[n] for _s, f in shaped_parts]) if len(shaped_parts) > 1 else
                 replace(shaped_parts[0][1][n], codes=shaped_parts[0][1][n].codes.astype(np.int32)) for n in text}
        if self.spill is not None:
            final = {v.name for v in dataset.variables if v.codelist} | \
                {n for vl in dataset.value_level for n in (vl.variable, *(c.variable for c in vl.where))}
            facts = {n: f for n, f in facts.items() if n in keep or n in final}
            columns = [n for n in names if n in keep or (n in final and n not in facts)]
            held = _held_columns([s for s, _f in shaped_parts if isinstance(s, CompactFrame)], columns, facts)
            domain = BuiltDomain(d, _empty_like(held.take(np.arange(0)).frame()), dataset, rec.rows_read,
                                 rec.filtered, rejected, tuple(spec.sources()), facts=facts, held=held)
            domain.spilled = join_spilled(self.spilled, names)
        else:
            parts = [s[names] for s, _f in shaped_parts if isinstance(s, pd.DataFrame)]
            whole = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
            whole = whole.reindex(columns=[c for c in names if c in whole])
            domain = BuiltDomain(d, whole, dataset, rec.rows_read, rec.filtered, rejected, tuple(spec.sources()),
                                 facts=facts)
        out = [domain]
        if spec.supp:
            supp_frames = [part.frame() if isinstance(part, CompactFrame) else part for part in self.supp_parts]
            self.supp_parts = []
            filled_parts = [part for part in supp_frames if len(part)] or supp_frames[:1]
            supp = pd.concat(filled_parts, ignore_index=True) if len(filled_parts) > 1 else filled_parts[0]
            out.append(_supp_domain(rec, supp, self.total, ctx))
        return out


def _held_piece(shaped: pd.DataFrame, columns: list[str], facts: Mapping[str, TextFacts]) -> CompactFrame:
    """``compact_frame(shaped[columns])`` of a finished piece, its text columns with facts held as the facts' codes
    into their values (``engine.compact.factorized_column``: the arrays shared, no column factorized twice)."""
    held: dict[str, TextColumn | pd.Series] = {}
    for name in columns:
        found = facts.get(name)
        if found is not None:
            held[name] = factorized_column(shaped[name], found.codes, found.values)
        else:
            coded = text_column(shaped[name])
            held[name] = coded if coded is not None else shaped[name]
    return CompactFrame(held, shaped.index, list(columns), pd.Index(columns, dtype=shaped.columns.dtype))


def _held_columns(pieces: list[CompactFrame], columns: list[str],
                  facts: Mapping[str, TextFacts] | None = None) -> CompactFrame:
    """The pieces' ``columns`` (those they have) one after the other with a fresh RangeIndex, still as codes:
    what ``pandas.concat([p.frame()[columns] ...], ignore_index=True)`` gives when made (``CompactFrame.frame``).
    A text column whose merged ``facts`` are given (``merge_facts`` of the pieces' facts, whose codes the pieces
    hold) takes their codes and values: the same recoding, made once for the facts and the held column."""
    present = [c for c in columns if c in pieces[0].columns]
    merged = {c: _merged_text(pieces, c, facts[c]) for c in present if facts and c in facts}
    rest = [c for c in present if merged.get(c) is None]
    parts = [CompactFrame({c: p.columns[c] for c in rest}, p.index, list(rest)) for p in pieces]
    whole = concat_compact(parts)
    if isinstance(whole, pd.DataFrame):  # (pieces of one domain have the same columns: not met in practice)
        whole = compact_frame(whole)
    index = pd.RangeIndex(len(whole))
    joined = {n: c.reset_index(drop=True) if isinstance(c, pd.Series) else c for n, c in whole.columns.items()}
    columns_held: dict[str, TextColumn | pd.Series] = {}
    for name in present:
        text = merged.get(name)
        columns_held[name] = text if text is not None else joined[name]
    return CompactFrame(columns_held, index, present)


def _merged_text(pieces: list[CompactFrame], name: str, facts: TextFacts) -> TextColumn | None:
    """The pieces' column ``name`` put together as ``concat_compact`` does, from ``facts`` (the pieces' facts of it
    merged) when every piece holds it as those facts' codes (an object column with None for missing), else None.

    ``merge_facts`` and ``concat_compact`` both number the values of the pieces taken together in order of first
    appearance, so the codes are the same; one piece keeps its index (``concat_compact``): not taken here."""
    if len(pieces) < 2:
        return None
    parts = [p.columns[name] for p in pieces]
    if not all(isinstance(c, TextColumn) and c.dtype is None and c.missing is None for c in parts) or \
            len(facts.codes) != sum(len(p) for p in pieces):
        return None
    return TextColumn(facts.codes, facts.values, None)


class EarlyFinish:
    """A domain finished as its batches come back (``engine.sdtm.build_records_in_batches``' ``early``), so its
    records are never all held: each batch's piece is finished at once (``PieceFinish``, spilled to ``spill``)
    and kept only as what the merge needs.

    Decided up front (``start_early``): a domain spilled, not held whole, its sort keys starting with USUBJID (or
    STUDYID, USUBJID), every --SEQ counting within USUBJID. Checked piece by piece, as ``finishes_in_pieces``
    checks the pieces together: the same columns, one STUDYID, subjects after the last piece's, and the same
    codelists and raw columns as the first batch's. The batches are disjoint sets of subjects in USUBJID order
    (``engine.batches``), and each batch keeps only the records of its own DM subjects, so these hold in practice;
    no piece is kept as it came to guard them. The first piece with records waits (as codes, as every piece
    waited before) until a second one comes: a domain with records in one batch only gives its pieces back
    (``give_back``) and is finished whole, as before; so does a domain refused at its second piece with records.
    One refused later gives None (its finished pieces are gone), and the engine builds its records again from
    the raw forms (``engine.sdtm.rebuild_pieces``)."""

    def __init__(self, rec: BuiltRecords, spill: Path, keep: set[str]) -> None:
        self.rec, self.spill = rec, spill
        self.finish = PieceFinish(rec, spill, keep)
        self.waiting: list[CompactFrame] = []  # the pieces taken, as they came, until a second one has records
        self.started = False  # pieces finished (then ``waiting`` is empty for good)
        self.last: CompactFrame | None = None  # the subjects of the last piece with records

    def add(self, piece: CompactFrame, rec: BuiltRecords) -> bool:
        if not self._fits(piece, rec):
            return False
        if self.started:
            if len(piece):  # an empty piece is left out, as the merge of the batches leaves it out
                self.last = _subjects_of(piece)
                self.finish.add(piece)
            return True
        filled = [p for p in self.waiting if len(p)]
        if len(piece):
            self.last = _subjects_of(piece)
        if not len(piece) or not filled:
            self.waiting.append(piece)
            return True
        self.waiting, self.started = [], True
        self.finish.add(filled[0])
        del filled
        self.finish.add(piece)
        return True

    def _fits(self, piece: CompactFrame, rec: BuiltRecords) -> bool:
        if _codelists_of(rec) != self.finish.codelists or rec.raw_column != self.finish.raw_column:
            return False
        return not len(piece) or finishes_in_pieces(self.rec, [piece] if self.last is None else [self.last, piece])

    def complete(self) -> bool:
        return self.started  # one piece with records is finished whole, as before

    def give_back(self) -> list[CompactFrame] | None:
        if self.started:
            self.finish.discard()
            return None
        pieces, self.waiting = self.waiting, []
        return pieces

    def done(self, rec: BuiltRecords, log: RejectionLog, ctx: BuildContext) -> list[BuiltDomain]:
        """The finished domain and its SUPP-- (``PieceFinish.done``), once the batches are merged."""
        return self.finish.done(rec, log, ctx)


def _small_facts(facts: TextFacts) -> TextFacts:
    """The facts with their codes in the smallest integer type for their distinct values (held per piece until
    merged; ``merge_facts`` gives int32 codes, as ``text_facts`` does)."""
    count = len(facts.values)
    kind = np.int8 if count < 2**7 - 1 else np.int16 if count < 2**15 - 1 else np.int32
    return replace(facts, codes=facts.codes.astype(kind), _cache={})  # no per-record answers kept


def start_early(study: StudyDefinition, spill: Path, name: str, rec: BuiltRecords) -> EarlyFinish | None:
    """The ``EarlyFinish`` of a domain that may be finished as its batches come back (spilled, not held whole,
    sorted by USUBJID first, every --SEQ within USUBJID; ``rec``: its first batch's records), else None."""
    if name in HELD_WHOLE or _subject_sort(rec, list(rec.frame.columns)) is None:
        return None
    return EarlyFinish(rec, spill, builder_columns(study, name))


def _subjects_of(piece: CompactFrame) -> CompactFrame:
    """What ``finishes_in_pieces`` reads of a piece to check the next one: its columns, its distinct STUDYID and
    USUBJID values."""
    columns: dict[str, TextColumn | pd.Series] = {}
    for name in ("STUDYID", "USUBJID"):
        column = piece.columns.get(name)
        if isinstance(column, TextColumn):
            _values, first = np.unique(column.codes, return_index=True)
            columns[name] = column.take(first).used()
        elif column is not None:
            columns[name] = column
    return CompactFrame(columns, piece.index[:0], list(piece.order), piece.labels)


def _coded_columns(domain: BuiltDomain) -> pd.DataFrame:
    """What ``finalize.codelists_in_use`` reads of a domain: its frame, or of one holding its columns as codes
    only the coded and value-level columns (their records' count kept), so the domains' held columns are not all
    made object columns at once."""
    if domain.held is None:
        return domain.frame
    ds = domain.dataset
    return domain.columns([v.name for v in ds.variables if v.codelist] +
                          [n for vl in ds.value_level for n in (vl.variable, *(c.variable for c in vl.where))])


def study_metadata(study: StudyDefinition, built: list[BuiltDomain], ctx: BuildContext) -> Study:
    """The Study model of a build: datasets in a stable order, codelists in use, methods and comments (by OID)."""
    order = {name: i for i, name in enumerate(["DM", "SUPPDM"])}
    datasets = sorted((b for b in built), key=lambda b: (order.get(b.name, 2), b.name))
    dictionaries: list[Codelist] = []
    for b in datasets:
        if b.name == "TS":
            b.dataset.value_level, dictionaries = ts_value_level(b.dataset, b.frame)
    codelists = finalize.codelists_in_use([(_coded_columns(b), b.dataset) for b in datasets], ctx.extensions,
                                          {b.name: b.text_facts() for b in datasets}) + dictionaries
    return Study(
        studyid=study.studyid, name=study.title or study.studyid, description=study.title,
        protocol=study.protocol or study.studyid, ct_version=study.ct_version,
        standards=[Standard("SDTMIG", "3.4", "IG"), Standard("CDISC/NCI", ct.version, "CT", "SDTM")],
        datasets=[b.dataset for b in datasets], codelists=codelists,
        methods=[ctx.methods[k] for k in sorted(ctx.methods)],
        comments=[ctx.comments[k] for k in sorted(ctx.comments)])
