"""Named derivations and study.yaml date sources."""
import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from converters.errors import SpecError
from converters.readers.raw import read_raw_folder
from converters.sdtm.derivations import REGISTRY, DomainContext, RowContext
from converters.sdtm.reference_dates import source_dates, usubjids
from converters.sdtm.study import build_study
from converters.spec.study import DateSource, load_study
from sdtm_fixtures import write_tiny_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    mappings = write_tiny_study(tmp_path_factory.mktemp("tiny"))
    return load_study(mappings), read_raw_folder(mappings / "raw")


def row_ctx(study, raw: pd.DataFrame) -> RowContext:
    out = pd.DataFrame(index=raw.index)
    return RowContext(raw=raw, out=out, study=study, resolve=lambda c: raw[c] if c in raw else out[c])


def test_multiple_races_give_multiple_and_the_items(study):
    definition, _ = study
    raw = pd.DataFrame({"R_W": ["1", "1", "0", "0"], "R_A": ["0", "1", "0", "0"], "R_NR": ["0", "0", "1", "0"]})
    choices = {"R_W": "WHITE", "R_A": "ASIAN", "R_NR": "NOT REPORTED"}
    fn = REGISTRY["multiple_choice"].fn
    ctx = row_ctx(definition, raw)
    assert list(fn(ctx, choices=choices)) == ["WHITE", "MULTIPLE", "NOT REPORTED", None]
    assert list(fn(ctx, choices=choices, item=1)) == [None, "WHITE", None, None]
    assert list(fn(ctx, choices=choices, item=2)) == [None, "ASIAN", None, None]


def test_usubjid_follows_the_study_pattern(study):
    definition, _ = study
    raw = pd.DataFrame({"SUBJID": [" 001", "002"]})
    assert list(usubjids(definition, raw)) == ["TINY-1-001", "TINY-1-002"]
    custom = dataclasses.replace(definition, usubjid_pattern="{STUDYID}/{SITEID}/{SUBJID}")
    raw["SITEID"] = ["01", "02"]
    assert list(usubjids(custom, raw)) == ["TINY-1/01/001", "TINY-1/02/002"]


def test_format_number_and_concat(study):
    definition, _ = study
    raw = pd.DataFrame({"CYCLE": ["1", None], "DAY": ["7", "0"], "DOSE": ["300", "x"]})
    ctx = row_ctx(definition, raw)
    assert list(REGISTRY["format"].fn(ctx, template="CYCLE {CYCLE} DAY {DAY}")) == ["CYCLE 1 DAY 7", None]
    assert REGISTRY["number"].fn(ctx, column="DOSE", factor=1e6).iloc[0] == 3e8
    assert list(REGISTRY["concat"].fn(ctx, columns=["CYCLE", "DAY"], separator="/")) == ["1/7", "0"]


def test_source_dates_pick_first_or_last_after_filtering(study):
    definition, raw = study
    first = source_dates(definition, raw, DateSource("ex", "EXDAT"))
    last = source_dates(definition, raw, DateSource("ex", "EXDAT", pick="last"))
    assert first["TINY-1-001"] == "2025-01-10" and last["TINY-1-001"] == "2025-01-17"
    none = source_dates(definition, raw, DateSource("ex", "EXDAT", where=(("DOSE", "99"),)))
    assert none.empty


def test_first_date_with_where_and_flag(study):
    definition, raw = study
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "DTHDTC": ["2025-02", None]})
    ds = pd.DataFrame({"USUBJID": ["A", "A", "B"], "DSDECOD": ["INFORMED CONSENT OBTAINED", "DEATH", "COMPLETED"],
                       "DSSTDTC": ["2025-01-02", "2025-02-01", "2025-03-01"]})
    ctx = DomainContext(frame=frame, domains={"DS": ds}, study=definition, raw=raw)
    got = REGISTRY["first_date"].fn(ctx, domain="DS", variables=["DSSTDTC"],
                                     where={"DSDECOD": "INFORMED CONSENT OBTAINED"})
    assert list(got) == ["2025-01-02", None]
    assert list(REGISTRY["flag_if_present"].fn(ctx, variable="DTHDTC")) == ["Y", None]


def test_a_date_source_study_yaml_does_not_define_is_an_error_not_blank_dates(study):
    definition, raw = study
    ctx = DomainContext(frame=pd.DataFrame({"USUBJID": ["A"]}), domains={}, study=definition, raw=raw)
    with pytest.raises(SpecError) as info:
        REGISTRY["source_date"].fn(ctx, source="screening_start")
    assert "'screening_start' is not defined in study.yaml" in info.value.message
    assert "reference_end, reference_start, study_end" in info.value.hint


def _subset(raw: dict, subjects: set[str]) -> dict:
    return {name: dataclasses.replace(src, frame=src.frame[src.frame["SUBJID"].isin(subjects)].copy())
            for name, src in raw.items()}


def test_the_build_is_partition_safe_by_subject():
    """Building two halves of the subjects separately gives the same records as building them together."""
    mappings = ROOT / "mappings" / "carnk-sclc"
    definition = load_study(mappings)
    raw = read_raw_folder(definition.raw_dir, encodings=definition.encodings)
    subjects = sorted(set(raw["enrol"].frame["SUBJID"]))
    whole = build_study(mappings, raw=raw, builtins=False)
    halves = [build_study(mappings, raw=_subset(raw, set(part)), builtins=False)
              for part in (subjects[::2], subjects[1::2])]
    for domain in whole.domains:
        together = domain.frame
        parts = pd.concat([next(d.frame for d in h.domains if d.name == domain.name) for h in halves])
        keys = [c for c in ("USUBJID", f"{domain.name}SEQ", "IDVARVAL", "QNAM") if c in together.columns]
        a = together.sort_values(keys).reset_index(drop=True)
        b = parts.reindex(columns=a.columns).sort_values(keys).reset_index(drop=True)
        # a Perm variable is kept only when it carries data, so a half may lack it (TR's TRSTAT when none of its
        # subjects has a lesion not measured): there it is null, as in the whole
        a, b = (f.astype(object).where(f.notna(), None) for f in (a, b))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=domain.name)


def test_planned_arm_is_an_engine_derivation_not_a_study_yaml_loader_one():
    import converters.spec.study as study_yaml
    from converters.sdtm.derivations import REGISTRY as registry

    assert registry["planned_arm"].fn.__module__ == "converters.sdtm.derivations"
    assert not hasattr(study_yaml, "derive_planned_arm")


def _contact_frames() -> dict:
    ae = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1", "S-2"],
                       "AESTDTC": ["2025-01-05", "2025-02-01T08:00", "2025-03", "2025-01-20"],
                       "AEENDTC": ["2025-01-09", "2025-04-30", None, "2025-05-02"],
                       "AEENRTPT": [None, "ONGOING", None, None],
                       "AEOUT": ["RECOVERED/RESOLVED", None, None, "NOT RECOVERED/NOT RESOLVED"]})
    rs = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RSDTC": ["2025-02-10", "2025-02-15"]})
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFICDTC": ["2025-01-01", "2025-01-02"],
                       "DTHDTC": ["2025-09-01", None]})
    return {"AE": ae, "RS": rs, "DM": dm}


def test_contact_is_collected_dates_but_not_ends_of_ongoing_events_partial_dates_or_dm_dates():
    from converters.sdtm.derivations import contact_dates

    got = contact_dates(_contact_frames()).groupby("USUBJID")["date"].max().to_dict()
    assert got == {"S-1": "2025-02-10", "S-2": "2025-02-15"}


def test_contact_after_the_data_cutoff_does_not_count():
    from converters.sdtm.derivations import contact_dates

    frames = _contact_frames()
    frames["RS"] = frames["RS"].assign(RSDTC=["2025-02-10", "2025-07-01"])
    got = contact_dates(frames, "2025-06-30").groupby("USUBJID")["date"].max().to_dict()
    assert got == {"S-1": "2025-02-10", "S-2": "2025-01-20"}


def test_end_of_participation_is_the_end_of_study_date_else_the_last_contact(tmp_path):
    from types import SimpleNamespace

    from converters.spec.study import StudyDefinition

    study = StudyDefinition("S", tmp_path / "study.yaml", data_cutoff="2025-06-30",
                            sources={"study_end": DateSource("ds", "DSDAT")})
    raw = {"ds": SimpleNamespace(frame=pd.DataFrame({"SUBJID": ["1"], "DSDAT": ["20-MAR-2025"]}))}
    frames = _contact_frames()
    # the subjects in reverse order: the result follows DM's rows, subject by subject
    dm = pd.DataFrame({"USUBJID": ["S-2", "S-1", "S-3"]})
    ctx = DomainContext(frame=dm, domains=frames, study=study, raw=raw)
    assert REGISTRY["participation_end"].fn(ctx, source="study_end").tolist() == ["2025-02-15", "2025-03-20", None]
