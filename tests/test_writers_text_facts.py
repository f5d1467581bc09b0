"""Text facts: a text column measured once on its distinct values, and what the writers read from them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from converters.errors import TransportError
from converters.metadata.model import Dataset, Variable
from converters.writers.text_facts import dataset_text_facts, text_facts
from converters.writers.transport import byte_lengths, text_values


def test_distinct_values_in_order_of_first_appearance_missing_apart_from_empty():
    facts = text_facts(pd.Series(["B", None, "A", "", "B", np.nan, "é"], dtype=object))
    assert facts.values.tolist() == ["B", "A", "", "é"]
    assert facts.codes.tolist() == [0, -1, 1, 2, 0, -1, 3]
    assert facts.missing.tolist() == [False, True, False, False, False, True, False]
    assert facts.nchars.tolist() == [1, 1, 0, 1] and facts.nbytes.tolist() == [1, 1, 0, 2]
    assert facts.ascii.tolist() == [True, True, True, False] and not facts.all_ascii
    assert facts.max_bytes == 2
    assert facts.record_bytes().tolist() == [1, 0, 1, 0, 1, 0, 2]
    assert facts.record_values().tolist() == ["B", None, "A", "", "B", None, "é"]


def test_first_row_is_the_first_record_holding_a_flagged_value():
    facts = text_facts(pd.Series(["ok", "x" * 5, "ok", "y" * 9, "x" * 5], dtype=object))
    assert facts.first_row(facts.nbytes > 4) == 1
    assert facts.first_row(facts.nbytes > 8) == 3
    assert facts.first_row(facts.nbytes > 9) is None


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_every_text_dtype_gives_the_same_facts(dtype):
    facts = text_facts(pd.Series(["F", None, "M", "F"], dtype=dtype))
    assert facts.values.tolist() == ["F", "M"] and facts.codes.tolist() == [0, -1, 1, 0]


def test_a_non_text_value_names_its_first_record():
    with pytest.raises(TransportError) as caught:
        text_facts(pd.Series(["a", None, "b", 7, 7], dtype=object), "DM", "SEX")
    assert "variable SEX" in str(caught.value) and "row 4" in str(caught.value) and "7 (int)" in str(caught.value)


def test_public_helpers_read_the_facts():
    series = pd.Series(["☃", None, "AB", "☃"], dtype=object, index=[10, 11, 12, 13])
    assert byte_lengths(series).tolist() == [3, 0, 2, 3]
    values = text_values(series, "DM", "X")
    assert values.tolist() == ["☃", None, "AB", "☃"] and values.index.tolist() == [10, 11, 12, 13]


def test_dataset_text_facts_cover_the_character_variables():
    frame = pd.DataFrame({"A": ["x", "y"], "N": [1.0, 2.0]})
    dataset = Dataset("XX", "X", variables=[Variable("A", "A", "text"), Variable("N", "N", "float")])
    facts = dataset_text_facts(frame, dataset)
    assert list(facts) == ["A"] and facts["A"].records == 2
