"""Study-level facts ``init`` drafts for study.yaml from the profiled forms: identifiers, date sources, arms,
visits, a minimal trial design, eligibility, value maps."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from converters.scaffold import conventions as cv
from converters.scaffold.match import guess_domain
from converters.scaffold.profile import ColumnProfile, FormProfile

#: Domains whose forms are logs (no visit): a folder used only by such forms is a non-visit folder.
LOG_DOMAINS = {"AE", "DS", "DD", "CM", "MH", "PR", "DV", "CE", "HO"}
ARM_CODE_COLUMNS = ("ARMCD", "ARM_CD", "ARMCODE", "ARM_CODE", "TRTGRP_CD", "COHORT_CD")


@dataclass
class Source:
    """A study.yaml date source, with the evidence for it."""

    form: str
    column: str
    time_column: str | None = None
    where: dict[str, str] | None = None
    pick: str | None = None
    evidence: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"form": self.form, "column": self.column}
        if self.time_column:
            out["time_column"] = self.time_column
        if self.where:
            out["where"] = self.where
        if self.pick:
            out["pick"] = self.pick
        return out


@dataclass
class StudyFacts:
    studyid: str
    subject: str
    domains: dict[str, tuple[str | None, float, str]]  # form -> (domain, score, evidence)
    reference_start: Source | None = None
    reference_end: Source | None = None
    study_end: Source | None = None
    consent: Source | None = None
    death: Source | None = None
    arm_form: str | None = None
    arm_column: str | None = None
    arms: list[dict[str, object]] = field(default_factory=list)
    visits: list[dict[str, object]] = field(default_factory=list)
    non_visit_folders: list[str] = field(default_factory=list)
    ie: dict[str, object] | None = None
    criteria: list[dict[str, object]] = field(default_factory=list)
    exposure_forms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_design(self) -> bool:
        """Enough to draft elements, trial arms and element dates (EPOCH, SE)."""
        return bool(self.arms and self.consent and self.reference_start)


def _studyid(forms: list[FormProfile], fallback: str) -> str:
    values: set[str] = set()
    for form in forms:
        column = form.column("STUDYID")
        if column is not None:
            values.update(column.values)
    return values.pop() if len(values) == 1 else fallback.upper()


def _date_column(form: FormProfile) -> ColumnProfile | None:
    """The form's first collected date that dates the visit (a birth date does not)."""
    return next((c for c in form.columns if c.kind == "date" and "BRTH" not in c.name.upper()
                 and "BIRTH" not in c.name.upper()), None)


def _per_subject_column(forms: list[FormProfile], names: tuple[str, ...]) -> tuple[FormProfile, ColumnProfile] | None:
    for form in forms:
        if not form.one_per_subject:
            continue
        for name in names:
            column = form.column(name)
            if column is not None and column.kind != "empty":
                return form, column
    return None


def _exposure_source(forms: list[FormProfile], facts: StudyFacts) -> None:
    """reference_start/end: the first/last start date of the exposure form (given doses only)."""
    from converters.scaffold.match import occurrence_filter

    ranked = []
    for form in forms:
        if facts.domains[form.name][0] != "EX":
            continue
        date = form.column("EXSTDAT") or form.column("EXDAT") or _date_column(form)
        if date is None:
            continue
        time = form.column("EXSTTIM")
        ranked.append((time is None, form.name, form, date, time))
    facts.exposure_forms = [r[1] for r in sorted(ranked, key=lambda r: r[1])]
    if not ranked:
        return
    _no_time, _name, form, date, time = sorted(ranked, key=lambda r: (r[0], r[1]))[0]
    flt, _why = occurrence_filter(form, "EX")
    where = {str(flt["column"]): "Y"} if flt else None
    others = [r[1] for r in ranked if r[1] != form.name]
    why = (f"first/last {date.name} of {form.name}" + (f" where {flt['column']} is Y" if flt else "")
           + (f"; REVIEW: RFSTDTC is the first dose of the study treatment the protocol names (other exposure "
              f"forms: {', '.join(others)})" if others else ""))
    facts.reference_start = Source(form.name, date.name, time.name if time else None, where, "first", why)
    facts.reference_end = Source(form.name, date.name, time.name if time else None, where, "last", why)


def _visits(forms: list[FormProfile], facts: StudyFacts) -> None:
    """Visits from the raw folder names, ordered by the median day they happen on relative to each subject's
    earliest date; folders only log forms use are non-visit folders."""
    from converters.sdtm.dates import to_iso8601

    frames = []
    users: dict[str, set[str]] = {}
    for form in forms:
        date = _date_column(form)
        if form.visit is None or form.subject is None:
            continue
        frame = form.source.frame
        for folder in frame[form.visit].dropna().astype(str).str.strip().unique():
            users.setdefault(folder, set()).add(facts.domains[form.name][0] or form.name)
        if date is None:
            continue
        iso = to_iso8601(frame[date.name]).iso
        when = pd.to_datetime(iso.where(iso.astype("string").str.len().eq(10)), errors="coerce")
        frames.append(pd.DataFrame({"subject": frame[form.subject], "folder": frame[form.visit].astype("string")
                                    .str.strip(), "when": when}))
    if not users:
        return
    non_visit = sorted(f for f, domains in users.items() if domains <= LOG_DOMAINS)
    facts.non_visit_folders = non_visit
    median: dict[str, float] = {}
    study_day: dict[str, float] = {}
    if frames:
        data = pd.concat(frames, ignore_index=True).dropna(subset=["subject", "folder"])
        data["day"] = (data["when"] - data.groupby("subject")["when"].transform("min")).dt.days
        median = {str(k): float(v) for k, v in data.groupby("folder")["day"].median().dropna().items()}
        start = _reference_dates(forms, facts)
        if start is not None:
            days = (data["when"] - data["subject"].map(start)).dt.days
            data["dy"] = days.where(days < 0, days + 1)  # SDTM study day: no day 0
            study_day = {str(k): float(v) for k, v in data.groupby("folder")["dy"].median().dropna().items()}
    visits = sorted((f for f in users if f not in non_visit), key=lambda f: (median.get(f, float("inf")), f))
    facts.visits = []
    for number, folder in enumerate(visits, 1):
        visit: dict[str, object] = {"VISITNUM": number, "VISIT": " ".join(folder.upper().split())[:200]}
        if folder in study_day:
            visit["VISITDY"] = int(study_day[folder])
            visit["TVSTRL"] = None
        else:
            visit["VISITDY"] = None
            visit["TVSTRL"] = f"{folder} visit"
        visit["raw_folders"] = [folder]
        facts.visits.append(visit)


def _reference_dates(forms: list[FormProfile], facts: StudyFacts) -> pd.Series | None:
    """Each subject's reference start date (study day 1) from the drafted reference_start source."""
    from converters.sdtm.dates import to_iso8601

    source = facts.reference_start
    if source is None:
        return None
    form = next(f for f in forms if f.name == source.form)
    frame = form.source.frame
    if source.where:
        for column, value in source.where.items():
            frame = frame[frame[column].astype("string").str.strip().str.upper().eq(value)]
    iso = to_iso8601(frame[source.column]).iso
    when = pd.to_datetime(iso.where(iso.astype("string").str.len().eq(10)), errors="coerce")
    return pd.Series(when.to_numpy(), index=frame[form.subject].to_numpy()).groupby(level=0).min()


def _arms(forms: list[FormProfile], facts: StudyFacts) -> None:
    found = _per_subject_column(forms, ARM_CODE_COLUMNS)
    if found is None:
        return
    form, code = found
    decode = form.column("ARM")
    frame = form.source.frame
    arms: list[dict[str, object]] = []
    for value in sorted(code.values):
        rows = frame[frame[code.name].astype("string").str.strip().eq(value)]
        name = value
        if decode is not None:
            names = rows[decode.name].dropna().astype(str).str.strip().value_counts()
            name = names.index[0] if len(names) else value
        armcd = "".join(ch if ch.isalnum() else "_" for ch in value.upper())[:20]
        arms.append({"ARMCD": armcd, "ARM": name[:200], "raw_codes": [value]})
    facts.arm_form, facts.arm_column, facts.arms = form.name, code.name, arms


def _eligibility(forms: list[FormProfile], facts: StudyFacts) -> None:
    for form in forms:
        testcd = form.column("IETESTCD")
        if testcd is None or facts.domains[form.name][0] != "IE":
            continue
        frame = form.source.frame
        cat, test = form.column("IECAT"), form.column("IETEST")
        criteria: list[dict[str, object]] = []
        for value in sorted(testcd.values):
            rows = frame[frame[testcd.name].astype("string").str.strip().eq(value)]
            category = str(rows[cat.name].dropna().iloc[0]).strip().upper() if cat is not None and \
                rows[cat.name].notna().any() else ("EXCLUSION" if value.upper().startswith("EX") else "INCLUSION")
            text = str(rows[test.name].dropna().iloc[0]).strip() if test is not None and \
                rows[test.name].notna().any() else value
            criteria.append({"IETESTCD": value[:8], "IECAT": category, "IETEST": text[:200], "full_text": text})
        source: dict[str, object] = {"form": form.name, "testcd_column": testcd.name}
        dated = _date_column(form)
        if form.column("IEDAT") is None and dated is not None:
            source["date_column"] = dated.name
        facts.ie, facts.criteria = source, criteria
        return


def study_facts(forms: list[FormProfile], study: str) -> StudyFacts:
    """What the raw forms say about the study as a whole (every fact a guess the draft marks for review)."""
    subjects = [f.subject for f in forms if f.subject]
    subject = max(set(subjects), key=subjects.count) if subjects else "SUBJID"
    facts = StudyFacts(studyid=_studyid(forms, study), subject=subject,
                       domains={f.name: guess_domain(f) for f in forms})
    _exposure_source(forms, facts)
    for names, attr, why in ((("ICDAT", "RFICDAT", "CONSDAT"), "consent", "informed consent date"),
                             (("DTHDAT",), "death", "death date")):
        found = _per_subject_column(forms, names)
        if found is not None:
            setattr(facts, attr, Source(found[0].name, found[1].name, evidence=f"{why} {found[1].name} of "
                                        f"{found[0].name} (one row per subject)"))
    for form in forms:
        if facts.domains[form.name][0] == "DS":
            date = form.column("DSSTDAT") or _date_column(form)
            if date is not None:
                facts.study_end = Source(form.name, date.name, pick=None if form.one_per_subject else "last",
                                         evidence=f"end-of-study date {date.name} of the disposition form {form.name}")
                break
    _arms(forms, facts)
    _visits(forms, facts)
    _eligibility(forms, facts)
    if facts.subject.upper() not in cv.IDENTIFIERS:
        facts.notes.append(f"subject column {facts.subject} is not a usual name; check usubjid.pattern")
    return facts
