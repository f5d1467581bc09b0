"""The example studies' ADaM define.xml: valid against the ARM 1.0 schema, BDS value-level metadata by PARAMCD,
the Analysis Results Metadata of results.yaml, and the same content odmlib reads as the model holds."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from converters.adam.results import derive_analysis_results, load_results_spec
from converters.errors import SpecError
from converters.metadata.io import read_metadata
from converters.shipped import study_mappings
from define_xml.schema_check import safe_parser, schema_errors

STUDIES = ("carnk-sclc", "cll1-aml")
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "arm": "http://www.cdisc.org/ns/arm/v1.0"}


@pytest.fixture(scope="module", params=STUDIES)
def adam_folder(request, demo_out) -> Path:
    return demo_out / request.param / "adam"


def _tree(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), safe_parser())


def test_adam_define_is_valid_against_the_bundled_arm_schema(adam_folder):
    assert schema_errors(_tree(adam_folder / "define.xml")) == []


def test_adam_define_is_valid_against_the_reference_arm_schema(full_reference, adam_folder):
    schema_path = full_reference / "define-xml-2.1/schema/cdisc-arm-1.0/arm1-0-0.xsd"
    schema = etree.XMLSchema(etree.parse(str(schema_path), safe_parser()))
    assert schema.validate(_tree(adam_folder / "define.xml")), schema.error_log


def test_bds_datasets_carry_value_level_metadata_by_paramcd(adam_folder):
    model = read_metadata(adam_folder / "metadata.json")
    adrs = next(d for d in model.datasets if d.name == "ADRS")
    by_param = {vl.where[0].values[0] for vl in adrs.value_level if vl.where[0].variable == "PARAMCD"}
    assert {"OVR", "BOR", "ORR"} <= by_param
    tree = _tree(adam_folder / "define.xml")
    assert tree.xpath("//def:ValueListDef[@OID='VL.ADRS.AVALC']", namespaces=NS)


def test_analysis_results_of_the_key_tables_are_in_the_define(adam_folder):
    tree = _tree(adam_folder / "define.xml")
    names = tree.xpath("//arm:ResultDisplay/@Name", namespaces=NS)
    assert names == ["Table 14.3.1", "Table 14.2.1", "Table 14.3.2"]  # DLT rate, response, TEAE by worst grade
    dlt = tree.xpath("//arm:AnalysisResult[@OID='AR.T-DLT.1']", namespaces=NS)[0]
    assert dlt.get("AnalysisReason") == "SPECIFIED IN PROTOCOL"
    assert dlt.xpath(".//arm:AnalysisDataset/@ItemGroupOID", namespaces=NS) == ["IG.ADSL"]


def test_odmlib_reads_the_same_datasets_variables_and_value_levels_as_the_model(adam_folder):
    from odmlib import define_loader as odmlib_loader
    from odmlib import loader as odm_loader

    model = read_metadata(adam_folder / "metadata.json")
    loader = odm_loader.ODMLoader(odmlib_loader.XMLDefineLoader(model_package="define_2_1",
                                                                 ns_uri="http://www.cdisc.org/ns/def/v2.1"))
    loader.open_odm_document(str(adam_folder / "define.xml"))
    mdv = loader.MetaDataVersion()
    assert [ig.Name for ig in mdv.ItemGroupDef] == [d.name for d in model.datasets]
    items = {it.OID: it for it in mdv.ItemDef}
    for ig, ds in zip(mdv.ItemGroupDef, model.datasets):
        assert [items[r.ItemOID].Name for r in ig.ItemRef] == ds.variable_names
    assert sum(len(vl.ItemRef) for vl in mdv.ValueListDef) == sum(len(d.value_level) for d in model.datasets)


def test_a_result_naming_a_variable_the_build_lacks_is_a_spec_error(tmp_path):
    import pandas as pd

    spec_file = tmp_path / "results.yaml"
    spec_file.write_text((study_mappings("carnk-sclc") / "adam" / "results.yaml").read_text(encoding="utf-8")
                         .replace("variables: [DLTFL, TRT01P]", "variables: [DLTFLX]"), encoding="utf-8")
    spec = load_results_spec(spec_file)
    frames = {"ADSL": pd.DataFrame({"DLTFL": ["Y"], "DLTEVLFL": ["Y"], "TRT01P": ["A"]})}
    with pytest.raises(SpecError, match="ADSL has no DLTFLX"):
        derive_analysis_results(spec, frames, spec_file)


def test_a_result_with_an_unknown_reason_names_the_file(tmp_path):
    spec_file = tmp_path / "results.yaml"
    spec_file.write_text("displays:\n  - id: T1\n    name: T\n    title: T\n    results:\n"
                         "      - {description: d, reason: GUESSED, purpose: PRIMARY OUTCOME MEASURE,\n"
                         "         datasets: [{dataset: ADSL, variables: [SAFFL]}]}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="reason") as info:
        load_results_spec(spec_file)
    assert "results.yaml" in str(info.value)


def _codelist_of(tree: etree._ElementTree, dataset: str, variable: str) -> list[str]:
    return tree.xpath(f"//odm:ItemDef[@OID='IT.{dataset}.{variable}']/odm:CodeListRef/@CodeListOID", namespaces=NS)


def test_adam_variables_take_their_ct_codelist_from_adamig_their_sdtm_copy_or_yes_no_flags(adam_folder):
    tree = _tree(adam_folder / "define.xml")
    assert _codelist_of(tree, "ADSL", "SEX") == ["CL.SEX"]          # ADaMIG 1.3 names C66731
    assert _codelist_of(tree, "ADSL", "SAFFL") == ["CL.NY"]         # a Y/N flag
    assert _codelist_of(tree, "ADAE", "AEOUT") == ["CL.OUT"]        # a copy of AE.AEOUT keeps SDTMIG's codelist
    assert _codelist_of(tree, "ADRS", "AVALC") == []                # values differ by PARAMCD: no one codelist
    sex = tree.xpath("//odm:CodeList[@OID='CL.SEX']/odm:CodeListItem/@CodedValue", namespaces=NS)
    assert set(sex) == {"F", "M"}


def test_each_adam_codelist_names_the_ct_package_it_comes_from(adam_folder):
    tree = _tree(adam_folder / "define.xml")
    standards = {s.get("OID"): s.get("PublishingSet") for s in tree.xpath("//def:Standard[@Type='CT']", namespaces=NS)}
    packages = {c.get("OID"): standards[c.get("{http://www.cdisc.org/ns/def/v2.1}StandardOID")]
                for c in tree.xpath("//odm:CodeList", namespaces=NS)}
    assert packages["CL.SEX"] == "SDTM" and packages["CL.NY"] == "SDTM"
    assert packages.get("CL.DATEFL", "ADaM") == "ADaM" and packages.get("CL.SBJTSTAT", "ADaM") == "ADaM"


@pytest.mark.parametrize("dtype", [object, "string"])
def test_a_yes_no_flag_takes_ny_whichever_text_dtype_pandas_gives_it(dtype):
    import pandas as pd

    from converters.adam.codelists import assign_codelist
    from converters.adam.sources import SdtmFolder

    sdtm = SdtmFolder(Path("."), {}, {})
    assert assign_codelist("ANL01FL", "BDS", None, pd.Series(["Y", None, "N"], dtype=dtype), sdtm) == "NY"
    assert assign_codelist("ANL01FL", "BDS", None, pd.Series(["Y", "MAYBE"], dtype=dtype), sdtm) is None
