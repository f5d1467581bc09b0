"""Build a study's ADaM datasets from an SDTM folder and the study's ADaM specs, with their metadata.

Per dataset: start from the source records (filter applied), run the spec's verbs in order, keep the spec's
variables in its order, then describe each variable in the metadata model: label, type and Core from ADaMIG 1.3
(placeholders resolved) or the SDTM predecessor or the spec; numeric dates with DATE9./DATETIME20.; origin
Predecessor (with the SDTM variable) or Derived (with the verb's method text as a Method).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from converters.adam.batches import derive_in_batches
from converters.adam.codelists import assign_codelist, describe_codelists
from converters.adam.columns import distinct_map, map_distinct, working_copy
from converters.adam.context import AdamContext, Provenance
from converters.adam.metadata import CLASSES, LABELS, display_format, standard_variable
from converters.adam.sources import SdtmFolder, read_sdtm_folder
from converters.adam.spec import AdamSpec, load_adam_specs
from converters.adam.where import evaluate
from converters.engine.compact import CompactFrame, TextColumn
from converters.errors import DataError, Location, SpecError, TransportError
from converters.metadata.model import Dataset, Method, Origin, Standard, Study, Variable
from converters.standards import adamig, sdtmig
from converters.writers.text_facts import TextFacts, text_facts

ADAMIG_OID = "STD.ADaMIG.1.3"


@dataclass
class AdamDataset:
    """One built ADaM dataset: its frame, its metadata, and where it started.

    A dataset put together from batches of subjects is held as a :class:`CompactFrame` (text as codes) from its
    description until it is written piece by piece; :meth:`whole` makes its frame, :meth:`columns` some columns.
    Once :func:`build_adam` has given it to ``on_built``, its frame is a DataFrame (whole or thinned).
    """

    name: str
    frame: pd.DataFrame | CompactFrame
    dataset: Dataset
    source: str
    source_records: int
    facts: dict[str, TextFacts] = field(default_factory=dict)  # text columns measured once: lengths, codelists, writers
    subjects: int | str | None = None  # distinct USUBJID ('' without one), once counted

    def thin(self) -> None:
        """Once written, keep only what the study's metadata still reads: the columns with a codelist (and their
        text facts), and the record and subject counts."""
        from converters.adam.output import count_subjects

        count_subjects(self)
        keep = [v.name for v in self.dataset.variables if v.codelist and v.name in self.frame.columns]
        self.frame = self.columns(keep)
        self.facts = {name: facts for name, facts in self.facts.items() if name in keep}

    def whole(self) -> pd.DataFrame:
        """The frame as a DataFrame (a dataset held as codes is made whole here, and kept so)."""
        if isinstance(self.frame, CompactFrame):
            self.frame = self.frame.frame()
        return self.frame

    def columns(self, names: list[str]) -> pd.DataFrame:
        """Only the columns ``names`` (those present, in that order), without making the others."""
        if isinstance(self.frame, pd.DataFrame):
            return self.frame[[n for n in names if n in self.frame.columns]]
        compact = self.frame
        return pd.DataFrame({n: compact.column(n) for n in names if n in compact.columns}, index=compact.index,
                            columns=pd.Index([n for n in names if n in compact.columns]))

    @property
    def records(self) -> int:
        """Records written."""
        return len(self.frame)


@dataclass
class AdamBuild:
    """Every ADaM dataset of a study with the study metadata."""

    study: Study
    datasets: list[AdamDataset] = field(default_factory=list)

    def frame(self, name: str) -> pd.DataFrame:
        for d in self.datasets:
            if d.name == name:
                return d.whole()
        raise KeyError(name)


def _source_frame(spec: AdamSpec, context: AdamContext) -> pd.DataFrame:
    context.line = spec.lines.get("source")
    if spec.source is None:
        return pd.DataFrame({"STUDYID": pd.Series(dtype=object), "USUBJID": pd.Series(dtype=object)})
    frame = context.dataset(spec.source.dataset)
    if spec.source.filter:
        try:
            keep = evaluate(frame, spec.source.filter)
            frame = frame if bool(np.all(keep)) else frame[keep]  # no copy of a whole dataset the filter keeps
        except KeyError as exc:
            raise SpecError(f"source filter reads {exc.args[0]}, which {spec.source.dataset} does not have",
                            spec.where("source")) from None
    return working_copy(frame.reset_index(drop=True))


def derive_dataset(spec: AdamSpec, sdtm: SdtmFolder, built: dict[str, pd.DataFrame], *,
                   release_source: bool = False) -> tuple[pd.DataFrame, dict[str, Provenance], int]:
    """Run one spec: (frame with the kept variables in order, provenance per variable, source records).

    ``release_source``: no step and no later spec reads the source, so its prepared SDTM copy is let go once the
    source records are taken (the records a filter drops are not held while the steps run).
    """
    context = AdamContext(sdtm=sdtm, built=built, dataset_name=spec.dataset, spec_file=spec.file)
    frame = _source_frame(spec, context)
    if release_source and spec.source is not None:
        sdtm.release(spec.source.dataset)
    source_records = len(frame)
    source_name = spec.source.dataset if spec.source else ""
    for name in frame.columns:
        if spec.source:
            context.note(name, "Predecessor", predecessor=_predecessor(source_name, name, sdtm))
    for step in spec.steps:
        context.line = step.line
        before = set(frame.columns)
        noted = dict(context.provenance)
        try:
            frame = step.verb.fill(frame, step.options, context)
        except KeyError as exc:
            raise DataError(f"{spec.dataset}: {step.verb.name} reads {exc.args[0]!r}, which is not there",
                            Location(spec.file, step.line),
                            hint="derive it in an earlier step, merge it, or correct the name") from None
        text = step.verb.method_text(step.options)
        for name in frame.columns:
            changed = name not in before or context.provenance.get(name) is not noted.get(name)
            if changed and (name not in context.provenance or context.provenance[name] is noted.get(name)):
                context.note(name, step.verb.origin, method=text)
    missing = [v for v in spec.variables if v not in frame.columns]
    if missing:
        raise SpecError(f"{spec.dataset} keeps {', '.join(missing)}, which neither the source "
                        f"{source_name or '(none)'} nor any step provides", spec.where(f"variables.{missing[0]}"),
                        hint="add a step that derives it, or remove it from variables")
    return frame[list(spec.variables)].reset_index(drop=True), context.provenance, source_records


def _predecessor(dataset: str, name: str, sdtm: SdtmFolder) -> str:
    if dataset.upper() in sdtm.frames and name not in sdtm.frames[dataset.upper()].columns:
        return f"SUPP{dataset.upper()}.QVAL where QNAM = {name}"
    return f"{dataset.upper()}.{name}"


def describe_dataset(spec: AdamSpec, frame: pd.DataFrame | CompactFrame, provenance: dict[str, Provenance],
                     sdtm: SdtmFolder, methods: dict[str, Method]
                     ) -> tuple[pd.DataFrame | CompactFrame, Dataset, dict[str, TextFacts]]:
    """Cast the frame to its metadata types and describe it in the metadata model, with the facts of its text.

    A :class:`CompactFrame` (a dataset put together from batches) gives its columns one at a time, each let go
    once described, and the described dataset is given as a CompactFrame too (text columns as the codes of their
    text facts, :func:`_held_column`), so the whole dataset is never held as object text: it is written piece by
    piece (:func:`converters.adam.output.write_dataset_files`).
    """
    variables = []
    facts: dict[str, TextFacts] = {}
    out = pd.DataFrame(index=frame.index)
    held: dict[str, TextColumn | pd.Series] = {}  # a CompactFrame's described columns, text kept as codes
    for order, name in enumerate(spec.variables, start=1):
        meta = spec.variables[name]
        std = standard_variable(name, spec.structure)
        prov = provenance.get(name, Provenance("Derived"))
        label = meta.label or (std.label if std else None) or _sdtm_label(prov, sdtm)
        if not label:
            raise SpecError(f"{spec.dataset}.{name} needs a label: ADaMIG 1.3 does not define it and it has no SDTM "
                            "predecessor", spec.where(f"variables.{name}"), hint=f"write {name}: {{label: ..., "
                            "type: Char}} in variables")
        col, coded = _take_column(frame, name)
        is_date = pd.api.types.is_datetime64_any_dtype(col)
        kind = meta.type or (std.type if std else None) or (
            "Num" if is_date or pd.api.types.is_numeric_dtype(col) else "Char")
        fmt = meta.display_format or (display_format(name) if kind == "Num" else None)
        if is_date and not fmt:
            fmt = "DATE9."
        if kind == "Num":
            if is_date:
                series = col if fmt == "DATETIME20." else pd.to_datetime(col).dt.normalize()
                data_type = "integer"
            else:
                series = pd.to_numeric(col, errors="coerce").astype("float64")
                whole = series.dropna()
                data_type = "integer" if (whole == np.round(whole)).all() else "float"
            length = 8
        else:
            def as_text(u: pd.Series) -> pd.Series:
                return u.map(lambda v: f"{v:g}" if isinstance(v, float) else v)
            codes, table = distinct_map(col, as_text) if coded is None else map_distinct(*coded, as_text)
            series = pd.Series(table[codes], index=col.index, dtype=object)
            data_type = "text"
            length = _text_length(series, spec.dataset, name, facts, (codes, table[:-1]))
        if isinstance(frame, CompactFrame):
            held[name] = _held_column(series, facts.get(name) if data_type == "text" else None)
        else:
            out[name] = series
        var = Variable(name=name, label=label[:40], data_type=data_type, length=length, display_format=fmt,
                       core=meta.core or (std.core if std else None), order=order)
        var.mandatory = var.core == "Req"
        if name in spec.keys:
            var.key_sequence = spec.keys.index(name) + 1
        var.codelist = meta.codelist or assign_codelist(name, spec.structure, prov.predecessor, series, sdtm)
        var.origin, var.method = _origin(spec.dataset, name, prov, methods)
        variables.append(var)
    dataset_class, subclass = CLASSES[spec.structure]
    structure_text = {"ADSL": "One record per subject", "TTE": "One record per subject per parameter",
                      "BDS": "One or more records per subject per parameter per analysis timepoint",
                      "OCCDS": "One record per subject per occurrence"}[spec.structure]
    dataset = Dataset(name=spec.dataset, label=spec.label or LABELS.get(spec.dataset, spec.dataset),
                      domain=None, dataset_class=dataset_class, structure=structure_text, keys=spec.keys,
                      purpose="Analysis", standard=ADAMIG_OID, variables=variables, records=len(frame))
    dataset.subclass = subclass
    if isinstance(frame, CompactFrame):
        return CompactFrame(held, frame.index, list(spec.variables)), dataset, facts
    return out, dataset, facts


def _held_column(series: pd.Series, facts: TextFacts | None) -> TextColumn | pd.Series:
    """A described column of a dataset put together from batches, as it is held until written: a text column as
    the codes of its text facts into their distinct values (None missing), so it is never an object column of the
    whole dataset; any other column as it is."""
    if facts is None:
        return series
    return TextColumn(facts.codes, facts.values, None)


def _take_column(frame: pd.DataFrame | CompactFrame, name: str
                 ) -> tuple[pd.Series, tuple[np.ndarray, np.ndarray] | None]:
    """Column ``name`` of ``frame``, with its (codes, distinct values) when known; a CompactFrame's column is made
    from its codes and let go by the frame.

    The codes of a text column put together from batches are in first appearance order over its records (each
    batch's distinct values in their order, then the next batch's new ones), as factorizing the column gives them.
    """
    if isinstance(frame, pd.DataFrame):
        return frame[name], None
    column = frame.columns.pop(name)  # each variable is described once
    if not isinstance(column, TextColumn):
        return column, None
    coded = (column.codes.astype(np.intp), column.values) if column.dtype is None else None
    return column.series(frame.index), coded


def _text_length(values: pd.Series, dataset: str, name: str, facts: dict[str, TextFacts],
                 distinct: tuple[np.ndarray, np.ndarray] | None = None) -> int:
    """Longest value in UTF-8 bytes (at least 1), from the column's text facts, kept in ``facts`` for the writers.

    ``distinct``: the column as (codes, distinct values) when known, so its records are not factorized again.
    """
    try:
        found = text_facts(values, dataset, name) if distinct is None else facts_of_distinct(*distinct)
    except TransportError:  # a value that is not text: the writers name it
        return _byte_length(values)
    facts[name] = found
    return max(1, int(found.nbytes.max())) if len(found.values) else 1


def facts_of_distinct(codes: np.ndarray, distinct: np.ndarray) -> TextFacts:
    """The text facts of a column given as codes (-1 missing) into its distinct values, first appearance order.

    The same facts :func:`text_facts` gives for the records: the distinct values are measured (and values that
    became equal or missing merged) without a pass over the records; TransportError for a value that is not text.
    """
    table = text_facts(pd.Series(distinct, dtype=object))
    return TextFacts(codes=np.append(table.codes, -1)[codes].astype(table.codes.dtype), values=table.values,
                     nbytes=table.nbytes, nchars=table.nchars)


def _byte_length(values: pd.Series) -> int:
    uniques = pd.Series(pd.unique(values.dropna()), dtype="object").astype(str)
    encoded = uniques.str.encode("utf-8")
    # pandas-stubs: .str.len() works on bytes
    return max(1, int(encoded.str.len().max())) if len(uniques) else 1  # type: ignore[misc]


def _sdtm_label(prov: Provenance, sdtm: SdtmFolder) -> str | None:
    if prov.origin != "Predecessor" or not prov.predecessor or "." not in prov.predecessor:
        return None
    dataset, variable = prov.predecessor.split(" ")[0].split(".", 1)
    if dataset.startswith("SUPP"):
        qnam = prov.predecessor.rsplit("= ", 1)[-1]
        supp = sdtm.frames.get(dataset)
        if supp is not None and "QLABEL" in supp:
            labels = supp.loc[supp["QNAM"] == qnam, "QLABEL"].dropna()
            return str(labels.iloc[0]) if len(labels) else None
        return None
    if dataset.startswith("AD"):
        std = standard_variable(variable, "ADSL" if dataset == "ADSL" else "BDS")
        return std.label if std else None
    label = sdtm.label(dataset, variable)
    if label:
        return label
    try:
        return sdtmig.variable(dataset, variable).label
    except Exception:  # noqa: BLE001 - not an SDTMIG variable of that domain
        return None


def _origin(dataset: str, name: str, prov: Provenance, methods: dict[str, Method]) -> tuple[Origin, str | None]:
    if prov.origin == "Predecessor":
        return Origin("Predecessor", predecessor=prov.predecessor), None
    if prov.origin == "Assigned":
        return Origin("Assigned", "Sponsor"), None
    oid = f"MT.{dataset}.{name}"
    text = prov.method or f"{name} derived by the sponsor."
    methods[oid] = Method(oid, f"Algorithm to derive {dataset}.{name}", text)
    return Origin("Derived", "Sponsor"), oid


def _texts(value: object, names: set[str]) -> None:
    """Add every text of ``value`` (options as dumped: dict keys, values, list items) to ``names``, upper case."""
    if isinstance(value, str):
        names.add(value.upper())
    elif isinstance(value, dict):
        for key, item in value.items():
            _texts(key, names)
            _texts(item, names)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _texts(item, names)


def datasets_read(spec: AdamSpec, steps_only: bool = False) -> set[str]:
    """Names of the datasets (SDTM or ADaM) a spec may read: its source and every text of its steps' options.

    A superset (an option value that happens to be a dataset name counts too), so nothing a spec reads is missed;
    a dataset released too early would only be prepared again.  ``steps_only``: leave the source out.
    """
    names = {spec.source.dataset.upper()} if spec.source and not steps_only else set()
    for step in spec.steps:
        _texts(step.options.model_dump(), names)
    return names


#: Variables every dataset is read with: the subject keys ADaM joins on (merges, SUPP--, ADSL from DM).
ALWAYS_READ = frozenset({"STUDYID", "USUBJID"})


def columns_read(specs: list[AdamSpec]) -> dict[str, frozenset[str] | None]:
    """Per dataset a spec may read (see :func:`datasets_read`): the variables any spec may read from it, or None
    for all of them.

    A superset, by the same rule as the datasets: every text of every spec's steps' options (an ``order`` entry
    with its ``-`` too), its source filter, its keys and its variables, whichever dataset the text was meant for,
    with STUDYID and USUBJID.  A dataset a step copies whole (``derive_vars_merged`` without ``new_vars``) is read
    whole.  Variables a dataset's SUPP-- names (IDVAR, QNAM) are added when it is read
    (:class:`converters.adam.sources.FolderDatasets`).  Verbs read what their options name (defaults included, as
    dumped), so a column left out is one no spec can read; the build with these columns gives the same bytes as
    with all of them (``tests/test_adam_columns.py``).
    """
    names: set[str] = set(ALWAYS_READ)
    whole: set[str] = set()
    for spec in specs:
        texts: set[str] = set()
        for step in spec.steps:
            options = step.options.model_dump()
            _texts(options, texts)
            if step.verb.name == "derive_vars_merged" and not options.get("new_vars"):
                whole.add(str(options["dataset_add"]).upper())
        if spec.source is not None:
            _texts(spec.source.filter, texts)
        _texts([*spec.keys, *spec.variables], texts)
        names |= texts | {t.lstrip("-") for t in texts}
    read = frozenset(names)
    return {name: None if name in whole else read for spec in specs for name in datasets_read(spec)}


def last_reads(specs: list[AdamSpec]) -> dict[str, int]:
    """Per dataset name: the position of the last spec that may read it (see :func:`datasets_read`)."""
    last: dict[str, int] = {}
    for number, spec in enumerate(specs):
        for name in datasets_read(spec):
            last[name] = number
    return last


def build_adam(mappings: str | Path, sdtm_folder: str | Path,
               progress: Callable[[str], None] = lambda _: None, *,
               on_built: Callable[[AdamDataset, Study], None] | None = None,
               batch_subjects: int | None = None) -> AdamBuild:
    """Build every ADaM dataset the study's specs (``<mappings>/adam/*.yaml``) define from an SDTM folder.

    Each SDTM dataset is read when a spec first uses it, with only the variables a spec may read from it
    (:func:`columns_read`), and let go after the last spec that may read it (:func:`last_reads`), and so is each
    built ADaM dataset's working frame.  ``on_built`` is called with each
    dataset as soon as it is described (its frame and variables final; the study's codelists come at the end),
    so a caller can write it, and thin its frame, before the next one is built.  ``batch_subjects``: a dataset
    whose steps are all subject-local is derived per batch of that many subjects (:mod:`converters.adam.batches`;
    the same result), others whole; None derives every dataset whole.
    """
    root = Path(mappings)
    spec_dir = root / "adam" if (root / "adam").is_dir() else root
    specs = load_adam_specs(spec_dir)
    sdtm = read_sdtm_folder(sdtm_folder, columns=columns_read(specs))
    dm = sdtm.frames["DM"]
    studyid = str(dm["STUDYID"].dropna().iloc[0]) if "STUDYID" in dm and dm["STUDYID"].notna().any() else ""
    study = Study(studyid=studyid, name=studyid, standards=[Standard("ADaMIG", "1.3")])
    build = AdamBuild(study)
    built: dict[str, pd.DataFrame] = {}
    methods: dict[str, Method] = {}
    last_use = last_reads(specs)
    for number, spec in enumerate(specs):
        source_name = spec.source.dataset if spec.source else "-"
        progress(f"{spec.dataset}: {len(spec.steps)} steps from {source_name}")
        source_done = spec.source is not None and last_use.get(spec.source.dataset.upper(), -1) <= number \
            and spec.source.dataset.upper() not in datasets_read(spec, steps_only=True)
        result = None if batch_subjects is None else derive_in_batches(
            spec, sdtm, built, datasets_read(spec), batch_subjects,
            partial(derive_dataset, spec), progress)
        if result is None:
            result = derive_dataset(spec, sdtm, built, release_source=source_done)
        elif source_done and spec.source is not None:
            sdtm.release(spec.source.dataset)
        frame, provenance, source_records = result
        del result
        if isinstance(frame, CompactFrame) and last_use.get(spec.dataset, -1) > number:
            frame = frame.frame()  # a later spec reads it
        if isinstance(frame, pd.DataFrame):
            built[spec.dataset] = frame
        out, dataset, facts = describe_dataset(spec, frame, provenance, sdtm, methods)
        del frame
        for name in [n for n in (*built, *sdtm.held) if last_use.get(n, -1) <= number]:
            built.pop(name, None)  # the written copy is build.datasets'; later specs read none of these
            sdtm.release(name, files=True)
        built_dataset = AdamDataset(spec.dataset, out, dataset, source_name, source_records, facts)
        build.datasets.append(built_dataset)
        study.datasets.append(dataset)
        if on_built is not None:
            on_built(built_dataset, study)
        built_dataset.whole()  # held as codes until written: the build's datasets are frames afterwards
    study.methods = [methods[k] for k in sorted(methods)]
    describe_codelists(study, {d.name: d.whole() for d in build.datasets}, {d.name: d.facts for d in build.datasets})
    _ = adamig.version  # the bundled guide is the one named in the metadata
    return build
