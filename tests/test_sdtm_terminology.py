"""assign_ct: collected values and synonyms to CT submission values; unmapped values reported, not guessed."""
import pandas as pd

from converters.sdtm.terminology import assign_ct
from converters.standards import ct


def test_case_and_space_insensitive_and_synonyms():
    got = assign_ct(pd.Series(["male", "  F ", "Female", None]), ct.codelist("SEX"))
    assert list(got.values) == ["M", "F", "F", None]
    assert not got.unmapped.any()


def test_study_value_map_for_sponsor_codes_comes_first():
    got = assign_ct(pd.Series(["1", "2", "3"]), ct.codelist("SEX"), {"1": "M", "2": "F"})
    assert list(got.values) == ["M", "F", None]
    assert list(got.unmapped) == [False, False, True]


def test_value_map_may_give_a_synonym():
    got = assign_ct(pd.Series(["7"]), ct.codelist("SEX"), {"7": "male"})
    assert list(got.values) == ["M"]


def test_unmapped_values_of_a_non_extensible_codelist_stay_unmapped_even_with_extend():
    got = assign_ct(pd.Series(["Stabilised"]), ct.codelist("OUT"), extend=True)
    assert list(got.values) == [None] and list(got.unmapped) == [True] and not got.extensions


def test_extensible_codelist_accepts_and_records_sponsor_terms():
    got = assign_ct(pd.Series(["mg", "Therapeutic Cells", " 10^6 cells "]), ct.codelist("UNIT"), extend=True)
    assert list(got.values) == ["mg", "Therapeutic Cells", "10^6 cells"]
    assert got.extensions == {"10^6 cells"}
    assert not got.unmapped.any()


def test_an_extension_named_by_the_value_map_is_the_mapped_term_not_the_raw_value():
    got = assign_ct(pd.Series(["IL-6", "WBC"]), ct.codelist("LBTESTCD"), {"IL-6": "IL6", "WBC": "WBC"}, extend=True)
    assert list(got.values) == ["IL6", "WBC"]
    assert got.extensions == {"IL6"}


def test_sponsor_list_without_codelist_uses_the_map_only():
    got = assign_ct(pd.Series(["1", "9"]), None, {"1": "NOT RELATED"})
    assert list(got.values) == ["NOT RELATED", None]
    assert list(got.unmapped) == [False, True]
