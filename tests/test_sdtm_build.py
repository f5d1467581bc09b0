"""The domain build on a tiny study: subjects, rejections, counts, timing variables, SUPP-- and metadata."""
import pandas as pd
import pytest

from converters.sdtm.study import build_study
from sdtm_fixtures import write_tiny_study


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return build_study(write_tiny_study(tmp_path_factory.mktemp("tiny")), builtins=False)


def domain(build, name):
    return next(d for d in build.domains if d.name == name)


def log_for(build, dom):
    f = build.log.frame()
    return f[f["domain"] == dom]


def test_dm_has_every_subject_with_screen_failure_reason(build):
    dm = domain(build, "DM").frame.set_index("USUBJID")
    assert list(dm.index) == ["TINY-1-001", "TINY-1-002"]  # 003 is dropped: its SEX cannot be mapped
    assert pd.isna(dm.loc["TINY-1-002", "ARMCD"]) and dm.loc["TINY-1-002", "ARMNRS"] == "SCREEN FAILURE"
    assert dm.loc["TINY-1-001", "ARM"] == "Low dose" and dm.loc["TINY-1-001", "ACTARMCD"] == "LOW"
    assert dm.loc["TINY-1-001", "RFSTDTC"] == "2025-01-10" and dm.loc["TINY-1-001", "RFENDTC"] == "2025-01-17"


def test_unmappable_sex_is_reported_and_the_record_dropped_because_sex_is_required(build):
    log = log_for(build, "DM")
    assert ("dm.csv", 3, "SEX_CD", "9") in set(zip(log["source"], log["row"], log["column"], log["value"]))
    reasons = set(log.loc[log["row"] == 3, "action"])
    assert reasons == {"value set to null", "record dropped"}


def test_records_of_a_subject_dropped_from_dm_are_dropped_too(build):
    log = log_for(build, "EX")
    assert ("SUBJID", "003", "record dropped") in set(zip(log["column"], log["value"], log["action"]))


def test_records_of_unknown_subjects_are_dropped(build):
    log = log_for(build, "AE")
    hit = log[log["row"] == 5]
    assert list(hit["column"]) == ["SUBJID"] and list(hit["value"]) == ["099"]
    assert list(hit["action"]) == ["record dropped"]


def test_exact_duplicates_are_dropped(build):
    log = log_for(build, "EX")
    dup = log[log["column"] == "*"]
    assert list(dup["row"]) == [3] and "duplicate of row 2" in dup["reason"].iloc[0]


def test_impossible_date_is_nulled_and_reported(build):
    log = log_for(build, "AE")
    hit = log[(log["row"] == 3)]
    assert list(hit["column"]) == ["STDAT"] and list(hit["value"]) == ["31-FEB-2025"]
    assert list(hit["action"]) == ["value set to null"]


def test_end_before_start_is_nulled_and_reported(build):
    ae = domain(build, "AE").frame
    fever = ae[ae["AETERM"] == "Fever"].iloc[0]
    assert fever["AESTDTC"] == "2025-01-11T08:00" and pd.isna(fever["AEENDTC"])
    assert "AEENDTC is before AESTDTC" in set(log_for(build, "AE")["reason"])


def test_blank_required_value_drops_the_record(build):
    log = log_for(build, "AE")
    assert ("AETERM is required (Req) but blank") in set(log["reason"])


def test_unmapped_ct_value_is_nulled(build):
    ae = domain(build, "AE").frame
    assert pd.isna(ae.loc[ae["AETERM"] == "Nausea", "AESER"].iloc[0])


def test_non_numeric_value_of_a_numeric_variable_is_reported(build):
    log = log_for(build, "EX")
    assert ("DOSE", "five") in set(zip(log["column"], log["value"]))


def test_counts_add_up(build):
    for d in build.domains:
        if d.parent is None:
            assert d.rows_read == d.filtered + d.records + d.rejected, d.name


def test_study_days_epochs_and_sequence(build):
    ae = domain(build, "AE").frame.set_index("AETERM")
    assert ae.loc["Headache", "AESTDY"] == -1 and ae.loc["Headache", "AEENDY"] == 1
    assert ae.loc["Fever", "AESTDY"] == 2
    assert pd.isna(ae.loc["Nausea", "AESTDY"])  # partial date
    assert ae.loc["Headache", "EPOCH"] == "SCREENING" and ae.loc["Fever", "EPOCH"] == "TREATMENT"
    assert ae.loc["Nausea", "AESTDTC"] == "2025-03"
    assert sorted(ae["AESEQ"]) == [1.0, 2.0, 3.0, 4.0]


def test_supp_records_point_at_the_parent_seq(build):
    supp = domain(build, "SUPPAE").frame
    ae = domain(build, "AE").frame
    fever_seq = ae.loc[ae["AETERM"] == "Fever", "AESEQ"].iloc[0]
    row = supp[supp["QVAL"] == "Y"].iloc[0]
    assert (row["IDVAR"], row["IDVARVAL"], row["QNAM"]) == ("AESEQ", str(int(fever_seq)), "AEDLT")
    assert row["QORIG"] == "CRF"


def test_perm_variables_without_data_are_left_out_and_exp_kept(build):
    ae = domain(build, "AE").frame
    assert "AESPID" not in ae.columns  # Perm, not mapped
    assert "AEBODSYS" in ae.columns and ae["AEBODSYS"].isna().all()  # Exp, always present


def test_metadata_origins_methods_and_codelists(build):
    ds = build.study.dataset("AE")
    assert ds.variable("AETERM").origin.type == "Collected" and ds.variable("AETERM").origin.pages == ("12",)
    assert ds.variable("DOMAIN").origin.type == "Assigned"
    assert ds.variable("AESTDY").origin.type == "Derived" and ds.variable("AESTDY").method
    assert ds.variable("AESER").codelist == "NY"
    assert ds.variable("AETERM").length == len("Headache")
    ny = next(c for c in build.study.codelists if c.name == "NY")
    assert {t.submission_value for t in ny.terms} == {"N", "Y"}
    supp = build.study.dataset("SUPPAE")
    assert [vl.item.name for vl in supp.value_level] == ["AEDLT"]


def test_text_longer_than_200_bytes_stops_the_build_naming_file_row_and_column(tmp_path):
    from converters.errors import DataError
    from sdtm_fixtures import RAW

    mappings = write_tiny_study(tmp_path)
    long = "x" * 201
    (mappings / "raw" / "ae.csv").write_text(RAW["ae"].replace("Headache,Headache", f"{long},Headache"))
    with pytest.raises(DataError) as info:
        build_study(mappings, builtins=False)
    where = info.value.where
    assert (where.file, where.row, where.column) == ("ae.csv", 1, "TERM")


def test_rows_left_out_by_a_spec_filter_are_logged_with_the_filter_line_and_counted(tmp_path):
    from sdtm_fixtures import AE, DM, EX

    ae = AE.replace("source: ae\n", "source: ae\nfilter: {column: SER, equals: N}\n")
    built = build_study(write_tiny_study(tmp_path, {"dm": DM, "ae": ae, "ex": EX}), builtins=False)
    log = built.log.frame()
    excluded = log[log["action"] == "excluded by spec filter"]
    assert excluded["row"].tolist() == [2, 4]  # SER Y and 'maybe'
    assert set(excluded["column"]) == {"SER"} and excluded["value"].tolist() == ["Y", "maybe"]
    assert set(excluded["reason"]) == {"sdtm/ae.yaml:3: the filter (SER is 'N') does not hold"}
    actions = log["action"].tolist()  # problems first, rows excluded on purpose after them
    assert set(actions[actions.index("excluded by spec filter"):]) == {"excluded by spec filter"}
    ae_domain = domain(built, "AE")
    assert ae_domain.filtered == 2
    assert ae_domain.rows_read == ae_domain.filtered + ae_domain.records + ae_domain.rejected


def test_every_row_of_a_raw_form_no_spec_reads_is_logged_as_not_mapped(tmp_path):
    mappings = write_tiny_study(tmp_path)
    (mappings / "raw" / "ihc.csv").write_text("SUBJID,ANTIGEN,PCTPOS\n001,DLL3,80\n002,GD2,10\n", encoding="utf-8")
    built = build_study(mappings, builtins=False)
    log = built.log.frame()
    unmapped = log[log["action"] == "not mapped"]
    assert unmapped["source"].tolist() == ["ihc.csv", "ihc.csv"] and unmapped["row"].tolist() == [1, 2]
    assert unmapped["reason"].str.contains("reads form ihc").all()
    assert built.log.unmapped_count() == 2
    assert "not mapped" not in set(log[log["source"] != "ihc.csv"]["action"])
