"""--DY: no day 0; negative before RFSTDTC; blank for partial dates."""
import pandas as pd

from converters.sdtm.study_day import derive_study_day


def test_study_day_has_no_day_zero():
    dtc = pd.Series(["2025-03-10", "2025-03-11T08:00", "2025-03-09", "2025-03-01", "2025-03", None])
    ref = pd.Series(["2025-03-10T14:00"] * 6)
    got = derive_study_day(dtc, ref)
    assert list(got.iloc[:4]) == [1.0, 2.0, -1.0, -9.0]
    assert got.iloc[4:].isna().all()


def test_partial_reference_date_gives_blank():
    assert derive_study_day(pd.Series(["2025-03-10"]), pd.Series(["2025-03"])).isna().all()


def test_study_day_fill_when_no_subject_of_the_batch_has_a_reference_date():
    """The batch's shared RFSTDTC days may be empty (no DM record holds one): the fill gives blank study days
    instead of failing to map by an empty date Series (found by the hardening property test)."""
    from converters.sdtm.builder import TimingFill
    from converters.sdtm.keywords.study_day import fill
    from converters.spec.model import SpecPlace, VariableSpec

    frame = pd.DataFrame({"USUBJID": ["A", "B"], "AESTDTC": ["2025-03-10", "2025-03"]})
    var = VariableSpec("AESTDY", "study_day", SpecPlace("ae.yaml", 1), target_refs=("AESTDTC",))
    for rfstdtc in (pd.Series(dtype="object"), pd.Series([None], index=["A"], dtype="object")):
        context = TimingFill(study=None, rfstdtc=rfstdtc, timeline=pd.DataFrame(), notes=[])
        got = fill(frame, var, context)
        assert got.isna().all() and got.dtype == "float64"
