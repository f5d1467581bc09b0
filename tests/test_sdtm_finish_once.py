"""The SDTM study-wide steps work once per column or per distinct value, with the plain pandas rule's answers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from converters.sdtm.finalize import blank_values
from converters.sdtm.rejections import RejectionLog
from converters.sdtm.study import _enforce_codelists, distinct_present
from converters.sdtm.trial_design.sv import _normalized_folder, distinct_rows


def _text(rng: np.random.Generator, n: int, choices: list) -> np.ndarray:
    out = np.empty(n, dtype=object)
    for i, pick in enumerate(rng.integers(0, len(choices), n)):
        out[i] = choices[pick]
    return out


def _plain_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Each row's group in order of first appearance, missing values a group of their own (groupby's rule)."""
    return frame.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()


@pytest.mark.parametrize("seed", range(20))
def test_distinct_rows_number_rows_as_groupby_does(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    wide = 2 + seed % 3 * 5  # up to 12 columns of up to 300 values: the codes' product passes 2**62, renumbered
    frame = pd.DataFrame({f"C{i}": _text(rng, n, [str(v) for v in range(int(rng.integers(1, 300)))] + [None])
                          for i in range(wide)})
    frame["NUM"] = rng.choice([1.0, np.nan, 2.0], n)
    columns = list(frame.columns)
    codes, first, kept = distinct_rows(frame, columns)
    assert codes.tolist() == _plain_codes(frame, columns).tolist()
    assert first.tolist() == [int(np.flatnonzero(codes == c)[0]) for c in range(codes.max() + 1)]
    last = [int(np.flatnonzero(codes == c)[-1]) for c in range(codes.max() + 1)]
    assert kept.tolist() == sorted(set(first.tolist()) | set(last))


@pytest.mark.parametrize("seed", range(10))
def test_folders_normalized_once_per_name_as_string_methods_do(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    values = pd.Series(_text(rng, n, [" cycle  1 day 1", "Cycle 1\tDay 1", None, np.nan, "", "screening ", "CYCLE 1 DAY 1"]),
                       index=rng.permutation(n))
    expected = values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.upper()
    pd.testing.assert_series_equal(_normalized_folder(values), expected)


BLANKS_AND_TEXT = ["A", "b ", "", "  ", "\t", None, np.nan, pd.NA, "é", "A", "  x "]


def _plain_blank(values: pd.Series) -> np.ndarray:
    """The rule of a blank value, record by record: missing, or text of blanks only."""
    return np.array([v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip())
                     for v in values], dtype=bool)


@pytest.mark.parametrize("seed", range(20))
def test_blank_values_are_missing_or_blank_text_record_by_record(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    choices = BLANKS_AND_TEXT if seed % 2 else ["A", "b ", "é"]  # odd seeds: blanks; even: the no-blank path
    values = pd.Series(_text(rng, n, choices), index=rng.permutation(n) + 3, dtype=object)
    assert blank_values(values).tolist() == _plain_blank(values).tolist()


@pytest.mark.parametrize("seed", range(20))
def test_distinct_present_are_factorize_uniques(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    if seed % 3 == 2:
        values = pd.Series(_text(rng, n, ["Y", "N", None, "U"]), dtype="string")
    else:
        values = pd.Series(_text(rng, n, BLANKS_AND_TEXT + [pd.NaT]), dtype=object)
    _codes, uniques = pd.factorize(values)
    assert distinct_present(values).tolist() == np.asarray(uniques, dtype=object).tolist()


def test_only_values_outside_a_non_extensible_codelist_are_nulled_and_logged():
    frame = pd.DataFrame({"AESER": ["Y", "N", "MAYBE", None, "Y", "MAYBE", np.nan], "__row__": range(1, 8),
                          "__source__": "ae.csv"})
    log = RejectionLog()
    extensions: dict[str, set[str]] = {}
    _enforce_codelists("AE", frame, {"AESER": "NY"}, log, {"AESER": "SERIOUS"}, extensions)
    assert frame["AESER"].isna().tolist() == [False, False, True, True, False, True, True]
    assert frame["AESER"].dropna().tolist() == ["Y", "N", "Y"]
    logged = log.frame()
    assert logged["row"].tolist() == [3, 6] and extensions == {}
