"""Guess each raw form's SDTM domain and each SDTM variable's raw source, with evidence and a confidence.

The guesses come from three kinds of evidence, in this order of trust:

1. **names**: the raw column has the SDTM name (``AETERM``), or a CDASH name that differs only by suffix
   (``AESTDAT`` + ``AESTTIM`` -> ``AESTDTC``), or a common EDC alias (:mod:`converters.scaffold.conventions`);
2. **values**: the column's distinct values (or its decode's, for a ``X_CD``/``X`` pair) are submission values,
   synonyms or NCI preferred terms of the codelist SDTMIG 3.4 names for the variable (``Male``/``Female`` ->
   SEX); a column no name explains is tried against the codelists of the domain's unfilled variables;
3. **templates**: the variables SDTMIG defines from other variables (USUBJID, --SEQ, --DY, EPOCH, DM's reference
   dates from EX and DS, DTHFL, the arm variables from the study's arms) are drafted with the registered
   derivations once their inputs exist.

Every guess keeps its evidence and a confidence (0-1) that the draft writes beside it for review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from converters.scaffold import conventions as cv
from converters.scaffold.profile import ColumnProfile, FormProfile
from converters.standards import ct, sdtmig
from converters.standards.ig import StandardVariable


@dataclass
class Guess:
    """One variable's drafted algorithm (as the spec will hold it), with why and how sure."""

    variable: str
    spec: dict[str, object]
    confidence: float
    evidence: str
    columns: tuple[str, ...] = ()


@dataclass
class Block:
    """The records one raw form gives a domain."""

    form: FormProfile
    guesses: dict[str, Guess] = field(default_factory=dict)
    filter: dict[str, object] | None = None
    filter_evidence: str = ""
    merges: list[dict[str, object]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)


@dataclass
class DomainDraft:
    domain: str
    blocks: list[Block]
    shared: dict[str, Guess] = field(default_factory=dict)
    supp: dict[str, Guess] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)

    def filled(self, variable: str) -> bool:
        return variable in self.shared or all(variable in b.guesses for b in self.blocks)

    def missing_required(self) -> list[str]:
        required = [v.name for v in sdtmig.variables(self.domain) if v.core == "Req"]
        return [name for name in required if not self.filled(name)]


@dataclass
class ValueMaps:
    """The value maps the draft needs in study.yaml, by name (drafted from code/decode pairs)."""

    maps: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, table: dict[str, str], note: str) -> str:
        base, n = name, 2
        while name in self.maps and self.maps[name] != table:
            name, n = f"{base}{n}", n + 1
        self.maps[name] = table
        self.notes[name] = note
        return name


def _variables(domain: str) -> dict[str, StandardVariable]:
    return {v.name: v for v in sdtmig.variables(domain)}


def decode_of(name: str, names: set[str]) -> str | None:
    """The decode column's name when ``name`` is the code column of a code/decode pair (``SEX_CD`` -> ``SEX``)."""
    upper = name.upper()
    for suffix in cv.CODE_SUFFIXES:
        if upper.endswith(suffix) and upper[: -len(suffix)] in names:
            return upper[: -len(suffix)]
    return None


def target_of(name: str, domain: str) -> tuple[list[str], float, str]:
    """SDTM variables of ``domain`` a raw column name stands for, the confidence and the evidence."""
    variables = _variables(domain)
    upper = name.upper()
    if upper in cv.IDENTIFIERS - {"STUDYID", "SITEID", "SUBJID"}:
        return [], 0.0, ""
    if upper in variables:
        stem = upper[len(domain):] if upper.startswith(domain) else upper
        if stem in cv.SOC_TWINS:
            return [domain + s for s in cv.SOC_TWINS[stem] if domain + s in variables], 0.9, \
                "the raw column has the SDTM name; SDTMIG 3.4: --BODSYS/--BDSYCD repeat the primary SOC"
        return [upper], 0.95, "the raw column has the SDTM name"
    alias = cv.NAME_ALIASES.get(upper)
    if alias is not None:
        return ([alias[1]], 0.8, f"common EDC field name for {alias[1]}") if alias[0] == domain else ([], 0.0, "")
    if upper.endswith(cv.DATE_SUFFIX):
        stem = upper[: -len(cv.DATE_SUFFIX)]
        for candidate in (stem + cv.DTC_SUFFIX, stem + "ST" + cv.DTC_SUFFIX):
            if candidate in variables and candidate.startswith(domain):
                return [candidate], 0.9, f"CDASH date field {upper} -> {candidate} (ISO 8601)"
    prefixed = upper.startswith(domain)
    stem = upper[len(domain):] if prefixed else upper
    if stem in cv.STEM_ALIASES and domain + cv.STEM_ALIASES[stem] in variables:
        target = domain + cv.STEM_ALIASES[stem]
        return [target], 0.7 if prefixed else 0.6, f"common EDC field name {upper} for {target}"
    if not prefixed and domain + upper in variables and domain != "DM":
        return [domain + upper], 0.6, f"{upper} with the domain prefix is {domain + upper}"
    return [], 0.0, ""


def guess_domain(form: FormProfile) -> tuple[str | None, float, str]:
    """The SDTM domain a raw form most likely feeds, its score and the evidence."""
    best: tuple[float, str, list[str]] = (0.0, "", [])
    names = [c.name for c in form.columns if c.name.upper() not in cv.IDENTIFIERS and c.kind != "empty"]
    by_values = test_code_values(form)
    for domain in sdtmig.dataset_names():
        if domain in cv.NOT_RAW_DOMAINS:
            continue
        hits = [n for n in names if target_of(n, domain)[1] >= 0.8]
        score = 2.0 * len(hits) + 0.5 * sum(1 for n in names if 0 < target_of(n, domain)[1] < 0.8)
        if form.name.upper() == domain:
            score += 3
            hits = [f"form name {form.name}", *hits]
        if domain in by_values:
            share, column, codelist = by_values[domain]
            score += 4 * share
            hits = [f"{share:.0%} of the values of {column} are {codelist} terms", *hits]
        if score > best[0]:
            best = (score, domain, hits)
    if best[0] < 2:
        return None, 0.0, "no column names an SDTM variable"
    return best[1], best[0], ", ".join(best[2][:8])


def test_code_values(form: FormProfile) -> dict[str, tuple[float, str, str]]:
    """Findings domains whose --TESTCD codelist holds at least half the values of one of the form's text columns
    (a long findings form's test-code column): domain -> (share, column, codelist)."""
    found: dict[str, tuple[float, str, str]] = {}
    columns = [c for c in form.columns
               if c.kind == "text" and 2 <= c.distinct <= 200 and c.name.upper() not in cv.IDENTIFIERS]
    if not columns:
        return found
    for domain in sdtmig.dataset_names():
        codelist = _variables(domain).get(domain + "TESTCD")
        if codelist is None or not codelist.codelist or not ct.has_codelist(codelist.codelist):
            continue
        for column in columns:
            share, _misses = coverage(column.values, codelist.codelist)
            if share >= 0.5 and share > found.get(domain, (0.0, "", ""))[0]:
                found[domain] = (share, column.name, codelist.codelist)
    return found


def coverage(values: list[str], codelist: str) -> tuple[float, list[str]]:
    """Share of distinct values that map to the codelist (submission value, synonym or preferred term); misses."""
    if not values or not ct.has_codelist(codelist):
        return 0.0, values
    lookup = ct.codelist(codelist).lookup
    from converters.standards import normalise

    misses = [v for v in values if normalise(v) not in lookup]
    return 1 - len(misses) / len(values), misses


def _pairs(form: FormProfile, code: str, decode: str) -> dict[str, str]:
    """code -> decode as the data pairs them (the most frequent decode of each code)."""
    rows = form.source.frame[[code, decode]].dropna()
    if rows.empty:
        return {}
    counts = rows.groupby([code, decode]).size().reset_index(name="n")
    counts = counts.sort_values(["n", decode], ascending=[False, True]).drop_duplicates(code)
    return {str(c).strip(): str(d).strip() for c, d in zip(counts[code], counts[decode])}


def _ct_value(codelist: str | None, decode: str) -> str:
    if codelist and ct.has_codelist(codelist):
        hit = ct.to_submission_value(codelist, decode)
        if hit:
            return hit
    return " ".join(decode.split()).upper()


def algorithm_for(variable: StandardVariable, form: FormProfile, column: ColumnProfile, code: str | None,
                  maps: ValueMaps, base: float, evidence: str) -> Guess:
    """The algorithm that fills ``variable`` from ``column`` (and its code column ``code``, if any)."""
    name = variable.name
    if name.endswith(cv.DTC_SUFFIX):
        stem = column.name[: -len(cv.DATE_SUFFIX)] if column.name.upper().endswith(cv.DATE_SUFFIX) else None
        time = form.column(stem + cv.TIME_SUFFIX) if stem else None
        if time is not None and time.kind in ("time", "empty"):
            return Guess(name, {"datetime": [column.name, time.name]}, base,
                         f"{evidence}; time from {time.name}", (column.name, time.name))
        return Guess(name, {"datetime": column.name}, base, evidence, (column.name,))
    if variable.type == "Num":
        return Guess(name, {"assign": column.name}, base, f"{evidence}; numbers", (column.name,))
    codelist = variable.codelist
    used = (column.name,) if code is None else (column.name, code)
    if codelist and ct.has_codelist(codelist):
        share, misses = coverage(column.values, codelist)
        if share == 1:
            shown = ", ".join(column.samples[:4])
            return Guess(name, {"assign_ct": column.name, "codelist": codelist}, max(base, 0.9),
                         f"{evidence}; values ({shown}) are terms or synonyms of codelist {codelist}", used)
        if share >= 0.75 or code is None:
            factor = 0.8 if share >= 0.75 else 0.6
            return Guess(name, {"assign_ct": column.name, "codelist": codelist}, base * factor,
                         f"{evidence}; {len(misses)} of {len(column.values)} values are not {codelist} terms "
                         f"({', '.join(misses[:3])}): the build reports them", used)
        pairs = _pairs(form, code, column.name)
        table = {c: _ct_value(codelist, d) for c, d in pairs.items()}
        mapped = maps.add(name.lower(), table, f"{code} -> {codelist} from the {code}/{column.name} pairs")
        return Guess(name, {"assign_ct": code, "codelist": codelist, "value_map": mapped}, base * 0.6,
                     f"{evidence}; {len(misses)} of {len(column.values)} decodes are not {codelist} terms "
                     f"({', '.join(misses[:3])}): value map {mapped} drafted from {code}; review its targets", used)
    if code is not None and column.kind in ("text", "flag") and column.distinct <= 50:
        pairs = _pairs(form, code, column.name)
        table = {c: _ct_value(None, d) for c, d in pairs.items()}
        mapped = maps.add(name.lower(), table, f"{code} -> {name} (upper-case decodes of {column.name})")
        return Guess(name, {"assign_ct": code, "value_map": mapped}, base * 0.8,
                     f"{evidence}; sponsor terms: value map {mapped} from the {code}/{column.name} pairs", used)
    return Guess(name, {"assign": column.name}, base, evidence, (column.name,))


def guess_columns(form: FormProfile, domain: str, maps: ValueMaps,
                  skip: set[str] | None = None) -> tuple[dict[str, Guess], set[str]]:
    """Variables of ``domain`` that the form's columns fill (by name, then by value), and the columns used."""
    variables = _variables(domain)
    names = {c.name.upper() for c in form.columns}
    guesses: dict[str, Guess] = {}
    used: set[str] = set()
    skip = skip or set()
    for column in form.columns:
        upper = column.name.upper()
        if column.kind == "empty" or upper in skip or decode_of(upper, names):
            continue
        targets, confidence, evidence = target_of(upper, domain)
        code = next((c.name for c in form.columns if decode_of(c.name.upper(), names) == upper), None)
        if not targets and upper.endswith(cv.ONGOING_STEM) and upper.startswith(domain):
            targets = []
            rtpt, tpt = domain + "ENRTPT", domain + "ENTPT"
            when = {"column": column.name, "equals": "Y"}
            if rtpt in variables and rtpt not in guesses:
                guesses[rtpt] = Guess(rtpt, {"condition": [{"when": when, "value": "ONGOING"}], "codelist": "STENRF"},
                                      0.7, f"CDASH ongoing box {upper}: ONGOING relative to the end of study "
                                           "(SDTMIG 3.4 section 4.4.7)", (column.name,))
                guesses[tpt] = Guess(tpt, {"condition": [{"when": when, "value": "END OF STUDY"}]}, 0.6,
                                     f"the reference time point of {rtpt} (review: end of study or data cut-off)",
                                     (column.name,))
                used.add(column.name)
            continue
        for target in targets:
            if target in guesses or target.endswith("TIM"):
                continue
            guess = algorithm_for(variables[target], form, column, code, maps, confidence, evidence)
            guesses[target] = guess
            used.update(guess.columns)
    _end_time_on_start_day(form, domain, guesses, used)
    _by_values(form, domain, guesses, used, skip)
    return guesses, used


def _end_time_on_start_day(form: FormProfile, domain: str, guesses: dict[str, Guess], used: set[str]) -> None:
    """CDASH: an end time collected without an end date ends on the start date (``EXSTDAT`` + ``EXENTIM``)."""
    end, start = domain + "ENDTC", domain + "STDTC"
    time = form.column(domain + "EN" + cv.TIME_SUFFIX)
    if end in guesses or start not in guesses or time is None or end not in _variables(domain):
        return
    spec = guesses[start].spec.get("datetime")
    date = spec[0] if isinstance(spec, list) else spec
    guesses[end] = Guess(end, {"datetime": [date, time.name]}, 0.6,
                         f"end time {time.name} collected without an end date: same day as {date}", (str(date), time.name))
    used.add(time.name)


def _by_values(form: FormProfile, domain: str, guesses: dict[str, Guess], used: set[str], skip: set[str]) -> None:
    """Text columns no name explains, tried against the codelists of the domain's unfilled variables."""
    candidates = [v for v in sdtmig.variables(domain)
                  if v.name not in guesses and v.codelist and v.codelist != "NY" and ct.has_codelist(v.codelist)]
    for column in form.columns:
        if column.name in used or column.name.upper() in skip or column.name.upper() in cv.IDENTIFIERS:
            continue
        if column.kind not in ("text",) or not 2 <= column.distinct <= 50:
            continue
        scored = sorted(((coverage(column.values, v.codelist or "")[0], v.name) for v in candidates), reverse=True)
        if scored and scored[0][0] >= 0.8 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            variable = _variables(domain)[scored[0][1]]
            if variable.name in guesses:
                continue
            guesses[variable.name] = Guess(
                variable.name, {"assign_ct": column.name, "codelist": variable.codelist}, 0.5,
                f"values of {column.name} ({', '.join(column.samples[:3])}) are {scored[0][0]:.0%} terms of "
                f"codelist {variable.codelist}", (column.name,))
            used.add(column.name)


def occurrence_filter(form: FormProfile, domain: str) -> tuple[dict[str, object] | None, str]:
    """A ``--YN``/``--OCCUR`` column: only records where it is Y happened (the others are filtered, and logged)."""
    for stem in cv.OCCURRENCE_STEMS:
        column = form.column(domain + stem)
        if column is not None and column.kind == "flag" and "Y" in {v.upper() for v in column.values}:
            return {"column": column.name, "equals": "Y"}, f"{column.name}: records where it is not Y did not happen"
    return None, ""


def checkbox_group(form: FormProfile, variable: str) -> list[ColumnProfile]:
    """Check-box columns ``<VARIABLE>_<choice>`` (flags) of a multiple-choice item, e.g. RACE_WHITE."""
    prefix = variable + "_"
    return [c for c in form.columns if c.name.upper().startswith(prefix) and c.kind == "flag"]


def _abbreviates(token: str, words: list[str]) -> bool:
    """``token`` is the start of the first word followed by starts of later words in order (AMIND, NHPI, NR)."""
    def walk(t: str, i: int) -> bool:
        if not t:
            return True
        for j in range(i, len(words)):
            word = words[j]
            if i == 0 and j > 0:
                return False
            for k in range(min(len(word), len(t)), 0, -1):
                if t[:k] == word[:k] and walk(t[k:], j + 1):
                    return True
        return False

    return walk(token, 0)


def choice_terms(columns: list[ColumnProfile], variable: str, codelist: str) -> tuple[dict[str, str], list[str]]:
    """Check-box column -> codelist term, by the column's suffix abbreviating the term's words; unmatched columns."""
    info = ct.codelist(codelist)
    table: dict[str, str] = {}
    missing: list[str] = []
    for column in columns:
        token = column.name.upper()[len(variable) + 1:]
        hits = [t.submission_value for t in info.terms
                if _abbreviates(token, re.findall(r"[A-Z0-9]+", t.submission_value.upper()))]
        if len(hits) == 1:
            table[column.name] = hits[0]
        else:
            missing.append(column.name)
    return table, missing
