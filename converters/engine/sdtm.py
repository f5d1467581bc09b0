"""The SDTM build's per-batch plan: subject-local steps per batch of subjects, study-wide steps once.

Per batch (``run_batch``, on any engine): the record phase of every spec, codelists, Req variables, subjects in
DM, end before start, domain derivations, visits, study days and EPOCH
(``converters.sdtm.study.build_subject_records``). Merged across batches (``merge_batches``): the records of each
domain in subject order, counts, codelist extensions, the rejection log, merged-form matches, warnings and the
derivations that found no value. The study-wide steps then run once on the merged records, as in an unbatched
build: --SEQ and key order, lengths and the XPT v5 checks, SUPP-- split, trial design, RELREC, value-level
metadata and codelists in use (``converters.sdtm.study``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol
from dataclasses import dataclass, field

import pandas as pd

from converters.engine import Engine, LocalEngine
from converters.engine.batches import partition_raw, subject_forms
from converters.engine.compact import CompactFrame, Form, compact_frame, concat_compact, raw_source
from converters.errors import DataError
from converters.readers.raw import RawSource
from converters.sdtm.builder import BuiltRecords
from converters.sdtm.rejections import RejectionLog
from converters.spec.model import DomainSpec
from converters.spec.study import StudyDefinition


@dataclass
class BatchResult:
    """What one batch of subjects gives back: its records, its log, its warnings and missing inputs."""

    records: dict[str, BuiltRecords]
    log: RejectionLog
    warnings: list[str] = field(default_factory=list)
    missing_input: list[DataError] = field(default_factory=list)
    #: the subject element timeline of the batch's subjects
    timeline: pd.DataFrame | None = None
    #: the visits the batch's raw forms show (``trial_design.sv.raw_visit_records``), when SV is built
    visits: pd.DataFrame | None = None
    #: each domain's records held compactly once the batch is back (``engine.compact``); ``records`` then keep
    #: their counts, logs and metadata with an empty frame
    compact: dict[str, CompactFrame] = field(default_factory=dict)
    #: each domain's record count once held compactly (its pieces may then be finished and gone)
    counts: dict[str, int] = field(default_factory=dict)

    def hold_compactly(self) -> None:
        """Code the text columns of every domain's records (``engine.compact``) and drop the object frames."""
        for name, rec in self.records.items():
            self.compact[name] = compact_frame(rec.frame)
            self.counts[name] = len(rec.frame)
            rec.frame = rec.frame.iloc[:0].copy()

    def record_count(self, domain: str) -> int:
        if domain in self.counts:
            return self.counts[domain]
        if domain in self.compact:
            return len(self.compact[domain])
        return len(self.records[domain].frame) if domain in self.records else 0


class PieceSink(Protocol):
    """A domain finished as its batches come back (``converters.sdtm.study.EarlyFinish``)."""

    def add(self, piece: CompactFrame, rec: BuiltRecords) -> bool:
        """Take the next batch's piece (and that batch's records of the domain, with an empty frame); False when
        the domain turns out not to be finished so (then the piece is not taken)."""

    def give_back(self) -> list[CompactFrame] | None:
        """Every piece taken, as it came, in batch order, when none was finished yet; None when some were
        finished and are gone (then the domain's records are built again, ``rebuild_pieces``). What was
        finished is forgotten either way."""

    def complete(self) -> bool:
        """True when the pieces taken are finished as finishing the domain whole would."""


#: domain name and its first batch's records -> the sink finishing it as its batches come back, or None
EarlyStart = Callable[[str, BuiltRecords], PieceSink | None]


@dataclass
class MergedBatches:
    """The batches merged: records of every domain, the raw forms the study-wide steps still read, the
    subject element timeline and the raw visit records (None when SV is not built)."""

    records: dict[str, BuiltRecords]
    raw: dict[str, RawSource]
    timeline: pd.DataFrame
    visits: pd.DataFrame | None
    #: each domain's merged records held compactly (``engine.compact``), as its batches' pieces in batch order,
    #: until ``take`` or ``take_pieces`` gives them out (the ``records`` entry's frame is empty until then), so
    #: the study holds one domain's object frame (or one piece of it) at a time
    compact: dict[str, list[CompactFrame] | pd.DataFrame] = field(default_factory=dict)
    #: domains finished as their batches came back (``build_records_in_batches``' ``early``): none of their
    #: records are held here, the sink holds what is left to do
    finishing: dict[str, PieceSink] = field(default_factory=dict)

    def take(self, domain: str) -> BuiltRecords:
        """The domain's records with their frame made whole (once; the compact form is dropped)."""
        rec = self.records[domain]
        held = self.compact.pop(domain, None)
        if held is not None:
            whole = held if isinstance(held, pd.DataFrame) else concat_compact(held)
            rec.frame = whole.frame() if isinstance(whole, CompactFrame) else whole
        return rec

    def take_pieces(self, domain: str, accept: Callable[[list[CompactFrame]], bool]) -> list[CompactFrame] | None:
        """The domain's records as the pieces of its batches (disjoint sets of subjects in USUBJID order; the
        ``records`` entry keeps its empty frame) when there are several and ``accept`` takes them, else None
        (then ``take`` them whole)."""
        held = self.compact.get(domain)
        if not isinstance(held, list) or len(held) < 2 or not accept(held):
            return None
        del self.compact[domain]
        return held


def run_batch(pieces: dict[str, Form], study: StudyDefinition, specs: list[DomainSpec],
              visits: bool = False) -> BatchResult:
    """The subject-local steps on one batch of subjects (a plain function, so Dask can ship it to a worker);
    with ``visits``, also the visits its raw forms show (what SV reads of the raw forms, per subject).

    Pieces held as codes are made object frames here (on the worker, for Dask), freed when the batch returns."""
    from converters.sdtm.study import build_subject_records

    raw = {name: raw_source(src) for name, src in pieces.items()}
    log = RejectionLog()
    result = BatchResult({}, log)
    result.records, result.timeline = build_subject_records(study, specs, raw, log, result.warnings,
                                                            lambda _m: None, result.missing_input)
    if visits:
        from converters.sdtm.trial_design.sv import raw_visit_records

        subjects = set(result.records["DM"].frame["USUBJID"]) if "DM" in result.records else set()
        result.visits, _read = raw_visit_records(study, raw, subjects, log)
    return result


def batchable(study: StudyDefinition, specs: list[DomainSpec], raw: dict[str, Form]) -> list[str]:
    """Record sources that are not subject forms (then the study runs as one batch), empty when all are."""
    forms = set(subject_forms(study, raw))
    sources = {block.source for spec in specs for block in spec.blocks}
    return sorted(s for s in sources if s in raw and s not in forms)


def build_records_in_batches(study: StudyDefinition, specs: list[DomainSpec], raw: dict[str, Form],
                             log: RejectionLog, warnings: list[str], batch_subjects: int, engine: Engine | None,
                             say: Callable[[str], None], keep: set[str] | None = None,
                             visits: bool = False, early: EarlyStart | None = None,
                             reread: Callable[[], dict[str, Form]] | None = None) -> MergedBatches:
    """Records of every spec, built per batch of ``batch_subjects`` subjects on ``engine`` and merged.

    Takes ``raw`` over: its subject forms are split into batches and dropped from it, and each batch's pieces are
    freed once the batch is done, except the forms in ``keep`` (those the study-wide steps read), which come back
    put together (with the study-level forms); None keeps every form. ``visits``: each batch also gives the
    visits of its raw forms (SV's raw part), merged in batch order.

    Forms of ``raw`` may be held as codes (``engine.compact.CompactSource``): they are split as codes and made
    object frames only inside each batch's run; the forms in ``keep`` come back as object frames.

    ``early``: gives, per domain, a sink that finishes the domain's piece of each batch as the batch comes back
    (``converters.sdtm.study.EarlyFinish``), so a domain's records are not held until all batches are back; a
    domain whose pieces turn out not to qualify gets them back and is held as the others; when some of them were
    finished already (they are not kept as they came), its records are built again from ``reread`` (the raw forms
    read again, as ``raw`` was) and held as the others (``rebuild_pieces``: slow, but rare and right)."""
    if batch_subjects < 1:
        raise ValueError("batch_subjects must be at least 1")
    if early is not None and reread is None:
        raise ValueError("finishing domains as their batches come back needs the raw forms to read again")
    engine = engine or LocalEngine()
    unsplit = batchable(study, specs, raw)
    if unsplit:
        say(f"one batch: form(s) {', '.join(unsplit)} lack the USUBJID fields, so their rows cannot be told "
            "apart by subject")
        batch_subjects = 10 ** 12
    held = {name: src for name, src in raw.items() if keep is None or name in keep}  # (as codes, if held so)
    batches = partition_raw(study, raw, batch_subjects, used=engine.name != "local")
    held.update({name: src for name, src in raw.items() if name in held})  # study-level forms: the frames made
    for spec in specs:
        say(f"{spec.domain}: reading {', '.join(spec.sources())}")
    say(f"{len(batches)} batch(es) of at most {batch_subjects if not unsplit else 'all'} subjects on the "
        f"{engine.name} engine")
    count = len(batches)

    def feed() -> Iterator[dict[str, Form]]:  # a batch's raw pieces are dropped here once handed over
        while batches:
            yield batches.pop(0)

    results: list[BatchResult] = []
    finishing: dict[str, PieceSink] = {}
    lost: dict[str, str] = {}  # domains refused by their sink after some pieces were finished: why
    timelines: list[CompactFrame] = []  # each batch's timeline and raw visits, held as codes until merged
    visit_parts: list[CompactFrame] = []
    for i, result in enumerate(engine.map(run_batch, feed(), study, specs, visits), start=1):
        say(f"batch {i} of {count}: {sum(len(r.frame) for r in result.records.values())} records")
        result.hold_compactly()
        if result.timeline is not None:
            timelines.append(compact_frame(result.timeline))
        if result.visits is not None:
            visit_parts.append(compact_frame(result.visits))
        result.timeline = result.visits = None
        if early is not None:
            finish_early(result, results, finishing, early if i == 1 else None, lost)
        results.append(result)
    for name in [n for n, sink in finishing.items() if not sink.complete()]:
        hold_again(name, finishing.pop(name), results)
    if lost and reread is not None:
        for name, why in lost.items():
            say(f"{name}: {why}; its records are built again from the raw forms, to be finished whole")
        rebuild_pieces(set(lost), reread, study, specs, batch_subjects, engine, results)
    timeline = _concat_held([t for t in timelines if len(t)] or timelines[:1])
    raw_visits = _concat_held([v for v in visit_parts if len(v)] or visit_parts[:1]) if visits else None
    compact: dict[str, list[CompactFrame] | pd.DataFrame] = {}
    records = merge_batches(results, log, warnings, compact)
    kept = {name: raw_source(held.pop(name)) for name in list(held)}  # one form made at a time
    return MergedBatches(records, kept, timeline, raw_visits, compact, finishing)


def finish_early(result: BatchResult, earlier: list[BatchResult], finishing: dict[str, PieceSink],
                 start: EarlyStart | None, lost: dict[str, str] | None = None) -> None:
    """Hand each domain's piece of the batch just back to its sink (made by ``start``, given on the first
    batch); a domain whose sink refuses the piece gets its earlier pieces back into ``earlier`` and is held.
    When the sink cannot give them back (some were finished), the domain goes to ``lost`` (with the reason) and
    its pieces are dropped from here on: ``rebuild_pieces`` builds them all again."""
    lost = {} if lost is None else lost
    for name, rec in result.records.items():
        if name in lost:
            result.compact.pop(name, None)
            continue
        if start is not None:
            made = start(name, rec)
            if made is not None:
                finishing[name] = made
        sink = finishing.get(name)
        if sink is None or name not in result.compact:
            continue
        if sink.add(result.compact[name], rec):
            del result.compact[name]
        elif not hold_again(name, finishing.pop(name), earlier):
            lost[name] = f"the records of batch {len(earlier) + 1} cannot be finished apart from the batches before"
            result.compact.pop(name, None)
            for other in earlier:
                other.compact.pop(name, None)


def hold_again(name: str, sink: PieceSink, results: list[BatchResult]) -> bool:
    """The pieces ``sink`` took back into the batches they came from, held compactly as if never taken; False
    when the sink no longer has them (``PieceSink.give_back``)."""
    pieces = sink.give_back()
    if pieces is None:
        return False
    if len(pieces) != len(results):
        raise RuntimeError(f"{name}: {len(pieces)} pieces given back for {len(results)} batches")
    for result, piece in zip(results, pieces):
        result.compact[name] = piece
    return True


def rebuild_pieces(names: set[str], reread: Callable[[], dict[str, Form]], study: StudyDefinition,
                   specs: list[DomainSpec], batch_subjects: int, engine: Engine, results: list[BatchResult]) -> None:
    """The records of the domains ``names`` built again, batch by batch, from the raw forms ``reread`` gives,
    into ``results`` as they were first held (``BatchResult.compact``): the same forms make the same batches
    and the same records, so the domains are finished after the merge as if never finished early (what the
    batches log and warn was taken from the first run, so the second run's is dropped)."""
    raw = reread()
    batches = partition_raw(study, raw, batch_subjects, used=engine.name != "local")
    del raw
    if len(batches) != len(results):
        raise RuntimeError(f"{len(batches)} batches when building again, {len(results)} the first time")

    def feed() -> Iterator[dict[str, Form]]:
        while batches:
            yield batches.pop(0)

    for result, again in zip(results, engine.map(run_batch, feed(), study, specs, False)):
        for name in names:
            rec = again.records[name]
            result.compact[name] = compact_frame(rec.frame)
        del again


def _concat_held(pieces: list[CompactFrame]) -> pd.DataFrame:
    """The pieces held as codes made one object frame, as ``pandas.concat`` of their frames (``ignore_index``;
    one piece: its index kept) gives it."""
    whole = concat_compact(pieces)
    return whole.frame() if isinstance(whole, CompactFrame) else whole


def merge_batches(results: list[BatchResult], log: RejectionLog, warnings: list[str],
                  compact: dict[str, list[CompactFrame] | pd.DataFrame] | None = None) -> dict[str, BuiltRecords]:
    """One set of records from the batches, in subject order, with their logs, warnings and missing inputs.

    Batches held compactly (``BatchResult.hold_compactly``) are kept compactly in ``compact`` (domain -> the
    batches' non-empty pieces in batch order, see ``MergedBatches.take`` and ``take_pieces``) and their
    ``records`` entries keep an empty frame."""
    for result in results:
        start = len(log.parts)
        log.parts.extend(result.log.parts)
        log.compact(start)  # a batch's entries held as codes until the log is written
    common = [w for w in results[0].warnings if all(w in r.warnings for r in results[1:])]
    warnings.extend(dict.fromkeys(common))  # a 'matches no row' holds for the study when it holds in every batch
    raise_missing_input(results)
    records: dict[str, BuiltRecords] = {}
    for name, first in results[0].records.items():
        parts = [r.records[name] for r in results]
        if compact is not None and all(name in r.compact for r in results):
            pieces = [r.compact.pop(name) for r in results]
            compact[name] = [p for p in pieces if len(p)] or pieces[:1]
            frame = first.frame
        else:
            frames = [p.frame for p in parts if len(p.frame)] or [first.frame]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        merged = BuiltRecords(first.spec, frame,
                              rows_read=sum(p.rows_read for p in parts), filtered=sum(p.filtered for p in parts))
        for p in parts:
            for cl, values in p.extensions.items():
                merged.extensions.setdefault(cl, set()).update(values)
            merged.codelists.update(p.codelists)
            merged.raw_column.update(p.raw_column)
            for form, rows in p.merged_rows.items():
                merged.merged_rows.setdefault(form, set()).update(rows)
            p.frame = pd.DataFrame()
        merged.notes = merge_notes([n for p in parts for n in p.notes])
        records[name] = merged
    return records


def merge_notes(notes: list[str]) -> list[str]:
    """The batches' notes once each; notes that differ only in their leading count are one note with the sum."""
    counts: dict[str, int | None] = {}
    for note in notes:
        count, _, rest = note.partition(" ")
        if count.isdigit():
            counts[rest] = (counts.get(rest) or 0) + int(count)
        else:
            counts.setdefault(note, None)
    return [text if count is None else f"{count} {text}" for text, count in counts.items()]


def raise_missing_input(results: list[BatchResult]) -> None:
    """A derivation that found no value in any batch holding records of its domain stops the build, as it does
    unbatched (with the same message)."""
    for error in results[0].missing_input + [e for r in results[1:] for e in r.missing_input]:
        domain = error.where.dataset
        holding = [r for r in results if domain in r.records and r.record_count(domain)]
        if all(any(str(e) == str(error) for e in r.missing_input) for r in holding):
            raise error
