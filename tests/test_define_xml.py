"""Define-XML 2.1: written from the metadata model for both example studies and for an ADaM fixture, valid
against the official schemas, sound in its OIDs, exact about the data, and read back into the same model."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import reference_file
from define_fixtures import adam_frames, adam_study, write_adam_folder
from lxml import etree

from converters.errors import DataError
from converters.metadata.io import read_metadata
from converters.writers.xpt import write_xpt
from define_xml.integrity import oid_problems
from define_xml.reader import define_version, read_study
from define_xml.schema_check import safe_parser, schema_errors
from define_xml.writer import render_define, write_define

STUDIES = ("carnk-sclc", "cll1-aml")
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "arm": "http://www.cdisc.org/ns/arm/v1.0"}


def _tree(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), safe_parser())


@pytest.fixture(scope="module")
def sdtm_folders(demo_out) -> dict[str, Path]:
    return {s: demo_out / s / "sdtm" for s in STUDIES}


@pytest.fixture(scope="module")
def adam_folder(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("adam")
    study = write_adam_folder(folder)
    write_define(study, folder)
    return folder, study


def _official_schema(full_reference: Path, arm: bool) -> etree.XMLSchema:
    rel = "define-xml-2.1/schema/" + ("cdisc-arm-1.0/arm1-0-0.xsd" if arm else "cdisc-define-2.1/define2-1-0.xsd")
    return etree.XMLSchema(etree.parse(str(full_reference / rel), safe_parser()))


@pytest.mark.parametrize("study", STUDIES)
def test_sdtm_build_writes_a_schema_valid_define(sdtm_folders, study):
    folder = sdtm_folders[study]
    tree = _tree(folder / "define.xml")
    assert schema_errors(tree) == []
    assert oid_problems(tree) == []
    assert (folder / "define.html").is_file() and (folder / "define2-1.xsl").is_file()
    pi = tree.getroot().getprevious()
    assert isinstance(pi, etree._ProcessingInstruction) and 'href="define2-1.xsl"' in pi.text


@pytest.mark.parametrize("study", STUDIES)
def test_example_defines_valid_against_the_reference_schema(full_reference, sdtm_folders, study):
    assert _official_schema(full_reference, arm=False).validate(_tree(sdtm_folders[study] / "define.xml"))


def test_adam_define_valid_against_the_reference_arm_schema(full_reference, adam_folder):
    folder, _ = adam_folder
    tree = _tree(folder / "define.xml")
    schema = _official_schema(full_reference, arm=True)
    assert schema.validate(tree), schema.error_log
    assert len(tree.xpath("//arm:ResultDisplay", namespaces=NS)) == 3


def test_adam_define_has_analysis_purpose_subclass_display_format_and_predecessors(adam_folder):
    folder, _ = adam_folder
    tree = _tree(folder / "define.xml")
    assert set(tree.xpath("//odm:ItemGroupDef/@Purpose", namespaces=NS)) == {"Analysis"}
    assert tree.xpath("//odm:ItemGroupDef[@Name='ADAE']/def:Class/def:SubClass/@Name", namespaces=NS) == [
        "ADVERSE EVENT"]
    assert tree.xpath("//odm:ItemDef[@OID='IT.ADSL.TRTSDT']/@def:DisplayFormat", namespaces=NS) == ["DATE9."]
    assert tree.xpath("//odm:ItemDef[@OID='IT.ADRS.ADT']/def:Origin[@Type='Predecessor']/odm:Description/"
                      "odm:TranslatedText/text()", namespaces=NS) == ["RS.RSDTC"]
    assert not tree.xpath("//odm:ItemGroupDef/odm:ItemRef/@Role", namespaces=NS)  # Role is for SDTM only
    ext = tree.xpath("//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList", namespaces=NS)[0]
    assert (ext.get("Dictionary"), ext.get("Version")) == ("MedDRA", "27.1")


def test_bds_value_level_by_paramcd(adam_folder):
    folder, _ = adam_folder
    tree = _tree(folder / "define.xml")
    where = tree.xpath("//def:ValueListDef[@OID='VL.ADRS.AVALC']/odm:ItemRef/def:WhereClauseRef/@WhereClauseOID",
                       namespaces=NS)
    checks = {tuple(tree.xpath(f"//def:WhereClauseDef[@OID='{w}']/odm:RangeCheck/odm:CheckValue/text()",
                               namespaces=NS)) for w in where}
    assert checks == {("BOR",), ("OR",)}
    assert tree.xpath("//odm:ItemRef[@ItemOID='IT.ADRS.PARAMCD']/@KeySequence", namespaces=NS) == ["3"]


def test_roles_on_sdtm_item_refs(sdtm_folders):
    tree = _tree(sdtm_folders["cll1-aml"] / "define.xml")
    roles = tree.xpath("//odm:ItemGroupDef[@Name='AE']/odm:ItemRef/@Role", namespaces=NS)
    assert "Identifier" in roles and "Topic" in roles


def _where_values(tree, vl_oid: str) -> list[tuple[tuple[str, str], ...]]:
    out = []
    for w in tree.xpath(f"//def:ValueListDef[@OID='{vl_oid}']/odm:ItemRef/def:WhereClauseRef/@WhereClauseOID",
                        namespaces=NS):
        checks = tree.xpath(f"//def:WhereClauseDef[@OID='{w}']/odm:RangeCheck", namespaces=NS)
        out.append(tuple((c.get(f"{{{NS['def']}}}ItemOID"), c.findtext("odm:CheckValue", namespaces=NS))
                         for c in checks))
    return out


def test_lb_rs_and_supp_carry_value_level_metadata_with_where_clauses(sdtm_folders):
    tree = _tree(sdtm_folders["cll1-aml"] / "define.xml")
    lb = _where_values(tree, "VL.LB.LBORRES")
    assert (("IT.LB.LBTESTCD", "NEUT"), ("IT.LB.LBSPEC", "BLOOD")) in lb
    assert {"NEUT", "PLAT", "HGB", "CRP", "FERRITIN", "INTLK6"} <= {w[0][1] for w in lb}
    assert _where_values(tree, "VL.RS.RSSTRESC") == [(("IT.RS.RSTESTCD", "ECOG101"), ("IT.RS.RSCAT", "ECOG")),
                                                     (("IT.RS.RSTESTCD", "OVRLRESP"),
                                                      ("IT.RS.RSCAT", "ELN DOHNER AML 2022"))]
    assert ("IT.SUPPAE.QNAM", "AEDLT") in [w[0] for w in _where_values(tree, "VL.SUPPAE.QVAL")]
    assert tree.xpath("//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef/@ValueListOID", namespaces=NS) == [
        "VL.LB.LBORRES"]


def test_lb_value_level_keeps_each_blocks_origin(sdtm_folders):
    study = read_metadata(sdtm_folders["cll1-aml"] / "metadata.json")
    lb = study.dataset("LB")
    pages = {vl.where[0].values[0]: vl.item.origin.pages for vl in lb.value_level if vl.variable == "LBORRES"}
    assert pages["NEUT"] == pages["PLAT"] == pages["HGB"] == ("CBC",)


def test_round_trip_write_read_gives_the_same_model(sdtm_folders):
    folder = sdtm_folders["cll1-aml"]
    written = read_metadata(folder / "metadata.json")
    back = read_study(_tree(folder / "define.xml"))
    assert [d.name for d in back.datasets] == [d.name for d in written.datasets]
    empty = {c.name for c in written.codelists if not c.terms and not c.is_external}
    for ds in written.datasets:  # a codelist no value uses (all blank) is not written, nor referred to
        for var in [*ds.variables, *(vl.item for vl in ds.value_level)]:
            var.codelist = None if var.codelist in empty else var.codelist
    for a, b in zip(written.datasets, back.datasets):
        assert (a.label, a.structure, a.keys, a.purpose) == (b.label, b.structure, b.keys, b.purpose)
        fields = ("name", "label", "data_type", "length", "codelist", "method", "key_sequence", "order", "role")
        assert [tuple(getattr(v, f) for f in fields) for v in a.variables] == \
               [tuple(getattr(v, f) for f in fields) for v in b.variables]
        assert [(v.variable, v.where, v.item.data_type, v.item.length) for v in a.value_level] == \
               [(v.variable, v.where, v.item.data_type, v.item.length) for v in b.value_level]
    written_terms = {c.name: [t.submission_value for t in c.terms] for c in written.codelists if c.terms}
    back_terms = {c.name: [t.submission_value for t in c.terms] for c in back.codelists if not c.is_external}
    assert back_terms == written_terms
    assert [m.oid for m in back.methods] == [m.oid for m in written.methods]


def test_adam_round_trip_keeps_analysis_results(adam_folder):
    folder, study = adam_folder
    back = read_study(_tree(folder / "define.xml"))
    assert back.analysis_results == study.analysis_results
    assert [(d.name, d.subclass) for d in back.datasets] == [(d.name, d.subclass) for d in study.datasets]


def test_rendering_is_deterministic():
    study = adam_study(adam_frames())
    assert render_define(study) == render_define(adam_study(adam_frames()))


def test_define_of_a_changed_folder_is_refused(tmp_path):
    folder = tmp_path / "adam"
    study = write_adam_folder(folder)
    frames = adam_frames()
    frames["ADAE"].loc[0, "AEDECOD"] = "Cytokine release syndrome, severe grade"  # longer than the define says
    changed = copy.deepcopy(study.dataset("ADAE"))
    changed.variable("AEDECOD").length = 39
    write_xpt(frames["ADAE"], changed, folder / "adae.xpt")
    with pytest.raises(DataError, match="DF0007 ADAE"):
        write_define(study, folder)
    assert not (folder / "define.xml").exists()


def test_define_with_a_dangling_oid_is_refused(tmp_path):
    folder = tmp_path / "adam"
    study = write_adam_folder(folder)
    study.dataset("ADSL").variables[3].method = "MT.NOWHERE"
    with pytest.raises(DataError, match="MT.NOWHERE"):
        write_define(study, folder, check_data=False)


def test_official_adam_example_reads_into_the_model_and_writes_back_valid():
    tree = _tree(reference_file("define-xml-2.1/examples/defineV21-ADaM.xml"))
    study = read_study(tree)
    assert {d.name for d in study.datasets} >= {"ADSL", "ADAE", "ADQSADAS"}
    assert study.analysis_results and study.dataset("ADQSADAS").value_level
    again = etree.ElementTree(etree.fromstring(render_define(study), safe_parser()))
    assert schema_errors(again) == []


def test_define_versions_are_told_apart():
    assert define_version(_tree(reference_file("define-xml-2.1/examples/defineV21-SDTM.xml"))) == "2.1"
    old = reference_file("define-xml-2.0/examples/define2-0-0-example-adam.xml")
    assert define_version(_tree(old)) == "2.0"


def test_odmlib_loads_both_defines_with_the_models_content(sdtm_folders):
    from odmlib import define_loader as odmlib_loader
    from odmlib import loader as odm_loader
    for study in STUDIES:
        folder = sdtm_folders[study]
        model = read_metadata(folder / "metadata.json")
        loader = odm_loader.ODMLoader(odmlib_loader.XMLDefineLoader(model_package="define_2_1",
                                                                     ns_uri="http://www.cdisc.org/ns/def/v2.1"))
        loader.open_odm_document(str(folder / "define.xml"))
        mdv = loader.MetaDataVersion()
        assert [ig.Name for ig in mdv.ItemGroupDef] == [d.name for d in model.datasets]
        items = {it.OID: it for it in mdv.ItemDef}
        for ig, ds in zip(mdv.ItemGroupDef, model.datasets):
            assert [items[r.ItemOID].Name for r in ig.ItemRef] == ds.variable_names
        vl_count = sum(len(vl.ItemRef) for vl in mdv.ValueListDef)
        assert vl_count == sum(len(d.value_level) for d in model.datasets)
        written = {c.oid for c in model.codelists if c.terms or c.is_external}
        assert {cl.OID for cl in mdv.CodeList} == written


def test_study_yaml_documents_give_acrf_page_links(sdtm_folders, tmp_path):
    from click.testing import CliRunner

    from converters.cli import cli

    mappings = tmp_path / "mappings"
    (mappings / "docs").mkdir(parents=True)
    (mappings / "docs" / "acrf.pdf").write_bytes(b"%PDF-1.4\n% test stand-in for an annotated CRF\n")
    (mappings / "study.yaml").write_text(
        "study: {studyid: CLL1-NK-101}\nstandards: {meddra: '27.1'}\n"
        "define:\n  metadata_version: {oid: MDV.CLL1.SDTM.1, name: CLL1-NK-101 SDTM define}\n"
        "  documents:\n    - {id: acrf, kind: AnnotatedCRF, title: Annotated CRF, file: docs/acrf.pdf}\n",
        encoding="utf-8")
    out = tmp_path / "define"
    result = CliRunner().invoke(cli, ["define", str(sdtm_folders["cll1-aml"]), "--study", str(mappings),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    tree = _tree(out / "define.xml")
    assert tree.xpath("//odm:MetaDataVersion/@OID", namespaces=NS) == ["MDV.CLL1.SDTM.1"]
    assert tree.xpath("//def:AnnotatedCRF/def:DocumentRef/@leafID", namespaces=NS) == ["LF.acrf"]
    refs = tree.xpath("//odm:ItemDef[@OID='IT.LB.LBORRES.LBTESTCD.NEUT.LBSPEC.BLOOD']/def:Origin/"
                      "def:DocumentRef/def:PDFPageRef", namespaces=NS)
    assert [(r.get("PageRefs"), r.get("Type")) for r in refs] == [("CBC", "NamedDestination")]
    assert (out / "acrf.pdf").is_file()
    ext = tree.xpath("//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList/@Version", namespaces=NS)
    assert ext == ["27.1"]


def test_study_yaml_document_without_its_file_is_an_error(tmp_path):
    from converters.errors import SpecError
    from converters.metadata.study_define import read_define_settings

    (tmp_path / "study.yaml").write_text(
        "study: {studyid: X}\ndefine:\n  documents:\n    - {id: acrf, kind: AnnotatedCRF, title: aCRF, "
        "file: acrf.pdf}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="acrf.pdf not found") as err:
        read_define_settings(tmp_path)
    assert err.value.where.line == 4


def test_odmlib_loads_the_adam_define(adam_folder):
    from odmlib import define_loader as odmlib_loader
    from odmlib import loader as odm_loader
    folder, study = adam_folder
    loader = odm_loader.ODMLoader(odmlib_loader.XMLDefineLoader(model_package="define_2_1",
                                                                 ns_uri="http://www.cdisc.org/ns/def/v2.1"))
    loader.open_odm_document(str(folder / "define.xml"))
    mdv = loader.MetaDataVersion()
    assert [ig.Name for ig in mdv.ItemGroupDef] == [d.name for d in study.datasets]
    assert sum(len(vl.ItemRef) for vl in mdv.ValueListDef) == sum(len(d.value_level) for d in study.datasets)


def test_dataset_json_points_at_the_define(sdtm_folders):
    import json

    folder = sdtm_folders["carnk-sclc"]
    tree = _tree(folder / "define.xml")
    header = json.loads((folder / "ae.json").read_text(encoding="utf-8"))
    assert header["metaDataRef"] == "define.xml"
    assert header["studyOID"] == tree.xpath("//odm:Study/@OID", namespaces=NS)[0]
    assert header["metaDataVersionOID"] == tree.xpath("//odm:MetaDataVersion/@OID", namespaces=NS)[0]
    assert header["itemGroupOID"] in tree.xpath("//odm:ItemGroupDef/@OID", namespaces=NS)


def test_ts_value_level_by_parameter_with_ct_and_external_dictionaries(sdtm_folders):
    tree = _tree(sdtm_folders["cll1-aml"] / "define.xml")

    def item(oid: str) -> etree._Element:
        return tree.xpath(f"//odm:ItemDef[@OID='{oid}']", namespaces=NS)[0]

    assert item("IT.TS.TSVAL.TSPARMCD.TPHASE").find("odm:CodeListRef", NS).get("CodeListOID") == "CL.TPHASE"
    assert item("IT.TS.TSVAL.TSPARMCD.SSTDTC").get("DataType") == "date"
    assert tree.xpath("//odm:ItemRef[@ItemOID='IT.TS.TSVAL.TSPARMCD.SSTDTC']/@MethodOID", namespaces=NS) == [
        "MT.TS.SSTDTC"]  # the TS builder's derived entry is kept with its method
    indic = item("IT.TS.TSVALCD.TSPARMCD.INDIC")
    assert indic.get("DataType") == "text"
    oid = indic.find("odm:CodeListRef", NS).get("CodeListOID")
    ext = tree.xpath(f"//odm:CodeList[@OID='{oid}']/odm:ExternalCodeList", namespaces=NS)[0]
    assert ext.get("Dictionary") == "SNOMED CT" and ext.get("Version")


@pytest.mark.parametrize("study", STUDIES)
def test_the_define_check_on_distinct_values_finds_what_reading_every_record_finds(sdtm_folders, study, tmp_path):
    """The define-vs-data check reads headers and distinct values (define_xml/data_check.py); against a define
    whose codelists lack a term each, it finds the same problems as the validator reading every record."""
    from converters.validate import validate_study
    from converters.validate.data import load_folder
    from converters.validate.define_reader import read_define
    from define_xml.data_check import load_checked

    tree = _tree(sdtm_folders[study] / "define.xml")
    for cl in tree.xpath("//odm:CodeList", namespaces=NS):
        terms = cl.xpath("odm:EnumeratedItem|odm:CodeListItem", namespaces=NS)
        if len(terms) > 1:
            cl.remove(terms[0])
    tree.write(str(tmp_path / "define.xml"))
    meta = read_define(tmp_path / "define.xml", check_schema=False)
    found = []
    for data in (load_folder(sdtm_folders[study], None), load_checked(sdtm_folders[study], meta)):
        data.define = meta
        rows = validate_study(data, dispositions=None, previous=None, select=["DF000"]).findings
        found.append({(r.rule, r.dataset, r.variable, r.message) for r in rows.itertuples()})
    assert found[0] == found[1]
    assert {v for rule, _d, v, _m in found[0] if rule == "DF0008"} >= {"LBTESTCD", "AESER"}
