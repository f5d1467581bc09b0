"""The bundled standards answer like SDTMIG 3.4, ADaMIG 1.3 and CDISC CT 2025-03-28."""
import pytest

from converters.errors import StandardsError
from converters.standards import adamig, ct, normalise, sdtmig


def test_dm_variables_come_in_sdtmig_order_with_core():
    names = [v.name for v in sdtmig.variables("DM")]
    assert names[:6] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC"]
    assert sdtmig.variable("DM", "ARMNRS").core == "Exp"
    assert sdtmig.variable("DM", "USUBJID").core == "Req"


def test_variable_codelist_is_named_by_its_short_name():
    assert sdtmig.variable("AE", "AESEV").codelist == "AESEV"
    assert sdtmig.variable("AE", "AESER").codelist == "NY"
    assert sdtmig.variable("AE", "AESEQ").data_type == "integer"
    assert sdtmig.variable("AE", "AESTDTC").data_type == "datetime"


def test_supp_datasets_use_suppqual_metadata():
    assert [v.name for v in sdtmig.variables("SUPPAE")][:3] == ["STUDYID", "RDOMAIN", "USUBJID"]
    assert sdtmig.dataset("SUPPAE").label == "Supplemental Qualifiers for AE"


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(StandardsError, match="no dataset 'XX'"):
        sdtmig.variables("XX")


def test_adam_structures():
    assert adamig.variables("ADSL")[0].name == "STUDYID"
    assert any(v.name == "PARAMCD" for v in adamig.variables("ADRS"))


def test_codelist_by_name_and_code_agree():
    assert ct.codelist("NY").code == "C66742"
    assert ct.codelist("C66742").name == "NY"
    assert ct.codelist("NY").extensible is False
    assert ct.codelist("UNIT").extensible is True


def test_collected_values_and_synonyms_map_case_and_space_insensitively():
    assert ct.to_submission_value("SEX", "  female ") == "F"
    assert ct.to_submission_value("NY", "YES") == "Y"
    assert ct.to_submission_value("AESEV", "grade   2") == "MODERATE"
    assert ct.to_submission_value("AESEV", "catastrophic") is None


def test_unknown_codelist_is_a_clear_error():
    with pytest.raises(StandardsError, match="no codelist"):
        ct.codelist("NOSUCHLIST")


def test_normalise_folds_case_and_space():
    assert normalise(" Not   Applicable ") == "NOT APPLICABLE"


def test_adam_and_define_packages_are_bundled():
    assert ct.codelist("DATEFL", package="adam").name == "DATEFL"
    assert ct.codelist("C165635", package="define").name == "BDSSC"


def test_numeric_dates_are_recognised_by_format_name_whatever_the_width():
    from converters.metadata import Variable

    kinds = {f: Variable("ADT", "x", "integer", display_format=f).temporal_kind
             for f in ["DATE9.", "E8601DA10.", "DATETIME20.", "DATETIME.", "TIME8.", "BEST12.", "8.2"]}
    assert kinds == {"DATE9.": "date", "E8601DA10.": "date", "DATETIME20.": "datetime", "DATETIME.": "datetime",
                     "TIME8.": "time", "BEST12.": None, "8.2": None}
    assert Variable("AESTDTC", "x", "text", display_format="DATE9.").temporal_kind is None
