"""Findings forms in long layout (one row per test) drafted as one record block.

A form is long when it has a test-code column, a result column and (optionally) a test-name, unit, specimen,
category and normal-range columns. Each role is found by its name (``TESTCODE``, ``LBTESTCD``, ``RESULT``, ``UNIT``
...: :data:`converters.scaffold.conventions.LONG_FINDINGS_ROLES`); the test-code column also by its values, when
most of them are terms of the domain's --TESTCD codelist. The block fills:

- --TESTCD and --TEST from the test-code column with ``assign_ct``: each raw code goes to the --TESTCD term it is
  (or whose --TEST term the raw test name is: submission value, synonym or NCI preferred term), and to the --TEST
  term of the same NCI code; codes the CT does not know stay as sponsor terms (``extend: true``, the codelists are
  extensible) with the collected test name, and are listed for review. A value map is drafted only when needed;
- --CAT (upper-case value map of the categories), --SPEC (``assign_ct`` SPECTYPE), --ORRES, --ORRESU (``assign_ct``
  UNIT when the units are CT terms), --ORNRLO/--ORNRHI as collected, --STRESC/--STRESN/--STRESU as collected for
  numeric results (no unit conversion is drafted), and --DTC and the rest from the form's other columns.
"""
from __future__ import annotations

import re

from converters.scaffold import conventions as cv
from converters.scaffold.match import Block, Guess, ValueMaps, _pairs, coverage, guess_columns
from converters.scaffold.profile import ColumnProfile, FormProfile
from converters.standards import ct, sdtmig

#: Share of the test-code column's distinct values that must be --TESTCD terms when its name does not say so.
TESTCD_BY_VALUES = 0.5
#: Share of values that must be CT terms for ``assign_ct`` on the unit and specimen columns.
CT_SHARE = 0.75


def _by_name(form: FormProfile, domain: str, role: str, taken: set[str]) -> ColumnProfile | None:
    """The column whose name is the role's SDTM name (``LBORRES``) or one of its common EDC names (``RESULT``)."""
    names = [domain + role, *cv.LONG_FINDINGS_ROLES[role],
             *(domain + stem for stem in cv.LONG_FINDINGS_ROLES[role] if stem != role)]
    for name in names:
        column = form.column(name)
        if column is not None and column.kind != "empty" and column.name not in taken:
            return column
    return None


def _test_code_column(form: FormProfile, domain: str, codelist: str) -> tuple[ColumnProfile, float, str] | None:
    """The test-code column, its confidence and the evidence: by name, else by values against the codelist."""
    named = _by_name(form, domain, "TESTCD", set())
    if named is not None and named.kind == "text":
        share, _misses = coverage(named.values, codelist)
        return named, 0.7 + 0.2 * share, f"column {named.name} is named as a test code; {share:.0%} of its " \
            f"{named.distinct} values are {codelist} terms"
    best: tuple[float, ColumnProfile] | None = None
    for column in form.columns:
        if column.kind != "text" or column.distinct < 2 or column.name.upper() in cv.IDENTIFIERS:
            continue
        share, _misses = coverage(column.values, codelist)
        if share >= TESTCD_BY_VALUES and (best is None or share > best[0]):
            best = (share, column)
    if best is None:
        return None
    share, column = best
    return column, 0.5 + 0.3 * share, f"{share:.0%} of the {column.distinct} values of {column.name} are " \
        f"{codelist} terms"


def _term_pair(code: str, name: str | None, testcd_list: str, test_list: str | None) -> tuple[str, str] | None:
    """(TESTCD, TEST) of a raw test code (or of its raw test name) in CT; None for a sponsor test."""
    hit = ct.to_submission_value(testcd_list, code)
    info = ct.codelist(testcd_list)
    term = info.term(hit) if hit else None
    if term is None and name and test_list and ct.has_codelist(test_list):
        test = ct.to_submission_value(test_list, name)
        test_term = ct.codelist(test_list).term(test) if test else None
        if test_term is not None:
            term = next((t for t in info.terms if t.code == test_term.code), None)
    if term is None:
        return None
    label = term.preferred_term
    if test_list and ct.has_codelist(test_list):
        label = next((t.submission_value for t in ct.codelist(test_list).terms if t.code == term.code), label)
    return term.submission_value, label


def sponsor_test_code(code: str) -> str:
    """A --TESTCD for a test the CT does not know: at most 8 characters, letters, digits and underscores, not
    starting with a digit (SDTMIG 3.4, the notes of each --TESTCD), from the raw code (``IL-6`` -> ``IL6``)."""
    cleaned = re.sub(r"[^A-Z0-9_]", "", code.upper())
    if not cleaned or cleaned[0].isdigit():
        cleaned = "T" + cleaned
    return cleaned[:8]


def _ct_guess(variable: str, column: ColumnProfile, codelist: str, base: float, what: str) -> Guess:
    share, misses = coverage(column.values, codelist)
    if share >= CT_SHARE:
        spec: dict[str, object] = {"assign_ct": column.name, "codelist": codelist}
        return Guess(variable, spec, base, f"{what}; {share:.0%} of its values ({', '.join(column.samples[:3])}) "
                     f"are {codelist} terms" + (f", not {', '.join(misses[:3])}" if misses else ""), (column.name,))
    return Guess(variable, {"assign": column.name}, base * 0.7,
                 f"{what}; as collected ({share:.0%} are {codelist} terms, e.g. not {', '.join(misses[:3])})",
                 (column.name,))


def long_findings_block(form: FormProfile, domain: str, maps: ValueMaps) -> tuple[Block | None, list[str]]:
    """The record block of a long findings form (one row per test), or None when the form is not long."""
    variables = {v.name: v for v in sdtmig.variables(domain)}
    testcd_list = variables[domain + "TESTCD"].codelist if domain + "TESTCD" in variables else None
    test_list = variables[domain + "TEST"].codelist if domain + "TEST" in variables else None
    if not testcd_list or not ct.has_codelist(testcd_list):
        return None, []
    found = _test_code_column(form, domain, testcd_list)
    if found is None:
        return None, []
    code_col, code_conf, code_why = found
    taken = {code_col.name}
    result = _by_name(form, domain, "ORRES", taken)
    if result is None:
        return None, []
    roles: dict[str, ColumnProfile] = {"TESTCD": code_col, "ORRES": result}
    taken.add(result.name)
    for role in ("TEST", "ORRESU", "SPEC", "CAT", "ORNRLO", "ORNRHI"):
        column = _by_name(form, domain, role, taken)
        if column is not None and domain + role in variables:
            roles[role] = column
            taken.add(column.name)
    name_col = roles.get("TEST")
    pairs = _pairs(form, code_col.name, name_col.name) if name_col is not None else {}
    codes = sorted({*code_col.values, *pairs})
    testcd_map: dict[str, str] = {}
    test_map: dict[str, str] = {}
    sponsor: list[str] = []
    for code in codes:
        term = _term_pair(code, pairs.get(code), testcd_list, test_list)
        if term is None:
            sponsor.append(code)
            term = (sponsor_test_code(code), pairs.get(code, code))
        testcd_map[code], test_map[code] = term
    identity = all(testcd_map[c] == c for c in codes)
    guesses: dict[str, Guess] = {}
    why_sponsor = (f"; sponsor tests not in {testcd_list} (kept as extensible terms, check for a CT term): "
                   f"{', '.join(sponsor[:6])}" if sponsor else "")
    testcd: dict[str, object] = {"assign_ct": code_col.name, "codelist": testcd_list}
    if not identity:
        testcd["value_map"] = maps.add(f"{domain.lower()}testcd", testcd_map,
                                       f"{code_col.name} -> {testcd_list} (CT terms by code or test name; "
                                       "sponsor codes as collected)")
    if sponsor:
        testcd["extend"] = True
    by_name = f" or by the test name in {name_col.name}" if name_col is not None else ""
    resolved = f"; {len(codes) - len(sponsor)} of {len(codes)} test codes are {testcd_list} terms by code{by_name}"
    guesses[domain + "TESTCD"] = Guess(domain + "TESTCD", testcd, code_conf - (0.2 if sponsor else 0.0),
                                       code_why + resolved + why_sponsor, (code_col.name,))
    test: dict[str, object] = {"assign_ct": code_col.name, "codelist": test_list,
                               "value_map": maps.add(f"{domain.lower()}test", test_map,
                                                     f"{code_col.name} -> {test_list} (the term with the NCI code "
                                                     "of the test code; sponsor tests by their collected name)")}
    if sponsor:
        test["extend"] = True
    named = f" (collected names in {name_col.name})" if name_col is not None else ""
    guesses[domain + "TEST"] = Guess(domain + "TEST", test, 0.7 if not sponsor else 0.5,
                                     f"the {test_list} term of each test code{named}",
                                     (code_col.name,) + ((name_col.name,) if name_col is not None else ()))
    guesses[domain + "ORRES"] = Guess(domain + "ORRES", {"assign": result.name}, 0.8,
                                      f"column {result.name} is named as the result of a one-row-per-test form",
                                      (result.name,))
    unit = roles.get("ORRESU")
    if unit is not None:
        guesses[domain + "ORRESU"] = _ct_guess(domain + "ORRESU", unit, "UNIT", 0.7,
                                               f"column {unit.name} is named as the result unit")
    spec = roles.get("SPEC")
    if spec is not None and variables[domain + "SPEC"].codelist:
        guesses[domain + "SPEC"] = _ct_guess(domain + "SPEC", spec, str(variables[domain + "SPEC"].codelist), 0.8,
                                             f"column {spec.name} is named as the specimen")
    category = roles.get("CAT")
    if category is not None:
        if category.kind == "text" and category.distinct <= 50:
            table = {v: " ".join(v.split()).upper() for v in category.values}
            mapped = maps.add(f"{domain.lower()}cat", table, f"{category.name} -> {domain}CAT (upper case)")
            guesses[domain + "CAT"] = Guess(domain + "CAT", {"assign_ct": category.name, "value_map": mapped}, 0.6,
                                            f"column {category.name} is named as the test category; sponsor terms "
                                            f"upper-cased by value map {mapped}", (category.name,))
        else:
            guesses[domain + "CAT"] = Guess(domain + "CAT", {"assign": category.name}, 0.6,
                                            f"column {category.name} is named as the test category",
                                            (category.name,))
    for role in ("ORNRLO", "ORNRHI"):
        column = roles.get(role)
        if column is not None:
            edge = "lower" if role == "ORNRLO" else "upper"
            guesses[domain + role] = Guess(domain + role, {"assign": column.name}, 0.7,
                                           f"column {column.name} is named as the {edge} limit of the normal range",
                                           (column.name,))
    if result.kind == "number":
        if domain + "STRESC" in variables:
            guesses[domain + "STRESC"] = Guess(domain + "STRESC", {"assign": result.name}, 0.5,
                                               "numeric result in character form (no unit conversion drafted)",
                                               (result.name,))
        if domain + "STRESN" in variables:
            guesses[domain + "STRESN"] = Guess(domain + "STRESN", {"assign": result.name}, 0.5,
                                               "numeric result (no unit conversion drafted)", (result.name,))
        if unit is not None and domain + "STRESU" in variables:
            stresu = _ct_guess(domain + "STRESU", unit, "UNIT", 0.5,
                               f"unit of the standard result: {unit.name} as collected")
            guesses[domain + "STRESU"] = stresu
    skip = {c.name.upper() for c in roles.values()}
    common, used = guess_columns(form, domain, maps, skip=skip)
    common.pop("STUDYID", None)
    for name, guess in common.items():
        guesses.setdefault(name, guess)
    block = Block(form, guesses, used=set(used) | {c.name for c in roles.values()})
    note = (f"{form.file}: one row per test ({code_col.name}: {len(codes)} tests, results in {result.name}) drafted "
            f"as one record block; check {domain}TEST wording, units and ranges")
    notes = [note]
    if sponsor:
        notes.append(f"{form.file}: test codes not in {testcd_list}: {', '.join(sponsor)}; map them to CT terms in "
                     f"value map {testcd.get('value_map', '(add one)')} or keep them as sponsor-defined tests")
    return block, notes
