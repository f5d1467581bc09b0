"""Study-wide steps of the SDTM build at scale: the same answers, computed once per distinct value or per batch."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from converters.metadata.model import Dataset
from converters.readers.raw import read_raw_folder
from converters.sdtm.rejections import RejectionLog
from converters.sdtm.sequence import derive_seq, sort_by_keys
from converters.sdtm.study import BuiltDomain, study_wide_forms
from converters.sdtm.trial_design.sv import distinct_rows, raw_visit_records
from converters.shipped import study_mappings, study_raw
from converters.spec.loader import load_domain_specs
from converters.spec.study import load_study


def _seq_by_sorting(frame: pd.DataFrame, by: list[str], order: list[str]) -> pd.Series:
    """--SEQ as a plain stable sort and a count within groups would give it (the rule, written the slow way)."""
    keys = frame[by + order].copy()
    keys["__pos__"] = range(len(frame))
    ordered = keys.sort_values(by + order + ["__pos__"], na_position="last", kind="mergesort")
    return (ordered.groupby(by, sort=False, dropna=False).cumcount() + 1).reindex(frame.index).astype("float64")


def _random_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    def text(choices: list[str | None]) -> np.ndarray:
        return np.array([choices[i] for i in rng.integers(0, len(choices), n)], dtype=object)
    return pd.DataFrame({"USUBJID": text(["S-2", "S-1", "S-10", None]),
                         "DTC": text(["2025-01-02", "2025-01", None, "2024-12-31T10:00", "2025-01-02"]),
                         "VAL": rng.choice([1.0, 0.0, -0.0, 2.5, np.nan], n),
                         "CAT": pd.Series(text(["B", "a", "", None]), dtype="str")},
                        index=rng.permutation(n) + 3)


@pytest.mark.parametrize("seed", range(20))
def test_seq_counts_within_the_subject_in_the_stated_order_with_ties_in_input_order(seed):
    frame = _random_frame(np.random.default_rng(seed), 40)
    for by, order in ((["USUBJID"], ["DTC", "VAL"]), (["USUBJID", "CAT"], ["VAL"]), (["CAT"], []), (["USUBJID"], [])):
        pd.testing.assert_series_equal(derive_seq(frame, by, order), _seq_by_sorting(frame, by, order),
                                       check_names=False)


@pytest.mark.parametrize("seed", range(10))
def test_records_sorted_by_keys_nulls_last_ties_in_input_order(seed):
    frame = _random_frame(np.random.default_rng(seed), 30)
    for keys in (["USUBJID", "DTC"], ["CAT", "VAL", "DTC"], ["VAL"]):
        order = frame[keys].assign(__pos__=range(len(frame)))
        expected = frame.loc[order.sort_values(keys + ["__pos__"], na_position="last", kind="mergesort").index]
        pd.testing.assert_frame_equal(sort_by_keys(frame, keys), expected.reset_index(drop=True))


def test_distinct_rows_keep_the_first_and_last_row_of_each_value():
    frame = pd.DataFrame({"A": ["x", "y", "x", "x", None, None], "B": [1.0, 1.0, 1.0, 1.0, np.nan, np.nan]})
    codes, first, kept = distinct_rows(frame, ["A", "B"])
    assert codes.tolist() == [0, 1, 0, 0, 2, 2]
    assert first.tolist() == [0, 1, 4]
    assert kept.tolist() == [0, 1, 3, 4, 5]


def _visits(frame: pd.DataFrame) -> pd.DataFrame:
    """What SV reads of visit records: per subject and visit the first name, earliest and latest date, forms."""
    groups = frame.groupby(["USUBJID", "VISITNUM"], sort=True)
    out = groups.agg(VISIT=("VISIT", "first"), START=("DATE", "min"), END=("DATE", "max"))
    forms = frame.drop_duplicates(["USUBJID", "VISITNUM", "DOMAIN"]).groupby(["USUBJID", "VISITNUM"])["DOMAIN"]
    return out.join(forms.agg(", ".join)).reset_index()


def test_repeated_raw_rows_give_the_same_visits_and_every_row_is_logged():
    study = load_study(study_mappings("carnk-sclc") / "study.yaml")
    vs = read_raw_folder(study_raw("carnk-sclc"))["vs"]
    subjects = set(study.studyid + "-" + vs.frame["SUBJID"].dropna().unique()[:-2])  # the last two not in DM
    once, twice = RejectionLog(), RejectionLog()
    got, read = raw_visit_records(study, {"vs": vs}, subjects, once)
    doubled = replace(vs, frame=pd.concat([vs.frame, vs.frame.assign(__row__=vs.frame["__row__"] + 10_000)],
                                          ignore_index=True))
    got2, read2 = raw_visit_records(study, {"vs": doubled}, subjects, twice)
    assert read2 == 2 * read
    assert len(got2) < 2 * len(got)  # repeated rows are numbered once
    pd.testing.assert_frame_equal(_visits(got), _visits(got2))
    logged = once.frame()
    assert len(logged) and len(twice.frame()) == 2 * len(logged)


def test_a_released_domain_keeps_its_count_columns_and_metadata():
    frame = pd.DataFrame({"STUDYID": ["S"] * 3, "AESEQ": [1.0, 2.0, 3.0]})
    domain = BuiltDomain("AE", frame, Dataset("AE", "Adverse Events"))
    domain.text_facts()
    domain.release()
    assert domain.records == 3 and len(domain.frame) == 0 and list(domain.frame.columns) == ["STUDYID", "AESEQ"]
    assert domain.facts == {}


def test_study_wide_forms_are_the_eligibility_form_dd_source_and_merged_only_forms():
    mappings = study_mappings("carnk-sclc")
    study = load_study(mappings / "study.yaml")
    specs = load_domain_specs(mappings / "sdtm", study)
    forms = study_wide_forms(study, specs)
    assert "ie" in forms and "dd" in forms
    assert not forms & {"lab", "vs", "ae"}  # the big subject forms are freed once their batch is done
