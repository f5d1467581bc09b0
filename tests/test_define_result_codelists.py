"""Codelists of findings results where they apply, and the define checked against the data on distinct values.

SDTMIG 3.4 names CT codelist LBSTRESC (C102580) for LB.LBSTRESC.  Its terms are qualitative results (NEGATIVE,
POSITIVE, TRACE ...): a numeric result is not a term.  CDISC's Define-XML 2.1 example (defineV21-SDTM.xml) gives
the variable-level LBSTRESC no CodeListRef and puts the codelist on the value-level items whose results are text
(VSSTRESC FRMSIZE carries CL.SIZE; VSSTRESC HEIGHT, a float, carries none).  The define does the same.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from converters.errors import DataError
from converters.metadata.model import Standard, Study
from converters.metadata.value_level import findings_value_level
from converters.sdtm import finalize
from converters.validate import validate_study
from converters.validate.data import load_folder
from converters.validate.define_reader import read_define
from converters.writers.xpt import write_xpt
from define_xml.data_check import load_checked
from define_xml.schema_check import safe_parser
from define_xml.writer import write_define

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def _lb_frame() -> pd.DataFrame:
    """ALT (numeric results) and HCG (qualitative results) for three subjects."""
    rows = []
    for i, (alt, hcg) in enumerate([("23", "NEGATIVE"), ("41", "POSITIVE"), ("0.5", "NEGATIVE")], start=1):
        for seq, (code, name, orres, stresn) in enumerate([("ALT", "Alanine Aminotransferase", alt, float(alt)),
                                                           ("HCG", "Choriogonadotropin Beta", hcg, None)], start=1):
            rows.append({"STUDYID": "S1", "DOMAIN": "LB", "USUBJID": f"S1-{i}", "LBSEQ": float(seq),
                         "LBTESTCD": code, "LBTEST": name, "LBSPEC": "SERUM" if code == "ALT" else "URINE",
                         "LBORRES": orres, "LBSTRESC": orres, "LBSTRESN": stresn})
    return pd.DataFrame(rows)


def _lb_study(frame: pd.DataFrame) -> Study:
    names = list(frame.columns)
    ds = finalize.dataset_metadata("LB", frame, names, {}, {}, ("STUDYID", "USUBJID", "LBTESTCD"), {})
    ds.value_level = findings_value_level(ds, frame)
    codelists = finalize.codelists_in_use([(frame, ds)], {})
    return Study(studyid="S1", name="S1", description="S1", protocol="S1", datasets=[ds], codelists=codelists,
                 standards=[Standard("SDTMIG", "3.4", "IG"), Standard("CDISC/NCI", "2025-03-28", "CT", "SDTM")])


def _items(study: Study) -> dict[str, object]:
    return {vl.where[0].values[0]: vl.item for vl in study.dataset("LB").value_level if vl.variable == "LBSTRESC"}


def test_a_numeric_lab_result_is_not_a_codelist_term():
    study = _lb_study(_lb_frame())
    lbstresc = next(c for c in study.codelists if c.name == "LBSTRESC")
    assert [t.submission_value for t in lbstresc.terms] == ["NEGATIVE", "POSITIVE"]
    assert not any(t.extended for t in lbstresc.terms)


def test_a_qualitative_results_value_level_item_carries_the_lbstresc_codelist():
    study = _lb_study(_lb_frame())
    items = _items(study)
    assert (items["HCG"].data_type, items["HCG"].codelist) == ("text", "LBSTRESC")
    assert (items["ALT"].data_type, items["ALT"].codelist, items["ALT"].significant_digits) == ("float", None, 1)
    assert study.dataset("LB").variable("LBSTRESC").codelist is None  # results include numbers


def test_a_result_variable_whose_results_are_all_text_keeps_its_codelist():
    frame = _lb_frame()
    frame = frame[frame["LBTESTCD"] == "HCG"].reset_index(drop=True)
    study = _lb_study(frame)
    assert study.dataset("LB").variable("LBSTRESC").codelist == "LBSTRESC"


def _written(folder: Path, frame: pd.DataFrame, study: Study) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_xpt(frame, study.dataset("LB"), folder / "lb.xpt")
    write_define(study, folder, html=False)
    return folder / "define.xml"


def test_the_define_puts_the_codelist_on_text_items_only(tmp_path):
    frame = _lb_frame()
    tree = etree.parse(str(_written(tmp_path, frame, _lb_study(frame))), safe_parser())
    ref = "odm:CodeListRef/@CodeListOID"
    assert tree.xpath(f"//odm:ItemDef[@OID='IT.LB.LBSTRESC']/{ref}", namespaces=NS) == []
    assert tree.xpath(f"//odm:ItemDef[@OID='IT.LB.LBSTRESC.LBTESTCD.HCG.LBSPEC.URINE']/{ref}",
                      namespaces=NS) == ["CL.LBSTRESC"]
    assert tree.xpath(f"//odm:ItemDef[@OID='IT.LB.LBSTRESC.LBTESTCD.ALT.LBSPEC.SERUM']/{ref}", namespaces=NS) == []


def test_terms_on_value_level_items_count_as_the_defines_terms_for_the_variable(tmp_path):
    """CT0002 takes the terms a define lists for a variable as documented extensions: those of its items too."""
    frame = _lb_frame()
    meta = read_define(_written(tmp_path, frame, _lb_study(frame)), check_schema=False)
    assert meta.codelist_values_for("LB")["LBSTRESC"] == {"NEGATIVE", "POSITIVE"}
    assert [(name, oid) for name, _where, oid in meta.value_codelists("LB")] == [("LBSTRESC", "CL.LBSTRESC")]


def test_a_qualitative_result_outside_the_defines_codelist_is_still_caught(tmp_path):
    frame = _lb_frame()
    study = _lb_study(frame)
    lbstresc = next(c for c in study.codelists if c.name == "LBSTRESC")
    lbstresc.terms = [t for t in lbstresc.terms if t.submission_value != "POSITIVE"]
    with pytest.raises(DataError, match="DF0008 LB: LBSTRESC value is not in codelist"):
        _written(tmp_path, frame, study)
    assert not (tmp_path / "define.xml").exists()


def test_a_label_or_length_that_differs_from_the_data_is_still_caught(tmp_path):
    frame = _lb_frame()
    study = _lb_study(frame)
    folder = tmp_path / "lb"
    folder.mkdir()
    write_xpt(frame, study.dataset("LB"), folder / "lb.xpt")
    told = copy.deepcopy(study)
    told.dataset("LB").variable("LBTEST").label = "Another label"
    told.dataset("LB").variable("LBSTRESC").length = 30
    with pytest.raises(DataError) as caught:
        write_define(told, folder, html=False)
    assert "DF0009 LB" in caught.value.message and "DF0007 LB" in caught.value.message


def _df_findings(study_data) -> list[tuple[str, str, str]]:
    """The distinct problems the define rules find (a full read reports each record, the check each value)."""
    rows = validate_study(study_data, dispositions=None, previous=None, select=["DF000"]).findings
    return sorted({(r.rule, r.dataset, r.message) for r in rows.itertuples()})


def test_the_check_on_distinct_values_finds_what_a_full_read_finds(tmp_path):
    """The define check reads headers and distinct values; a full read of the records finds the same."""
    frame = _lb_frame()
    study = _lb_study(frame)
    define = _written(tmp_path, frame, study)
    extra = frame.copy()
    extra.loc[1, "LBSTRESC"] = "TRACE"  # a value the define's codelist lacks
    extra.loc[0, "LBTESTCD"] = "AST"  # a test code the define's codelist lacks
    write_xpt(extra, study.dataset("LB"), tmp_path / "lb.xpt")
    meta = read_define(define, check_schema=False)
    full = load_folder(tmp_path, None)
    full.define = meta
    checked = load_checked(tmp_path, meta)
    checked.define = meta
    assert _df_findings(checked) == _df_findings(full)
    assert {rule for rule, _ds, _msg in _df_findings(full)} == {"DF0008"}
    assert len(_df_findings(full)) == 2


@pytest.mark.slow
def test_the_define_of_a_2000_subject_build_lists_no_numeric_result_as_a_codelist_term(tmp_path):
    """At 2,000 subjects of carnk-sclc the define's codelists hold terms, not the lab and tumour measurements."""
    from click.testing import CliRunner

    from converters.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "carnk-sclc", "--subjects", "2000", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["sdtm", str(Path(__file__).parents[1] / "mappings" / "carnk-sclc"),
                                 "--raw", str(tmp_path / "a" / "raw"), "--out", str(tmp_path / "sdtm")])
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(tmp_path / "sdtm" / "define.xml"), safe_parser())
    extended = tree.xpath("//odm:CodeList/*[@def:ExtendedValue='Yes']/@CodedValue", namespaces=NS)
    numbers = [v for v in extended if pd.notna(pd.to_numeric(v, errors="coerce"))]
    assert numbers == [] and len(extended) < 20
    assert tree.xpath("//odm:ItemDef[@OID='IT.TR.TRSTRESC.TRTESTCD.TUMSTATE']/odm:CodeListRef/@CodeListOID",
                      namespaces=NS) == ["CL.TRPROPRS"]
    assert tree.xpath("//odm:ItemDef[@OID='IT.TR.TRSTRESC.TRTESTCD.LDIAM']/odm:CodeListRef", namespaces=NS) == []
