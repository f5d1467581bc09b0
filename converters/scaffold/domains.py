"""Draft one domain spec per SDTM domain the raw forms feed: the record blocks, the variables SDTMIG derives
(USUBJID, --SEQ, --DY, EPOCH) and, for DM, the subject-level template (reference dates, death, arms, race)."""
from __future__ import annotations

from converters.scaffold import conventions as cv
from converters.scaffold.match import (
    Block, DomainDraft, Guess, ValueMaps, checkbox_group, choice_terms, guess_columns, occurrence_filter,
)
from converters.scaffold.findings import findings_blocks, is_findings
from converters.scaffold.long_findings import long_findings_block
from converters.scaffold.profile import FormProfile
from converters.scaffold.study import StudyFacts
from converters.standards import sdtmig

#: DM variables the template fills from study.yaml and other domains, never from a column of the same name.
DM_TEMPLATE = {"ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC",
               "RFPENDTC", "DTHFL", "RACE", "USUBJID", "DOMAIN", "STUDYID"}


def _shared(domain: str, facts: StudyFacts, forms: list[FormProfile]) -> dict[str, Guess]:
    has_studyid = all(f.column("STUDYID") is not None for f in forms)
    studyid = Guess("STUDYID", {"assign": "STUDYID"}, 0.95, "raw column STUDYID") if has_studyid else \
        Guess("STUDYID", {"hardcode": facts.studyid}, 0.8, "the study identifier of study.yaml")
    return {
        "STUDYID": studyid,
        "DOMAIN": Guess("DOMAIN", {"hardcode": domain}, 1.0, "the domain code"),
        "USUBJID": Guess("USUBJID", {"derive": "usubjid"}, 0.9,
                         f"study.yaml usubjid.pattern from STUDYID and {facts.subject}"),
    }


def _timing(draft: DomainDraft, facts: StudyFacts, ex_dates: list[str]) -> None:
    """--SEQ, --DY and EPOCH from the date variables the blocks fill."""
    d = draft.domain
    variables = {v.name for v in sdtmig.variables(d)}

    def everywhere(name: str) -> bool:
        return all(name in b.guesses for b in draft.blocks)

    dates = [n for n in (f"{d}STDTC", f"{d}DTC", f"{d}ENDTC") if n in variables and everywhere(n)]
    if f"{d}SEQ" in variables:
        order = [n for n in (f"{d}STDTC", f"{d}DTC") if n in dates][:1]
        order += [n for n in (f"{d}DECOD", f"{d}TRT", f"{d}TESTCD", f"{d}TERM") if n in variables and everywhere(n)][:1]
        order += [n for n in (f"{d}SPID",) if everywhere(n)]
        spec: dict[str, object] = {"seq": {"by": "USUBJID", "order": order} if order else {"by": "USUBJID"}}
        draft.shared[f"{d}SEQ"] = Guess(f"{d}SEQ", spec, 0.9, "1..n per subject (SDTMIG --SEQ); REVIEW the order")
    if facts.reference_start is not None:
        for date in dates:
            day = date[:-3] + "DY" if date != f"{d}DTC" else f"{d}DY"
            if day in variables:
                draft.shared[day] = Guess(day, {"study_day": date}, 0.9, f"study day of {date} from DM.RFSTDTC")
    visit_columns = {b.form.visit for b in draft.blocks}
    if is_findings(d) and facts.visits and len(visit_columns) == 1 and None not in visit_columns and dates:
        column = visit_columns.pop()
        for name in ("VISITNUM", "VISIT"):
            if name in variables:
                draft.shared[name] = Guess(name, {"visit": column, "date": dates[0]}, 0.8,
                                           f"visit plan of study.yaml by the raw folder {column}")
    if facts.has_design and "EPOCH" in variables and dates and dates[0] != f"{d}ENDTC":
        draft.shared["EPOCH"] = Guess("EPOCH", {"epoch": dates[0]}, 0.8,
                                      f"EPOCH of {dates[0]} from the subject's elements (study.yaml element_dates)")


def draft_domain(domain: str, forms: list[FormProfile], facts: StudyFacts, maps: ValueMaps) -> DomainDraft:
    """A non-DM domain from the forms guessed for it: one record block per form."""
    draft = DomainDraft(domain, [])
    for form in forms:
        if is_findings(domain):
            long_block, notes = long_findings_block(form, domain, maps)
            if long_block is not None:
                draft.blocks.append(long_block)
                draft.todo += notes
                continue
            blocks, notes = findings_blocks(form, domain, maps)
            if blocks:
                draft.blocks += blocks
                draft.todo += notes
                continue
        guesses, used = guess_columns(form, domain, maps)
        guesses.pop("STUDYID", None)
        block = Block(form, guesses, used=used)
        block.filter, block.filter_evidence = occurrence_filter(form, domain)
        if block.filter:
            block.used.add(str(block.filter["column"]))
        if domain == "DS" and "DSTERM" not in guesses and "DSDECOD" in guesses:
            column = guesses["DSDECOD"].spec.get("assign_ct")
            decode = form.column(str(column)) if column else None
            if decode is not None and not any(str(column).upper().endswith(s) for s in cv.CODE_SUFFIXES):
                guesses["DSTERM"] = Guess("DSTERM", {"assign": decode.name}, 0.5,
                                          f"no verbatim term collected: the decode {decode.name} stands in", ())
        draft.blocks.append(block)
    draft.shared.update(_shared(domain, facts, forms))
    _timing(draft, facts, [])
    return draft


def _merge_for(form: FormProfile, main: FormProfile, columns: list[str], facts: StudyFacts) -> dict[str, object]:
    merge: dict[str, object] = {"source": form.name, "by": [facts.subject], "columns": columns}
    if any(main.column(c) is not None for c in columns):
        merge["prefix"] = form.name.upper()[:4] + "_"
    return merge


def draft_dm(forms: list[FormProfile], facts: StudyFacts, maps: ValueMaps,
             ex: DomainDraft | None) -> DomainDraft | None:
    """DM from the demographics form, with consent, death and arm columns merged from other per-subject forms."""
    candidates = [f for f in forms if facts.domains[f.name][0] == "DM" and f.one_per_subject]
    if not candidates:
        return None
    main = next((f for f in candidates if f.name == "dm"), max(candidates, key=lambda f: facts.domains[f.name][1]))
    guesses, used = guess_columns(main, "DM", maps, skip=DM_TEMPLATE)
    block = Block(main, guesses, used=used)
    draft = DomainDraft("DM", [block])
    draft.shared.update(_shared("DM", facts, [main]))
    block.guesses.pop("STUDYID", None)
    merged: dict[str, list[str]] = {}

    def column_of(source, variable: str, spec_key: str = "datetime", confidence: float = 0.8) -> None:
        if source is None:
            return
        name = source.column
        if source.form != main.name:
            merged.setdefault(source.form, []).append(name)
        block.guesses[variable] = Guess(variable, {spec_key: name}, confidence, source.evidence, (name,))

    if "RFICDTC" not in block.guesses:
        column_of(facts.consent, "RFICDTC")
    if "DTHDTC" not in block.guesses:
        column_of(facts.death, "DTHDTC")
    if "DTHDTC" in block.guesses:
        draft.shared["DTHFL"] = Guess("DTHFL", {"derive": "flag_if_present", "args": {"variable": "DTHDTC"}}, 0.9,
                                      "SDTMIG 3.4: Y when DTHDTC is present")
    if facts.reference_start is not None:
        for variable, source in (("RFSTDTC", "reference_start"), ("RFENDTC", "reference_end")):
            draft.shared[variable] = Guess(variable, {"derive": "source_date", "args": {"source": source}}, 0.7,
                                           f"study.yaml {source}: {facts.reference_start.evidence}")
    if ex is not None and "EXSTDTC" not in ex.missing_required() and ex.filled("EXSTDTC"):
        draft.shared["RFXSTDTC"] = Guess("RFXSTDTC", {"derive": "first_date", "args": {
            "domain": "EX", "variables": ["EXSTDTC"]}}, 0.8, "SDTMIG 3.4: first exposure to any study treatment")
        last = ["EXENDTC", "EXSTDTC"] if ex.filled("EXENDTC") else ["EXSTDTC"]
        draft.shared["RFXENDTC"] = Guess("RFXENDTC", {"derive": "last_date", "args": {
            "domain": "EX", "variables": last}}, 0.8, "SDTMIG 3.4: last exposure to any study treatment")
    if facts.study_end is not None:
        draft.shared["RFPENDTC"] = Guess("RFPENDTC", {"derive": "participation_end", "args": {"source": "study_end"}},
                                         0.7, f"end of participation: {facts.study_end.evidence}, else last contact")
    if facts.arms and facts.arm_form and facts.arm_column:
        if facts.arm_form != main.name:
            merged.setdefault(facts.arm_form, []).append(facts.arm_column)
        why = f"arms drafted in study.yaml from {facts.arm_form}.{facts.arm_column}"
        draft.shared["ARMCD"] = Guess("ARMCD", {"derive": "planned_arm"}, 0.8, why)
        draft.shared["ARM"] = Guess("ARM", {"derive": "arm_name", "args": {"from": "ARMCD"}}, 0.8, why)
        if ex is not None:
            for variable in ("ARMCD", "ARM"):
                draft.shared["ACT" + variable] = Guess("ACT" + variable, {"derive": "actual_arm", "args": {
                    "variable": variable}}, 0.7, "SDTMIG 3.4: the planned arm when the subject has EX records")
        draft.shared["ARMNRS"] = Guess("ARMNRS", {"derive": "arm_null_reason", "args": {
            "not_assigned": "SCREEN FAILURE"}}, 0.6, "ARMNRS when ARMCD or ACTARMCD is blank (SDTMIG 3.4)")
    boxes = checkbox_group(main, "RACE")
    if boxes:
        table, missing = choice_terms(boxes, "RACE", "RACE")
        if table:
            name = maps.add("race_checkboxes", table, "RACE check-box column -> RACE term (column-name abbreviations)")
            draft.shared["RACE"] = Guess("RACE", {"derive": "multiple_choice", "args": {"choices": name},
                                                  "codelist": "RACE"}, 0.8,
                                         f"check boxes {', '.join(table)}; MULTIPLE when several are ticked "
                                         "(SDTMIG 3.4 DM assumption)", tuple(table))
            block.used.update(table)
            frame = main.source.frame[list(table)].astype("string").apply(lambda s: s.str.strip().str.upper())
            most = int(frame.isin(["1", "Y"]).sum(axis=1).max()) if len(frame) else 0
            for item in range(1, most + 1 if most > 1 else 1):
                draft.supp[f"RACE{item}"] = Guess(f"RACE{item}", {"derive": "multiple_choice", "args": {
                    "choices": name, "item": item}, "label": f"Race {item}"}, 0.7,
                    f"ticked race number {item} when several are ticked (up to {most} in the data)", ())
        for column in missing:
            draft.todo.append(f"DM: race check box {column} matches no RACE term")
        other = next((c for c in main.columns if c.name.upper().startswith("RACE") and c.kind == "text"), None)
        if other is not None:
            draft.supp["RACEOTH"] = Guess("RACEOTH", {"assign": other.name, "label": "Race Other"}, 0.6,
                                          f"free text beside the race check boxes ({other.name})", (other.name,))
            block.used.add(other.name)
    if "AGEU" not in block.guesses and "AGE" in block.guesses:
        block.guesses["AGEU"] = Guess("AGEU", {"hardcode": "YEARS", "codelist": "AGEU"}, 0.5,
                                      "AGE is collected without a unit: YEARS assumed")
    for form_name, columns in merged.items():
        form = next(f for f in forms if f.name == form_name)
        merge = _merge_for(form, main, sorted(set(columns)), facts)
        block.merges.append(merge)
        prefix = str(merge.get("prefix", ""))
        if prefix:
            for guess in block.guesses.values():
                for key in ("datetime", "assign"):
                    if guess.spec.get(key) in columns:
                        guess.spec[key] = prefix + str(guess.spec[key])
    if not any(f"{facts.subject}" == c.name for c in main.columns):
        draft.todo.append(f"DM: the demographics form {main.name} has no subject column {facts.subject}")
    return draft
