"""A test per ADaM verb: each takes a frame and returns it extended, as admiral's verbs do."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from adam_fixtures import context, dates, run
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from converters.adam.dates import impute_dates, impute_datetimes
from converters.algorithms import algorithms


def test_every_adam_verb_is_registered_for_adam_in_the_dataset_phase_with_method_text():
    verbs = algorithms("ADaM")
    assert len(verbs) >= 20
    for verb in verbs:
        assert verb.phase == "dataset" and verb.standards == ("ADaM",) and verb.name.startswith("derive_")
        assert verb.method and verb.origin in ("Derived", "Assigned")


# --- dates: derive_vars_dt / derive_vars_dtm -------------------------------------------------------------------

def test_partial_dates_impute_to_first_or_last_day_with_the_flag_of_the_highest_part():
    text = pd.Series(["2023-03-15", "2023-03", "2023", None, "2024-02"])
    first, flag = impute_dates(text, "M", "first")
    last, _ = impute_dates(text, "M", "last")
    assert list(first.dt.strftime("%Y-%m-%d").fillna("")) == ["2023-03-15", "2023-03-01", "2023-01-01", "",
                                                               "2024-02-01"]
    assert list(last.dt.strftime("%Y-%m-%d").fillna("")) == ["2023-03-15", "2023-03-31", "2023-12-31", "", "2024-02-29"]
    assert list(flag) == [None, "D", "M", None, "D"]


def test_no_imputation_leaves_partial_dates_null_and_impossible_dates_are_null():
    values, flag = impute_dates(pd.Series(["2023-03", "2023-02-31", "2023-02-28"]), "n")
    assert values.isna().tolist() == [True, True, False] and flag.isna().all()
    values, _ = impute_dates(pd.Series(["2023-03"]), "D")
    assert values.iloc[0] == pd.Timestamp("2023-03-01")
    values, _ = impute_dates(pd.Series(["2023"]), "D")  # month missing needs M
    assert values.isna().all()


def test_a_dash_stands_for_a_missing_part_and_the_parts_after_it_are_imputed_too():
    """SDTMIG 3.4 4.4.4: ``2024---15`` is a date with its month unknown; as admiral, the day after it is imputed."""
    text = pd.Series(["2024---15", "2024-06-15", "--06-15", "2024-06-"])  # a dangling dash is not ISO 8601
    values, flag = impute_dates(text, "M", "first")
    assert list(values.dt.strftime("%Y-%m-%d").fillna("")) == ["2024-01-01", "2024-06-15", "", ""]
    assert list(flag) == ["M", None, None, None]
    values, _ = impute_dates(text, "D")  # the month is missing: a day-level imputation cannot make a date of it
    assert values.isna().tolist() == [True, False, True, True]


def test_preserve_keeps_a_part_collected_after_a_missing_one():
    values, flag = impute_dates(pd.Series(["2024---15"]), "M", "last", preserve=True)
    assert values.iloc[0] == pd.Timestamp("2024-12-15") and flag.iloc[0] == "M"
    values, _, tmf = impute_datetimes(pd.Series(["2024-06-15T-:30"]), "h", preserve=True)
    assert values.iloc[0] == pd.Timestamp("2024-06-15T00:30:00") and tmf.iloc[0] == "H"
    values, _, tmf = impute_datetimes(pd.Series(["2024-06-15T-:30"]), "h")
    assert values.iloc[0] == pd.Timestamp("2024-06-15T00:00:00") and tmf.iloc[0] == "H"


def test_dates_shaped_as_admirals_own_examples_impute_as_admiral_documents():
    """admiral's impute_dtc_dtm examples: fractional seconds, truncated values and a dashed month."""
    text = pd.Series(["2019-07-18T15:25:40.243", "2019-07-18T15:25", "2019-07-18", "2019-02", "2019", "2019---07"])
    first, _, _ = impute_datetimes(text, "M", "first", "first")
    last, _, _ = impute_datetimes(text, "M", "last", "last")
    assert list(first.dt.strftime("%Y-%m-%dT%H:%M:%S")) == [
        "2019-07-18T15:25:40", "2019-07-18T15:25:00", "2019-07-18T00:00:00", "2019-02-01T00:00:00",
        "2019-01-01T00:00:00", "2019-01-01T00:00:00"]
    assert list(last.dt.strftime("%Y-%m-%dT%H:%M:%S")) == [
        "2019-07-18T15:25:40", "2019-07-18T15:25:59", "2019-07-18T23:59:59", "2019-02-28T23:59:59",
        "2019-12-31T23:59:59", "2019-12-31T23:59:59"]
    mid = pd.Series(["2019-02", "2019", "2019---01"])
    assert list(impute_dates(mid, "M", "mid")[0].dt.strftime("%Y-%m-%d")) == ["2019-02-15", "2019-06-30", "2019-06-30"]
    assert list(impute_dates(mid, "M", "mid", preserve=True)[0].dt.strftime("%Y-%m-%d")) == [
        "2019-02-15", "2019-06-30", "2019-06-01"]


def test_the_range_a_dashed_date_allows_is_its_whole_year_for_min_dates():
    """``2024---15`` could be any month, so a first dose anywhere in 2024 bounds the imputed date."""
    frame = pd.DataFrame({"AESTDTC": ["2024---15", "2024---15"], "TRTSDT": dates("2024-09-03", "2025-01-02")})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                        "min_dates": ["TRTSDT"], "preserve": True})
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2024-09-03", "2024-01-15"]


def test_imputed_start_is_not_before_the_first_dose_in_the_same_month_but_other_months_are_untouched():
    frame = pd.DataFrame({"AESTDTC": ["2023-03", "2023-03", "2023-04", "2023-03-02"],
                          "TRTSDT": dates("2023-03-20", None, "2023-03-20", "2023-03-20")})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                        "min_dates": ["TRTSDT"]})
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2023-03-20", "2023-03-01", "2023-04-01", "2023-03-02"]
    assert list(out["ASTDTF"]) == ["D", "D", "D", None]


def test_imputed_end_is_not_after_death():
    frame = pd.DataFrame({"AEENDTC": ["2023-05", "2023-05"], "DTHDT": dates("2023-05-10", "2023-06-02")})
    out = run("derive_vars_dt", frame, {"dtc": "AEENDTC", "new_vars_prefix": "AEN", "highest_imputation": "M",
                                        "date_imputation": "last", "max_dates": ["DTHDT"]})
    assert list(out["AENDT"].dt.strftime("%Y-%m-%d")) == ["2023-05-10", "2023-05-31"]


def _ae_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """ADAE's dates as the example specs derive them: the end first (not after death), then the start (not before
    the first dose, not after its own end), as admiral's ADAE template with ``max_dates = exprs(AENDT)``."""
    frame = run("derive_vars_dt", frame, {"dtc": "AEENDTC", "new_vars_prefix": "AEN", "highest_imputation": "M",
                                          "date_imputation": "last", "max_dates": ["DTHDT"]})
    return run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                         "min_dates": ["TRTSDT"], "max_dates": ["AENDT"]})


def test_an_imputed_start_is_never_after_a_complete_end_of_the_same_record():
    # the AD0104 case: started in June, ended 7 June, first dose 10 June: imputing to the first dose would put the
    # start after the end; the end is in the start's possible range, so the start is imputed to the end
    frame = pd.DataFrame({"AESTDTC": ["2024-06", "2024-06", "2024-06", "2024"],
                          "AEENDTC": ["2024-06-07", "2024-06-20", "2024-06-07", "2024-02-11"],
                          "TRTSDT": dates("2024-06-10", "2024-06-10", None, "2024-03-01"),
                          "DTHDT": dates(None, None, None, None)})
    out = _ae_dates(frame)
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2024-06-07", "2024-06-10", "2024-06-01", "2024-02-11"]
    assert (out["ASTDT"] <= out["AENDT"]).all()
    # the flag says which part was imputed, whichever rule set the value
    assert list(out["ASTDTF"]) == ["D", "D", "D", "M"]


def test_a_maximum_date_wins_over_a_minimum_date_and_a_later_end_leaves_the_first_dose_imputation():
    frame = pd.DataFrame({"AESTDTC": ["2024-06", "2024-06"], "AEENDTC": ["2024-06", "2024-07-03"],
                          "TRTSDT": dates("2024-06-10", "2024-06-10"), "DTHDT": dates("2024-06-04", None)})
    out = _ae_dates(frame)
    # the end is capped at death (4 June), then the start at that end although the first dose is later
    assert list(out["AENDT"].dt.strftime("%Y-%m-%d")) == ["2024-06-04", "2024-07-03"]
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2024-06-04", "2024-06-10"]
    assert list(out["AENDTF"]) == ["D", None] and list(out["ASTDTF"]) == ["D", "D"]


def test_minimum_and_maximum_dates_count_only_within_the_range_the_partial_date_allows():
    frame = pd.DataFrame({"AESTDTC": ["2024-06", "2024-06", "2024", "2024-06"],
                          "TRTSDT": dates("2024-07-02", "2024-05-30", "2024-03-05", "2024-06-30"),
                          "AENDT": dates("2024-05-20", "2024-07-01", "2025-01-10", "2024-06-30")})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                        "min_dates": ["TRTSDT"], "max_dates": ["AENDT"]})
    # a first dose in July or May cannot move a June start (the month was collected); neither can an end outside
    # June, even one before the start's month (that record is inconsistent and left for the validator to report)
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2024-06-01", "2024-06-01", "2024-03-05", "2024-06-30"]
    assert list(out["ASTDTF"]) == ["D", "D", "M", "D"]


def test_complete_and_unusable_dates_are_untouched_by_minimum_and_maximum_dates():
    frame = pd.DataFrame({"AESTDTC": ["2024-06-05", "2024-06-05", "2024-06-31", None, "2024--06"],
                          "TRTSDT": dates("2024-06-10", None, "2024-06-10", "2024-06-10", "2024-06-10"),
                          "AENDT": dates("2024-06-01", "2024-06-01", None, "2024-06-01", None)})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                        "min_dates": ["TRTSDT"], "max_dates": ["AENDT"]})
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d").fillna("")) == ["2024-06-05", "2024-06-05", "", "", ""]
    assert out["ASTDTF"].isna().all()


def test_no_imputation_allowed_means_minimum_dates_do_not_fill_a_partial_date():
    frame = pd.DataFrame({"AESTDTC": ["2024-06", "2024"], "TRTSDT": dates("2024-06-10", "2024-06-10")})
    out = run("derive_vars_dt", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "D",
                                        "min_dates": ["TRTSDT"]})
    assert list(out["ASTDT"].dt.strftime("%Y-%m-%d").fillna("")) == ["2024-06-10", ""]
    assert list(out["ASTDTF"].fillna("")) == ["D", ""]


def test_datetime_minimum_counts_to_the_second_within_the_possible_range():
    frame = pd.DataFrame({"AESTDTC": ["2024-06-10", "2024-06-10T09", "2024-06", "2024-06-10T10:30:00"],
                          "TRTSDTM": pd.to_datetime(pd.Series(["2024-06-10T10:30:00"] * 4))})
    out = run("derive_vars_dtm", frame, {"dtc": "AESTDTC", "new_vars_prefix": "AST", "highest_imputation": "M",
                                         "min_dates": ["TRTSDTM"]})
    # a date without a time spans the whole day, so the dose time counts; 09:xx cannot be 10:30; a complete
    # datetime stays as collected
    assert list(out["ASTDTM"].dt.strftime("%Y-%m-%dT%H:%M:%S")) == [
        "2024-06-10T10:30:00", "2024-06-10T09:00:00", "2024-06-10T10:30:00", "2024-06-10T10:30:00"]
    assert list(out["ASTDTF"].fillna("")) == ["", "", "D", ""]
    assert list(out["ASTTMF"].fillna("")) == ["H", "M", "H", ""]


@pytest.mark.parametrize("study", ["carnk-sclc", "cll1-aml"])
def test_the_example_adae_specs_never_impute_a_start_past_its_end(study):
    """The shipped ADAE specs' own date steps, run in their order on the AD0104 case (start 2024-06, first dose
    10 June, end 7 June) and on a start whose end lies in a later month."""
    from converters.adam.spec import load_adam_spec

    spec = load_adam_spec(Path(__file__).resolve().parents[1] / "mappings" / study / "adam" / "adae.yaml")
    frame = pd.DataFrame({"AESTDTC": ["2024-06", "2024-06"], "AEENDTC": ["2024-06-07", "2024-07-02"],
                          "TRTSDT": dates("2024-06-10", "2024-06-10"), "DTHDT": dates(None, None),
                          "EOSDT": dates(None, None)})
    for step in spec.steps:
        if step.verb.name == "derive_vars_dt":
            frame = step.verb.fill(frame, step.options, context(name="ADAE"))
    assert list(frame["ASTDT"].dt.strftime("%Y-%m-%d")) == ["2024-06-07", "2024-06-10"]
    assert list(frame["ASTDTF"]) == ["D", "D"]


_DAYS = pd.date_range("2023-11-01", "2024-03-31", freq="D")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(range(len(_DAYS)))), st.sampled_from(["day", "month", "year"]),
                          st.integers(0, 60), st.one_of(st.none(), st.integers(-40, 40))), min_size=1, max_size=20))
def test_property_an_imputed_start_stays_in_its_range_and_never_passes_a_consistent_complete_end(records):
    """For any start (complete, month or year known), a complete end on or after the start's first possible day,
    and any first dose: the imputed start lies in the start's possible range and not after the end."""
    start_text, end, dose = [], [], []
    for day_index, known, length, dose_offset in records:
        day = _DAYS[day_index]
        start_text.append({"day": f"{day:%Y-%m-%d}", "month": f"{day:%Y-%m}", "year": f"{day:%Y}"}[known])
        first_possible = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[known]
        end.append(first_possible + pd.Timedelta(days=length))
        dose.append(None if dose_offset is None else day + pd.Timedelta(days=dose_offset))
    frame = pd.DataFrame({"AESTDTC": start_text, "AEENDTC": [f"{e:%Y-%m-%d}" for e in end],
                          "TRTSDT": pd.to_datetime(pd.Series(dose, dtype=object)), "DTHDT": dates(*[None] * len(end))})
    out = _ae_dates(frame)
    lo, _ = impute_dates(frame["AESTDTC"], "M", "first")
    hi, _ = impute_dates(frame["AESTDTC"], "M", "last")
    assert out["ASTDT"].notna().all()
    assert (out["ASTDT"] <= out["AENDT"]).all()
    assert ((out["ASTDT"] >= lo) & (out["ASTDT"] <= hi)).all()
    complete = frame["AESTDTC"].str.len() == 10
    assert (out.loc[complete, "ASTDT"] == pd.to_datetime(frame.loc[complete, "AESTDTC"])).all()
    assert (out["ASTDTF"].isna() == complete).all()


def test_datetimes_impute_missing_time_parts_and_flag_the_highest():
    values, dtf, tmf = impute_datetimes(pd.Series(["2023-03-15T10:20", "2023-03-15", "2023-03-15T10:20:30"]), "h")
    assert list(values.dt.strftime("%H:%M:%S")) == ["10:20:00", "00:00:00", "10:20:30"]
    assert list(tmf) == ["S", "H", None] and dtf.isna().all()
    frame = pd.DataFrame({"EXSTDTC": ["2023-03-15T10:20"]})
    out = run("derive_vars_dtm", frame, {"dtc": "EXSTDTC", "new_vars_prefix": "TRTS", "time_imputation": "last"})
    assert out["TRTSDTM"].iloc[0] == pd.Timestamp("2023-03-15T10:20:59") and out["TRTSTMF"].iloc[0] == "S"


# --- relative days and durations --------------------------------------------------------------------------------

def test_relative_day_has_no_day_zero():
    frame = pd.DataFrame({"TRTSDT": dates("2023-03-10", "2023-03-10", "2023-03-10"),
                          "ASTDT": dates("2023-03-10", "2023-03-09", None)})
    out = run("derive_vars_dy", frame, {"source_vars": ["ASTDT"]})
    assert out["ASTDY"].tolist()[:2] == [1.0, -1.0] and np.isnan(out["ASTDY"].iloc[2])


def test_duration_counts_both_days_by_default():
    frame = pd.DataFrame({"TRTSDT": dates("2023-03-01"), "TRTEDT": dates("2023-03-15")})
    out = run("derive_vars_duration", frame, {"new_var": "TRTDURD", "start_date": "TRTSDT", "end_date": "TRTEDT"})
    assert out["TRTDURD"].iloc[0] == 15.0
    out = run("derive_vars_duration", frame, {"new_var": "D", "start_date": "TRTSDT", "end_date": "TRTEDT",
                                              "add_one": False, "out_unit": "weeks"})
    assert out["D"].iloc[0] == 2.0


# --- flags --------------------------------------------------------------------------------------------------------

def test_treatment_emergent_from_first_dose_within_the_window_and_missing_starts_by_their_end():
    frame = pd.DataFrame({
        "ASTDT": dates("2023-03-09", "2023-03-10", "2023-04-30", "2023-05-01", None, None),
        "AENDT": dates(None, None, None, None, "2023-03-12", "2023-03-01"),
        "TRTSDT": dates(*["2023-03-10"] * 6), "TRTEDT": dates(*["2023-04-01"] * 6)})
    out = run("derive_var_trtemfl", frame, {"end_window": 29})
    assert list(out["TRTEMFL"]) == [None, "Y", "Y", None, "Y", None]


def test_on_treatment_flag_between_start_and_end_plus_window():
    frame = pd.DataFrame({"ADT": dates("2023-03-09", "2023-03-10", "2023-04-03", "2023-04-04"),
                          "TRTSDT": dates(*["2023-03-10"] * 4), "TRTEDT": dates(*["2023-04-01"] * 4)})
    out = run("derive_var_ontrtfl", frame, {"ref_end_window": 2})
    assert list(out["ONTRTFL"]) == [None, "Y", "Y", None]


def test_extreme_flag_marks_the_worst_grade_first_occurrence_per_subject():
    frame = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"], "ATOXGRN": [2.0, 3.0, 3.0, 1.0],
                          "ASTDT": dates("2023-01-01", "2023-01-05", "2023-01-03", "2023-01-01"),
                          "TRTEMFL": ["Y", "Y", "Y", None]})
    out = run("derive_var_extreme_flag", frame, {"new_var": "AOCCIFL", "order": ["-ATOXGRN", "ASTDT"],
                                                 "filter": {"TRTEMFL": "Y"}})
    assert list(out["AOCCIFL"]) == [None, None, "Y", None]


def test_flag_from_a_condition_and_exist_flag_from_another_dataset():
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "NINFDLT": [3.0, 1.0], "DLTFL": ["N", "Y"], "SAFFL": ["Y", "Y"]})
    out = run("derive_var_flag", frame, {"new_var": "DLTEVLFL", "false_value": "N",
                                         "condition": {"SAFFL": "Y", "any": [{"NINFDLT": {"ge": 3}}, {"DLTFL": "Y"}]}})
    assert list(out["DLTEVLFL"]) == ["Y", "Y"]
    ae = pd.DataFrame({"USUBJID": ["B", "B"], "AEDLT": ["N", "Y"]})
    out = run("derive_var_merged_exist_flag", frame, {"dataset_add": "AE", "new_var": "X", "condition": {"AEDLT": "Y"}},
              context({"AE": ae}))
    assert list(out["X"]) == ["N", "Y"]


# --- merges and summaries -----------------------------------------------------------------------------------------

def test_merged_variables_come_from_the_first_record_by_order_and_are_predecessors_when_copied():
    ex = pd.DataFrame({"USUBJID": ["A", "A", "B"], "EXSTDTC": ["2023-03-08", "2023-03-01", "2023-04-01"],
                       "EXCAT": ["CAR", "CAR", "LD"]})
    frame = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    ctx = context({"EX": ex})
    out = run("derive_vars_merged", frame, {"dataset_add": "EX", "filter_add": {"EXCAT": "CAR"},
                                            "order": ["EXSTDTC"], "mode": "first", "new_vars": {"TRTSDTC": "EXSTDTC"}},
              ctx)
    assert out["TRTSDTC"].iloc[0] == "2023-03-01" and out["TRTSDTC"].iloc[1:].isna().all() and len(out) == 3
    assert ctx.provenance["TRTSDTC"].origin == "Derived"
    dm = pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [50.0, 60.0]})
    ctx = context({"DM": dm})
    out = run("derive_vars_merged", frame, {"dataset_add": "DM", "new_vars": {"AGE": "AGE"}}, ctx)
    assert ctx.provenance["AGE"].predecessor == "DM.AGE" and out["AGE"].tolist()[:2] == [50.0, 60.0]


def test_merge_without_mode_refuses_several_records_per_subject():
    from converters.errors import DataError

    ex = pd.DataFrame({"USUBJID": ["A", "A"], "EXSTDTC": ["2023-03-08", "2023-03-01"]})
    with pytest.raises(DataError, match="more than one record"):
        run("derive_vars_merged", pd.DataFrame({"USUBJID": ["A"]}), {"dataset_add": "EX"}, context({"EX": ex}))


def test_merged_summary_counts_and_distinct_counts_with_zero_for_none():
    ex = pd.DataFrame({"USUBJID": ["A", "A", "A"], "CYCLE": ["1", "1", "2"], "EXDOSE": [1.0, 2.0, 3.0]})
    frame = pd.DataFrame({"USUBJID": ["A", "B"]})
    ctx = context({"EX": ex})
    out = run("derive_var_merged_summary", frame, {"dataset_add": "EX", "new_var": "NINF"}, ctx)
    out = run("derive_var_merged_summary", out, {"dataset_add": "EX", "new_var": "NCYC", "analysis_var": "CYCLE",
                                                 "summary_fun": "n_distinct"}, ctx)
    out = run("derive_var_merged_summary", out, {"dataset_add": "EX", "new_var": "TOT", "analysis_var": "EXDOSE",
                                                 "summary_fun": "sum"}, ctx)
    assert out[["NINF", "NCYC", "TOT"]].values.tolist() == [[3.0, 2.0, 6.0], [0.0, 0.0, 0.0]]


def test_extreme_date_is_the_last_complete_date_across_sources_including_the_dataset_itself():
    ae = pd.DataFrame({"USUBJID": ["A", "A"], "AESTDTC": ["2023-05-01", "2023-06"]})
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "DTHDT": dates(None, "2023-02-02")})
    out = run("derive_var_extreme_dt", frame, {"new_var": "LSTALVDT", "sources": [
        {"dataset": "AE", "date": "AESTDTC"}, {"dataset": "ADTEST", "date": "DTHDT"}]}, context({"AE": ae}))
    assert list(out["LSTALVDT"].dt.strftime("%Y-%m-%d")) == ["2023-05-01", "2023-02-02"]


# --- values -------------------------------------------------------------------------------------------------------

def test_map_numeric_codes_and_keep_or_replace_others():
    frame = pd.DataFrame({"ARMCD": ["A", "B", None], "EOS": ["COMPLETED", "DEATH", None]})
    out = run("derive_var_map", frame, {"source_var": "ARMCD", "new_var": "TRT01PN", "values": {"A": 1, "B": 2}})
    assert out["TRT01PN"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["TRT01PN"].iloc[2])
    out = run("derive_var_map", frame, {"source_var": "EOS", "new_var": "EOSSTT", "values": {"COMPLETED": "COMPLETED"},
                                        "other": "value", "other_value": "DISCONTINUED", "missing_value": "ONGOING"})
    assert out["EOSSTT"].tolist() == ["COMPLETED", "DISCONTINUED", "ONGOING"]
    out = run("derive_var_map", frame, {"source_var": "EOS", "new_var": "DCSREAS", "values": {"COMPLETED": None},
                                        "other": "keep"})
    assert out["DCSREAS"].tolist() == [None, "DEATH", None]


def test_age_groups_include_their_lower_bound():
    frame = pd.DataFrame({"AGE": [64.0, 65.0, None]})
    out = run("derive_vars_cat", frame, {"source_var": "AGE", "new_var": "AGEGR1", "new_var_n": "AGEGR1N",
                                         "breaks": [65], "labels": ["<65", ">=65"]})
    assert out["AGEGR1"].tolist() == ["<65", ">=65", None] and out["AGEGR1N"].tolist()[:2] == [1.0, 2.0]
    with pytest.raises(ValidationError):
        run("derive_vars_cat", frame, {"source_var": "AGE", "new_var": "G", "breaks": [65], "labels": ["x"]})


def test_constant_values_are_assigned():
    out = run("derive_vars_constant", pd.DataFrame({"X": [1, 2]}), {"set_values_to": {"PARAMCD": "OVR", "N": 3}})
    assert out["PARAMCD"].tolist() == ["OVR", "OVR"] and out["N"].tolist() == [3.0, 3.0]


def test_toxicity_grade_reads_astct_before_ctcae_and_names_the_scale():
    frame = pd.DataFrame({"ASTCTGR": ["2", None, None], "AETOXGR": [None, "3", "Grade 4"]})
    out = run("derive_var_atoxgr", frame, {"sources": [{"var": "ASTCTGR", "scale": "ASTCT 2019"},
                                                       {"var": "AETOXGR", "scale": "CTCAE v5.0"}],
                                           "scale_var": "ATOXSCL"})
    assert out["ATOXGR"].tolist() == ["2", "3", "4"] and out["ATOXGRN"].tolist() == [2.0, 3.0, 4.0]
    assert out["ATOXSCL"].tolist() == ["ASTCT 2019", "CTCAE v5.0", "CTCAE v5.0"]


def test_toxicity_grade_takes_each_records_scale_from_the_scale_variable():
    frame = pd.DataFrame({"AETOXGR": ["2", "3", None], "AETOXSCL": ["ASTCT 2019", "CTCAE V5.0", "CTCAE V5.0"]})
    out = run("derive_var_atoxgr", frame, {"sources": [{"var": "AETOXGR", "scale_from": "AETOXSCL"}],
                                           "scale_var": "ATOXSCL"})
    assert out["ATOXGRN"].tolist()[:2] == [2.0, 3.0] and pd.isna(out["ATOXGRN"].iloc[2])
    assert out["ATOXSCL"].tolist() == ["ASTCT 2019", "CTCAE V5.0", None]


def test_toxicity_grade_source_names_one_scale():
    with pytest.raises(Exception, match="either 'scale'"):
        run("derive_var_atoxgr", pd.DataFrame({"AETOXGR": ["1"]}), {"sources": [{"var": "AETOXGR"}]})


def test_obs_number_numbers_records_per_subject_in_order():
    frame = pd.DataFrame({"USUBJID": ["B", "A", "A"], "PARAMCD": ["X", "Y", "X"]})
    out = run("derive_var_obs_number", frame, {"order": ["PARAMCD"]})
    assert out[["USUBJID", "PARAMCD", "ASEQ"]].values.tolist() == [["A", "X", 1.0], ["A", "Y", 2.0], ["B", "X", 1.0]]


# --- parameters ---------------------------------------------------------------------------------------------------

def test_exposure_and_computed_parameters_per_subject():
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "A", "A"], "PARAMCD": "DOSE", "AVAL": [100.0, 100.0, 50.0],
                          "CYCLE": ["1", "1", "1"], "DOSE01P": [100.0] * 3})
    out = run("derive_param_exposure", frame, {"filter": {"PARAMCD": "DOSE"}, "set_values_to": {"PARAMCD": "TOT"}})
    out = run("derive_param_exposure", out, {"filter": {"PARAMCD": "DOSE"}, "summary_fun": "n_distinct",
                                             "analysis_var": "CYCLE", "set_values_to": {"PARAMCD": "NCYC"}})
    out = run("derive_param_computed", out, {"numerator": ["TOT"], "denominator": ["NCYC", 3, "DOSE01P"],
                                             "multiply": 100, "digits": 1, "set_values_to": {"PARAMCD": "RDI"}})
    values = out.groupby("PARAMCD")["AVAL"].first()
    assert values["TOT"] == 250.0 and values["NCYC"] == 1.0 and values["RDI"] == 83.3


def _ovr(rows: list[tuple[str, str, str]], start: str = "2023-01-01") -> tuple[pd.DataFrame, dict]:
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": [r[0] for r in rows], "PARAMCD": "OVR",
                          "AVALC": [r[2] for r in rows], "ADT": dates(*[r[1] for r in rows]),
                          "TRTSDT": dates(*[start] * len(rows))})
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": sorted({r[0] for r in rows} | {"Z"}), "SAFFL": "Y"})
    return frame, {"ADSL": adsl}


RECIST = {"source_filter": {"PARAMCD": "OVR"}, "hierarchy": ["CR", "PR", "SD", "PD", "NE"], "end_at": ["PD"],
          "minimum_duration": {"values": ["SD"], "days": 42},
          "set_values_to": {"PARAMCD": "BOR"}}
CONFIRM = {"confirm": {"CR": ["CR"], "PR": ["CR", "PR"]}, "interval_days": 28, "max_ne_between": 1,
           "allowed_between": ["CR", "PR"]}


def _bor(frame: pd.DataFrame, built: dict, **extra) -> dict[str, str]:
    out = run("derive_param_bor", frame, {**RECIST, **extra}, context(built=built))
    bor = out[out["PARAMCD"].eq("BOR")]
    return dict(zip(bor["USUBJID"], bor["AVALC"]))


def test_sd_counts_only_at_least_the_minimum_duration_after_the_first_dose():
    frame, built = _ovr([("A", "2023-02-11", "SD"), ("B", "2023-02-12", "SD")])  # day 42 after is 2023-02-12
    assert _bor(frame, built) == {"A": "NE", "B": "SD", "Z": "NE"}


def test_confirmation_accepts_one_ne_between_but_not_two():
    frame, built = _ovr([("A", "2023-02-15", "PR"), ("A", "2023-03-01", "NE"), ("A", "2023-03-20", "PR"),
                         ("B", "2023-02-15", "PR"), ("B", "2023-03-01", "NE"), ("B", "2023-03-10", "NE"),
                         ("B", "2023-03-20", "PR")])
    assert _bor(frame, built, confirmation=CONFIRM) == {"A": "PR", "B": "SD", "Z": "NE"}


def test_confirmation_needs_the_interval_and_no_progression_between():
    frame, built = _ovr([("A", "2023-02-15", "CR"), ("A", "2023-03-10", "CR"),
                         ("B", "2023-02-15", "PR"), ("B", "2023-03-01", "SD"), ("B", "2023-03-20", "PR"),
                         ("C", "2023-02-15", "CR"), ("C", "2023-03-15", "CR")])
    assert _bor(frame, built, confirmation=CONFIRM) == {"A": "SD", "B": "SD", "C": "CR", "Z": "NE"}


def test_assessments_after_progression_do_not_count():
    frame, built = _ovr([("A", "2023-02-15", "PD"), ("A", "2023-03-20", "PR")])
    assert _bor(frame, built)["A"] == "PD"


def test_response_parameter_flags_responders_from_a_best_response():
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": "BOR", "AVALC": ["PR", "SD"],
                          "ADT": dates("2023-02-01", "2023-03-01")})
    out = run("derive_param_response", frame, {"source_param": "BOR", "responses": ["CR", "PR"],
                                               "set_values_to": {"PARAMCD": "ORR"}})
    orr = out[out["PARAMCD"].eq("ORR")]
    assert orr["AVALC"].tolist() == ["Y", "N"] and orr["AVAL"].tolist() == [1.0, 0.0]
    assert orr["ADT"].notna().tolist() == [True, False]


def test_tte_event_is_the_earliest_event_and_censoring_the_last_adequate_assessment():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "B", "C"], "SAFFL": "Y",
                         "TRTSDT": dates("2023-01-01", "2023-01-01", "2023-01-01"),
                         "DTHDT": dates("2023-06-01", None, None)})
    adrs = pd.DataFrame({"USUBJID": ["A", "B", "B", "B"], "PARAMCD": "OVR", "RSSEQ": [1.0, 1.0, 2.0, 3.0],
                         "AVALC": ["PD", "SD", "PR", "NE"], "ADT": dates("2023-03-01", "2023-02-01", "2023-03-15",
                                                                           "2023-05-01")})
    options = {"start_date": "TRTSDT",
               "event_conditions": [
                   {"dataset": "ADRS", "date": "ADT", "filter": {"AVALC": "PD"}, "seq_var": "RSSEQ",
                    "set_values_to": {"EVNTDESC": "PD"}},
                   {"dataset": "ADSL", "date": "DTHDT", "set_values_to": {"EVNTDESC": "DEATH"}}],
               "censor_conditions": [
                   {"dataset": "ADSL", "date": "TRTSDT", "censor": 1, "set_values_to": {"EVNTDESC": "START"}},
                   {"dataset": "ADRS", "date": "ADT", "filter": {"AVALC": ["CR", "PR", "SD"]}, "censor": 1,
                    "seq_var": "RSSEQ", "set_values_to": {"EVNTDESC": "LAST ADEQUATE"}}],
               "set_values_to": {"PARAMCD": "PFS"}}
    empty = pd.DataFrame({"STUDYID": pd.Series(dtype=object), "USUBJID": pd.Series(dtype=object)})
    out = run("derive_param_tte", empty, options, context(built={"ADSL": adsl, "ADRS": adrs}))
    out = run("derive_vars_duration", out, {"new_var": "AVAL", "start_date": "STARTDT", "end_date": "ADT"})
    got = out.set_index("USUBJID")
    assert got.loc["A", ["CNSR", "EVNTDESC", "SRCSEQ", "AVAL"]].tolist() == [0.0, "PD", 1.0, 60.0]
    assert got.loc["B", ["CNSR", "EVNTDESC", "SRCSEQ"]].tolist() == [1.0, "LAST ADEQUATE", 2.0]  # NE is not adequate
    assert got.loc["B", "ADT"] == pd.Timestamp("2023-03-15")
    assert got.loc["C", ["CNSR", "EVNTDESC", "AVAL"]].tolist() == [1.0, "START", 1.0]


def test_tte_start_from_a_source_gives_records_only_to_subjects_who_have_it():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "B"], "DTHDT": dates(None, None)})
    adrs = pd.DataFrame({"USUBJID": ["A", "A"], "AVALC": ["PR", "PR"], "ADT": dates("2023-02-01", "2023-03-01")})
    options = {"start_date": {"dataset": "ADRS", "date": "ADT", "filter": {"AVALC": ["CR", "PR"]}},
               "event_conditions": [{"dataset": "ADSL", "date": "DTHDT"}],
               "censor_conditions": [{"dataset": "ADRS", "date": "ADT", "censor": 1}],
               "set_values_to": {"PARAMCD": "DOR"}}
    out = run("derive_param_tte", pd.DataFrame({"USUBJID": pd.Series(dtype=object)}), options,
              context(built={"ADSL": adsl, "ADRS": adrs}))
    assert out["USUBJID"].tolist() == ["A"] and out["STARTDT"].iloc[0] == pd.Timestamp("2023-02-01")
    assert out["ADT"].iloc[0] == pd.Timestamp("2023-03-01") and out["CNSR"].iloc[0] == 1.0


# --- filters ------------------------------------------------------------------------------------------------------

def test_filters_are_data_with_operators_any_and_not():
    from converters.adam.where import check_where, describe, evaluate

    frame = pd.DataFrame({"AVALC": ["CR", "PR", " SD ", None], "ADY": [10.0, 50.0, 43.0, np.nan]})
    assert evaluate(frame, {"AVALC": ["CR", "PR"]}).tolist() == [True, True, False, False]
    assert evaluate(frame, {"AVALC": {"ne": "CR"}}).tolist() == [False, True, True, False]
    assert evaluate(frame, {"AVALC": "SD", "ADY": {"ge": 42}}).tolist() == [False, False, True, False]
    assert evaluate(frame, {"AVALC": {"isnull": True}}).tolist() == [False, False, False, True]
    assert evaluate(frame, {"any": [{"AVALC": "CR"}, {"ADY": {"gt": 45}}]}).tolist() == [True, True, False, False]
    assert evaluate(frame, {"not": {"AVALC": "CR"}}).tolist() == [False, True, True, True]
    assert describe({"AVALC": ["CR", "PR"], "ADY": {"ge": 42}}) == "AVALC is one of 'CR', 'PR' and ADY >= 42"
    with pytest.raises(ValueError, match="unknown operator"):
        check_where({"ADY": {"greater": 1}})
    with pytest.raises(KeyError):
        evaluate(frame, {"NOSUCH": "X"})


# --- baseline and change: derive_var_base / derive_var_chg / derive_var_pchg -----------------------------------

def test_base_is_the_baseline_records_value_on_every_record_of_its_parameter():
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1", "1", "1", "2"],
                          "PARAMCD": ["ANC", "ANC", "PLT", "PLT", "ANC"],
                          "AVAL": [2.0, 0.5, 150.0, 40.0, 1.0], "ABLFL": ["Y", None, "Y", None, None]})
    out = run("derive_var_base", frame, {})
    assert out["BASE"].tolist()[:4] == [2.0, 2.0, 150.0, 150.0] and np.isnan(out["BASE"].iloc[4])


def test_base_refuses_two_baseline_records_in_one_group():
    frame = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1"], "PARAMCD": ["ANC", "ANC"], "AVAL": [2.0, 3.0],
                          "ABLFL": ["Y", "Y"]})
    with pytest.raises(Exception, match="more than one baseline record"):
        run("derive_var_base", frame, {})


def test_change_and_percent_change_from_baseline_are_null_without_a_base_and_pchg_is_null_at_base_zero():
    frame = pd.DataFrame({"AVAL": [50.0, 120.0, 3.0, 4.0], "BASE": [100.0, 100.0, None, 0.0]})
    out = run("derive_var_pchg", run("derive_var_chg", frame, {}), {})
    assert out["CHG"].tolist()[:2] == [-50.0, 20.0] and out["CHG"].isna().tolist()[2:] == [True, False]
    assert out["PCHG"].tolist()[:2] == [-50.0, 20.0] and out["PCHG"].isna().tolist()[2:] == [True, True]
