"""Conditions and if/else mappings are data, evaluated without eval, case- and space-insensitively."""
import pandas as pd

from converters.sdtm.conditions import apply_cases, evaluate
from converters.spec.model import Case, Condition

FRAME = pd.DataFrame({"ONGO": ["Y", " y", "N", None], "SEV": ["Mild", "SEVERE", "mild", "Moderate"]})


def resolve(name):
    return FRAME[name]


def test_equals_ignores_case_and_spaces_and_never_matches_null():
    assert list(evaluate(Condition("equals", "ONGO", ("Y",)), resolve, FRAME.index)) == [True, True, False, False]


def test_not_equals_is_false_for_null():
    assert list(evaluate(Condition("not_equals", "ONGO", ("Y",)), resolve, FRAME.index)) == [False, False, True, False]


def test_combinations():
    cond = Condition("all", children=(Condition("in", "SEV", ("mild", "moderate")),
                                      Condition("not", children=(Condition("is_null", "ONGO"),))))
    assert list(evaluate(cond, resolve, FRAME.index)) == [True, False, True, False]


def test_cases_take_the_first_match_then_else():
    cases = [Case(Condition("equals", "ONGO", ("Y",)), value="ONGOING"),
             Case(Condition("equals", "SEV", ("MODERATE",)), column="SEV"), Case(None, value="-")]
    assert list(apply_cases(cases, resolve, FRAME.index)) == ["ONGOING", "ONGOING", "-", "Moderate"]


def test_without_else_unmatched_rows_are_null():
    cases = [Case(Condition("equals", "ONGO", ("N",)), value="X")]
    assert list(apply_cases(cases, resolve, FRAME.index)) == [None, None, "X", None]
