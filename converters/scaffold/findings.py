"""Findings forms in wide layout (one column per test) drafted as one record block per test.

A column is a test's result when its name, or its name's decode, is a term of the domain's --TESTCD codelist
(submission value, synonym or NCI preferred term: ``OVRLRESP``, ``HGB``, ``Hemoglobin``). Each such column gives a
block over the same form: --TESTCD and --TEST hardcoded (the --TEST term with the same NCI code), --ORRES the
collected value, --ORRESU its unit column (``HGB_U``), --STRESC/--STRESN the standard result (a CT term when the
values map to the result codelist, the number for numeric results), and a filter leaving out rows without a
result. The form's other columns that name variables (date, evaluator ...) fill every block.
"""
from __future__ import annotations

from converters.scaffold import conventions as cv
from converters.scaffold.match import Block, Guess, ValueMaps, coverage, guess_columns
from converters.scaffold.profile import ColumnProfile, FormProfile
from converters.standards import ct, sdtmig


def _codelists(domain: str) -> tuple[str | None, str | None]:
    names = {v.name: v.codelist for v in sdtmig.variables(domain)}
    return names.get(domain + "TESTCD"), names.get(domain + "TEST")


def is_findings(domain: str) -> bool:
    return sdtmig.dataset(domain).dataset_class == "Findings" and _codelists(domain)[0] is not None


def test_of(column: ColumnProfile, domain: str) -> tuple[str, str] | None:
    """(TESTCD, TEST) a result column stands for, from the --TESTCD codelist (and --TEST synonyms)."""
    testcd_list, test_list = _codelists(domain)
    if not testcd_list or not ct.has_codelist(testcd_list):
        return None
    name = column.name.upper()
    code = ct.to_submission_value(testcd_list, name)
    if code is None and test_list and ct.has_codelist(test_list):
        test = ct.to_submission_value(test_list, name.replace("_", " "))
        if test is not None:
            term = next(t for t in ct.codelist(test_list).terms if t.submission_value == test)
            code = next((t.submission_value for t in ct.codelist(testcd_list).terms if t.code == term.code), None)
    if code is None:
        return None
    term = next(t for t in ct.codelist(testcd_list).terms if t.submission_value == code)
    label = term.preferred_term
    if test_list and ct.has_codelist(test_list):
        label = next((t.submission_value for t in ct.codelist(test_list).terms if t.code == term.code), label)
    return code, label


def _unit(form: FormProfile, column: ColumnProfile) -> ColumnProfile | None:
    for suffix in cv.UNIT_SUFFIXES:
        unit = form.column(column.name + suffix)
        if unit is not None and unit.kind == "text":
            return unit
    return None


def findings_blocks(form: FormProfile, domain: str, maps: ValueMaps) -> tuple[list[Block], list[str]]:
    """One block per test column of a wide findings form; an empty list when no column is a known test."""
    tests = []
    for column in form.columns:
        if column.kind == "empty" or column.name.upper() in cv.IDENTIFIERS:
            continue
        if any(column.name.upper().endswith(s) for s in cv.CODE_SUFFIXES + cv.UNIT_SUFFIXES) and \
                form.column(column.name.rsplit("_", 1)[0]) is not None:
            continue
        found = test_of(column, domain)
        if found is not None:
            tests.append((column, found))
    if not tests:
        return [], []
    skip = {c.name.upper() for c, _t in tests}
    skip |= {(c.name + s).upper() for c, _t in tests for s in cv.UNIT_SUFFIXES + cv.CODE_SUFFIXES}
    common, used = guess_columns(form, domain, maps, skip=skip)
    common.pop("STUDYID", None)
    for name in (domain + "TESTCD", domain + "TEST", domain + "ORRES", domain + "ORRESU", domain + "STRESC",
                 domain + "STRESN", domain + "STRESU"):
        common.pop(name, None)
    variables = {v.name: v for v in sdtmig.variables(domain)}
    testcd_list, test_list = _codelists(domain)
    everything = {c.name for c, _t in tests} | {u.name for c, _t in tests if (u := _unit(form, c)) is not None}
    blocks = []
    for column, (code, label) in tests:
        why = f"column {column.name} is the {testcd_list} term {code}"
        guesses = dict(common)
        guesses[domain + "TESTCD"] = Guess(domain + "TESTCD", {"hardcode": code, "codelist": testcd_list}, 0.8, why)
        guesses[domain + "TEST"] = Guess(domain + "TEST", {"hardcode": label, "codelist": test_list}, 0.8,
                                         f"the {test_list} term of {code}")
        guesses[domain + "ORRES"] = Guess(domain + "ORRES", {"assign": column.name}, 0.8,
                                          f"the collected result of {code}", (column.name,))
        unit = _unit(form, column)
        if unit is not None and domain + "ORRESU" in variables:
            guesses[domain + "ORRESU"] = Guess(domain + "ORRESU", {"assign": unit.name}, 0.7,
                                               f"unit column {unit.name} beside {column.name}", (unit.name,))
        stresc = variables.get(domain + "STRESC")
        if column.kind == "number":
            if stresc is not None:
                guesses[stresc.name] = Guess(stresc.name, {"assign": column.name}, 0.6,
                                             "numeric result in character form (no unit conversion drafted)")
            if domain + "STRESN" in variables:
                guesses[domain + "STRESN"] = Guess(domain + "STRESN", {"assign": column.name}, 0.6,
                                                   "numeric result (no unit conversion drafted)")
            if unit is not None and domain + "STRESU" in variables:
                guesses[domain + "STRESU"] = Guess(domain + "STRESU", {"assign": unit.name}, 0.5,
                                                   f"unit of the standard result: {unit.name} as collected")
        elif stresc is not None and stresc.codelist:
            share, misses = coverage(column.values, stresc.codelist)
            if share >= 0.75:
                guesses[stresc.name] = Guess(stresc.name, {"assign_ct": column.name, "codelist": stresc.codelist},
                                             0.7, f"values of {column.name} map to codelist {stresc.codelist}"
                                             + (f" except {', '.join(misses[:3])}" if misses else ""), (column.name,))
        block = Block(form, guesses, used=set(used) | everything)
        block.filter = {"column": column.name, "not_null": True}
        block.filter_evidence = f"rows without a {code} result are not {domain} records"
        blocks.append(block)
    return blocks, [f"{form.file}: {len(tests)} test column(s) drafted as record blocks "
                    f"({', '.join(c.name for c, _t in tests)}); check {domain}TEST wording and units"]
