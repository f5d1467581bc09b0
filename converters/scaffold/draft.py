"""Write the drafted mapping folder: study.yaml, sdtm/<domain>.yaml, drafts/, forms.md and TODO.md; then check
that the draft loads and builds, moving any domain spec that does not to ``drafts/`` with the reason.

Every drafted line carries ``# REVIEW <confidence>: <evidence>``; what could not be mapped is listed as comments
in the spec it belongs to and in TODO.md.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import CdiscConvertError, DataError, Location
from converters.scaffold import conventions as cv
from converters.scaffold.domains import draft_dm, draft_domain
from converters.scaffold.match import DomainDraft, Guess, ValueMaps, decode_of
from converters.scaffold.profile import FormProfile, profile_folder
from converters.scaffold.study import StudyFacts, study_facts
from converters.scaffold.yamltext import comment, flow, scalar
from converters.standards import ct, sdtmig

#: Order in which domains are drafted (DM needs EX and DS), then the rest alphabetically.
FIRST = ("EX", "DS")


@dataclass
class ScaffoldResult:
    folder: Path
    forms: list[FormProfile]
    specs: list[str] = field(default_factory=list)  # domains written to sdtm/
    drafts: list[str] = field(default_factory=list)  # domains written to drafts/ (incomplete or failing)
    todo: list[str] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)  # domain -> raw forms it reads (merges included)
    built: bool = False
    build_error: str | None = None


def _line(name: str, guess: Guess, indent: str, width: int) -> str:
    return (f"{indent}{name + ':':<{width}} {flow(guess.spec)}"
            f"   # REVIEW {guess.confidence:.2f}: {comment(guess.evidence)}")


def _ordered(domain: str, names: list[str]) -> list[str]:
    order = {v.name: v.order for v in sdtmig.variables(domain)}
    return sorted(names, key=lambda n: (order.get(n, 999), n))


def unused_columns(draft: DomainDraft) -> list[str]:
    """Columns of the domain's forms that no guess reads (identifiers and decoded code columns left out)."""
    lines: list[str] = []
    for block in draft.blocks:
        read = set(block.used) | {str(c) for m in block.merges for c in m["columns"]}  # type: ignore[attr-defined]
        for guess in block.guesses.values():
            read.update(guess.columns)
        names = {c.name.upper() for c in block.form.columns}
        for column in block.form.columns:
            upper = column.name.upper()
            decode = decode_of(upper, names)
            if column.name in read or upper in cv.IDENTIFIERS or column.kind == "empty":
                continue
            if decode and any(c.name.upper() == decode and c.name in read for c in block.form.columns):
                continue
            if any(upper == decode_name + suffix for decode_name in (c.upper() for c in read)
                   for suffix in cv.CODE_SUFFIXES):
                continue
            sample = ", ".join(column.samples[:3])
            if any(line.startswith(f"{block.form.file} column {column.name} ") for line in lines):
                continue
            unit = next((u for s in cv.UNIT_SUFFIXES if (u := block.form.column(column.name + s)) is not None), None)
            what = (f"a test result with unit {unit.name}: add a record block with its {draft.domain}TESTCD"
                    if unit is not None else
                    f"a variable of {draft.domain}, a SUPP{draft.domain} qualifier, or nothing?")
            lines.append(f"{block.form.file} column {column.name} ({column.kind}, {column.distinct} distinct: "
                         f"{sample}): not mapped ({what})")
    return lines


def spec_text(draft: DomainDraft, facts: StudyFacts) -> str:
    """The YAML text of one domain spec."""
    d = draft.domain
    label = sdtmig.dataset(d).label
    forms = ", ".join(dict.fromkeys(b.form.file for b in draft.blocks))
    out = [f"# {d} - {label}: drafted by cdisc-convert init from {forms}.",
           "# Every line marked REVIEW is a guess with its evidence and confidence (0-1); check each against the",
           "# protocol and the aCRF, then delete the marker. Unmapped raw columns are listed at the end as TODO.",
           f"domain: {d}", f"description: {scalar('Drafted from ' + forms + '.')}"]
    width = max([len(n) for n in draft.shared] + [len(n) for b in draft.blocks for n in b.guesses] + [6]) + 1
    single = len(draft.blocks) == 1
    if single:
        block = draft.blocks[0]
        out.append(f"source: {block.form.name}")
        if block.filter:
            out.append(f"filter: {flow(block.filter)}   # REVIEW 0.70: {comment(block.filter_evidence)}")
        if block.merges:
            out.append("merge:")
            out += [f"  - {flow(m)}   # REVIEW 0.70: per-subject columns of {m['source']}" for m in block.merges]
        variables = {**block.guesses, **draft.shared}
        out.append("variables:")
        out += [_line(n, variables[n], "  ", width) for n in _ordered(d, list(variables))]
    else:
        out.append("variables:")
        out += [_line(n, draft.shared[n], "  ", width) for n in _ordered(d, list(draft.shared))]
        out.append("records:")
        for block in draft.blocks:
            out.append(f"  - source: {block.form.name}")
            if block.filter:
                out.append(f"    filter: {flow(block.filter)}   # REVIEW 0.70: {comment(block.filter_evidence)}")
            out.append("    variables:")
            out += [_line(n, block.guesses[n], "      ", width) for n in _ordered(d, list(block.guesses))]
    if draft.supp:
        out.append("supp:")
        out += [_line(n, g, "  ", width) for n, g in draft.supp.items()]
    missing = draft.missing_required()
    notes = ([f"Req variable {name} is not filled: map it, or this spec cannot build" for name in missing]
             + draft.todo + unused_columns(draft))
    if notes:
        out.append("")
        out += [f"# TODO: {comment(n)}" for n in notes]
    return "\n".join(out) + "\n"


def _raw_folder(raw: Path, folder: Path) -> str | None:
    """raw.folder relative to study.yaml when the raw folder is inside the study root (converters.spec.paths)."""
    root = folder.parent.parent if folder.parent.name == "mappings" else folder
    try:
        raw.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return Path(os.path.relpath(raw.resolve(), folder.resolve())).as_posix()


def study_text(facts: StudyFacts, maps: ValueMaps, raw: Path, folder: Path, study: str,
               encodings: dict[str, str]) -> str:
    """The YAML text of the drafted study.yaml (docs/study-yaml.md)."""
    out = [f"# study.yaml of {study}: drafted by cdisc-convert init from {raw}.",
           "# Every value marked REVIEW is a guess; TODO marks what the raw files cannot say (docs/study-yaml.md).",
           f"study: {flow({'studyid': facts.studyid, 'title': None, 'short_title': None, 'protocol_number': facts.studyid, 'sponsor': None, 'registry_id': None})}"  # noqa: E501
           "   # TODO: title, sponsor and registry id from the protocol",
           f"standards: {flow({'sdtmig': '3.4', 'sdtm': '2.0', 'ct': ct.version, 'meddra': None})}"
           "   # TODO: MedDRA version of the AE coding",
           "data_cutoff: null   # TODO: the data cut-off date (ISO 8601), or null for final data"]
    relative = _raw_folder(raw, folder)
    raw_map: dict[str, object] = {"encodings": encodings}
    if relative:
        raw_map = {"folder": relative, **raw_map}
        out.append(f"raw: {flow(raw_map)}")
    else:
        out.append(f"raw: {flow(raw_map)}   # the raw folder is outside this project: run with --raw {raw}")
    out.append(f"usubjid: {flow({'pattern': '{STUDYID}-{' + facts.subject + '}'})}   # REVIEW 0.80: "
               f"subject column {facts.subject}")
    if facts.arms:
        out.append(f"arms:   # REVIEW 0.60: one arm per code of {facts.arm_form}.{facts.arm_column}; "
                   "ARMCD/ARM wording from the protocol")
        out += [f"  - {flow(arm)}" for arm in facts.arms]
        out.append(f"arm_assignment: {flow({'form': facts.arm_form, 'column': facts.arm_column})}")
    if facts.has_design:
        out += ["elements:   # REVIEW 0.50: a screening and a treatment element; the protocol may define more",
                f"  - {flow({'ETCD': 'SCRN', 'ELEMENT': 'Screening', 'TESTRL': 'Informed consent', 'TEENRL': 'First dose of study treatment', 'TEDUR': None})}",  # noqa: E501
                f"  - {flow({'ETCD': 'TRT', 'ELEMENT': 'Treatment', 'TESTRL': 'First dose of study treatment', 'TEENRL': 'End of study', 'TEDUR': None})}",  # noqa: E501
                "trial_arms:"]
        for arm in facts.arms:
            out.append(f"  {scalar(arm['ARMCD'])}:")
            out.append(f"    - {flow({'TAETORD': 1, 'ETCD': 'SCRN', 'EPOCH': 'SCREENING', 'TABRANCH': None, 'TATRANS': None})}")  # noqa: E501
            out.append(f"    - {flow({'TAETORD': 2, 'ETCD': 'TRT', 'EPOCH': 'TREATMENT', 'TABRANCH': None, 'TATRANS': None})}")  # noqa: E501
        assert facts.consent is not None and facts.reference_start is not None
        out += ["element_dates:",
                f"  - {flow({'TAETORD': 1, 'start': {**facts.consent.as_dict(), 'pick': 'first'}})}",
                f"  - {flow({'TAETORD': 2, 'start': facts.reference_start.as_dict()})}"]
    for name in ("study_end", "reference_start", "reference_end"):
        source = getattr(facts, name)
        if source is not None:
            out.append(f"{name}: {flow(source.as_dict())}   # REVIEW 0.70: {comment(source.evidence)}")
    if facts.visits:
        out.append("visits:   # REVIEW 0.60: one visit per raw folder, ordered by the median day it happens on; "
                   "TODO: VISITDY and windows from the protocol")
        out += [f"  - {flow(v)}" for v in facts.visits]
    if facts.non_visit_folders:
        out.append(f"non_visit_folders: {flow(facts.non_visit_folders)}   # REVIEW 0.70: folders only log forms use")
    out.append("trial_summary:   # TODO: the other TS parameters FDA expects (TITLE, TPHASE, STYPE ...)")
    out.append(f"  - {flow({'TSPARMCD': 'SDTIGVER', 'TSVAL': '3.4'})}")
    out.append(f"  - {flow({'TSPARMCD': 'SDTMVER', 'TSVAL': '2.0'})}")
    if facts.consent is not None:
        out.append(f"  - {flow({'TSPARMCD': 'SSTDTC', 'TSVAL': None, 'derive': 'earliest_consent_date'})}")
    if facts.criteria and facts.ie:
        out.append("inclusion_exclusion:   # TODO: only the criteria some subject did not meet are in the raw data; "
                   "add the others from the protocol")
        out += [f"  - {flow(c)}" for c in facts.criteria]
        out.append(f"ie_source: {flow(facts.ie)}")
    if maps.maps:
        out.append("value_maps:")
        for name, table in maps.maps.items():
            out.append(f"  {scalar(name)}: {flow(table)}   # REVIEW 0.60: {comment(maps.notes.get(name, ''))}")
    return "\n".join(out) + "\n"


def forms_text(forms: list[FormProfile], facts: StudyFacts) -> str:
    """forms.md: every raw form with its columns, kinds, fill and distinct-value samples."""
    out = ["# Raw forms", "", "Drafted by cdisc-convert init: each form's guessed domain and its columns.", ""]
    for form in forms:
        domain, score, evidence = facts.domains[form.name]
        out += [f"## {form.file}", "", f"{form.rows} rows; subject column {form.subject or '-'}; at most "
                f"{form.max_per_subject} rows per subject; domain guess: {domain or 'none'}"
                + (f" (score {score:g}: {evidence})" if domain else ""), "",
                "| Column | Kind | Filled | Distinct | Sample values |", "| --- | --- | --- | --- | --- |"]
        for col in form.columns:
            sample = ", ".join(v.replace("|", "\\|") for v in col.samples)
            out.append(f"| {col.name} | {col.kind} | {col.filled} | {col.distinct} | {sample} |")
        out.append("")
    return "\n".join(out)


def _drafts(forms: list[FormProfile], facts: StudyFacts, maps: ValueMaps) -> tuple[list[DomainDraft], list[str]]:
    by_domain: dict[str, list[FormProfile]] = {}
    todo: list[str] = []
    for form in forms:
        domain = facts.domains[form.name][0]
        if domain is None:
            todo.append(f"{form.file}: no SDTM domain guessed (no column names an SDTM variable); "
                        "map it by hand or leave it logged as 'not mapped'")
        elif domain in cv.BUILTIN_DOMAINS:
            continue
        elif domain != "DM":
            by_domain.setdefault(domain, []).append(form)
    drafts: dict[str, DomainDraft] = {}
    for domain in [*[d for d in FIRST if d in by_domain], *sorted(set(by_domain) - set(FIRST))]:
        drafts[domain] = draft_domain(domain, by_domain[domain], facts, maps)
    dm = draft_dm(forms, facts, maps, drafts.get("EX"))
    if dm is None:
        todo.append("no demographics form (one row per subject with DM variables) was found: write sdtm/dm.yaml")
    ordered = ([dm] if dm else []) + [drafts[d] for d in sorted(drafts)]
    return ordered, todo


def _write(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _spec_of(error: CdiscConvertError, folder: Path) -> str | None:
    """The domain spec (file stem) an error names, when it is one of the draft's sdtm/ specs."""
    file = error.where.file
    if not file:
        return None
    path = Path(file)
    if path.parent.name == "sdtm" and path.suffix == ".yaml" and (folder / "sdtm" / path.name).is_file():
        return path.stem
    return None


def check_draft(folder: Path, raw: Path, result: ScaffoldResult, say: Callable[[str], None]) -> None:
    """Build the draft once; a domain spec that stops the build moves to drafts/ with the reason, and again."""
    from converters.sdtm.study import build_study

    for _attempt in range(len(result.specs) + 1):
        try:
            build_study(folder, raw)
        except CdiscConvertError as exc:
            stem = _spec_of(exc, folder)
            if stem is None or stem == "dm":
                result.build_error = str(exc)
                result.todo.append(f"the draft does not build yet: {comment(str(exc))}")
                return
            source = folder / "sdtm" / f"{stem}.yaml"
            text = source.read_text(encoding="utf-8") + f"# TODO: moved out of sdtm/ because: {comment(str(exc))}\n"
            _write(folder, f"drafts/{stem}.yaml", text)
            source.unlink()
            domain = stem.upper()
            result.specs.remove(domain)
            result.drafts.append(domain)
            result.todo.append(f"{domain}: moved to drafts/ because the build stopped on it: {comment(str(exc))}")
            say(f"{domain}: the build stopped on it, moved to drafts/")
            continue
        except Exception as exc:  # noqa: BLE001 - a bug of the build must not lose the draft: it is reported instead
            result.build_error = f"{type(exc).__name__}: {exc}"
            result.todo.append(f"the trial build failed with an internal error ({result.build_error}); "
                               "please report it with forms.md")
            return
        result.built = True
        return


def _todo_text(result: ScaffoldResult, study: str) -> str:
    out = [f"# TODO for {study}", "", "Drafted by cdisc-convert init. Work through this list, then review every line "
           "marked REVIEW in study.yaml and sdtm/*.yaml (docs/init.md).", ""]
    out += [f"- [ ] {item}" for item in result.todo]
    return "\n".join(out) + "\n"


def scaffold_study(raw: Path, folder: Path, study: str, *, encodings: dict[str, str] | None = None,
                   check: bool = True, say: Callable[[str], None] | None = None) -> ScaffoldResult:
    """Draft ``folder`` (mappings/<study>) from the raw exports in ``raw``; the folder must not hold a study."""
    echo = say or (lambda _msg: None)
    if (folder / "study.yaml").exists() or (folder / "sdtm").exists():
        raise DataError(f"{folder} already holds a study (study.yaml or sdtm/)", Location(str(folder)),
                        hint="init drafts a new mappings folder; give an empty or new folder")
    forms = profile_folder(raw, encodings)
    if not forms:
        raise DataError(f"no raw export in {raw}", Location(str(raw)), hint="point init at the raw export folder")
    echo(f"read {len(forms)} raw forms from {raw}")
    facts = study_facts(forms, study)
    maps = ValueMaps()
    drafts, todo = _drafts(forms, facts, maps)
    result = ScaffoldResult(folder, forms, todo=todo + facts.notes)
    if facts.ie:
        result.sources["IE"] = [str(facts.ie["form"])]
    tmp = folder.parent / f".{folder.name}.init"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        _write(tmp, "study.yaml", study_text(facts, maps, raw, folder, study, dict(encodings or {})))
        _write(tmp, "forms.md", forms_text(forms, facts))
        for draft in drafts:
            missing = draft.missing_required()
            where = "sdtm" if not missing else "drafts"
            _write(tmp, f"{where}/{draft.domain.lower()}.yaml", spec_text(draft, facts))
            (result.specs if not missing else result.drafts).append(draft.domain)
            result.sources[draft.domain] = [b.form.name for b in draft.blocks] + [
                str(m["source"]) for b in draft.blocks for m in b.merges]
            if missing:
                result.todo.append(f"{draft.domain}: Req variable(s) {', '.join(missing)} not mapped; the draft is "
                                   f"in drafts/{draft.domain.lower()}.yaml (move it to sdtm/ when complete)")
            result.todo += [f"{draft.domain}: {n}" for n in draft.todo]
            result.todo += [f"{draft.domain}: {n}" for n in unused_columns(draft)]
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            folder.rmdir()  # empty by the check above (a non-empty one fails here, naming the folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if check:
        echo("checking that the draft builds ...")
        check_draft(folder, raw, result, echo)
    _write(folder, "TODO.md", _todo_text(result, study))
    return result
