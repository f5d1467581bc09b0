"""VISIT/VISITNUM from the visit plan; unplanned visits numbered after the preceding planned visit."""
import pandas as pd

from converters.sdtm.visits import PlannedVisit, assign_visit

PLAN = [PlannedVisit(1, "SCREENING", -28, ("SCREENING",)), PlannedVisit(6, "WEEK 6", 43, ("WEEK 6", "W6"))]


def test_planned_visits_by_name_or_alias():
    got = assign_visit(pd.Series(["screening", "W6"]), pd.Series(["2025-01-01", "2025-03-01"]),
                       pd.Series(["A", "A"]), PLAN)
    assert list(got["VISIT"]) == ["SCREENING", "WEEK 6"] and list(got["VISITNUM"]) == [1.0, 6.0]
    assert list(got["VISITDY"]) == [-28.0, 43.0]


def test_unplanned_visits_get_previous_planned_number_plus_hundredths():
    got = assign_visit(pd.Series(["SCREENING", "UNSCHED", "UNSCHED", "UNSCHED", "WEEK 6", "UNSCHED"]),
                       pd.Series(["2025-01-01", "2025-01-05", "2025-01-09", "2025-01-09", "2025-03-01",
                                  "2025-03-04"]),
                       pd.Series(["A"] * 6), PLAN)
    assert list(got["VISITNUM"]) == [1.0, 1.01, 1.02, 1.02, 6.0, 6.01]
    assert got["VISIT"].iloc[1] == "UNSCHEDULED 1.01" and pd.isna(got["VISITDY"].iloc[1])


def test_unplanned_numbering_is_per_subject():
    got = assign_visit(pd.Series(["SCREENING", "X", "SCREENING", "X"]),
                       pd.Series(["2025-01-01", "2025-01-02", "2025-02-01", "2025-02-02"]),
                       pd.Series(["A", "A", "B", "B"]), PLAN)
    assert list(got["VISITNUM"]) == [1.0, 1.01, 1.0, 1.01]
