"""Define-vs-data (DF) and ADaM (AD) rule families: each planted defect is reported, clean inputs stay clean."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_file
from validate_fixtures import S1, S2, clean_study

from converters.metadata.model import Dataset, Variable
from converters.validate import validate_study
from converters.validate.data import frames_to_study
from converters.validate.define_reader import read_define

DEFINE_EXAMPLE = reference_file("define-xml-2.1/examples/defineV21-SDTM.xml")

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2"
     FileType="Snapshot" FileOID="F" CreationDateTime="2026-01-01T00:00:00"><Study OID="S"><MetaDataVersion OID="M"
     Name="M" def:DefineVersion="2.1.0">"""


def _define(tmp_path, groups: dict[str, list[tuple]], codelists: dict[str, list[str]]) -> Path:
    """A small define: groups = dataset -> [(name, type, length, label, codelist OID or None)]."""
    parts = [_HEAD]
    for ds, items in groups.items():
        refs = "".join(f'<ItemRef ItemOID="IT.{ds}.{n}" Mandatory="No"/>' for n, *_ in items)
        parts.append(f'<ItemGroupDef OID="IG.{ds}" Name="{ds}" Repeating="Yes" Purpose="Tabulation">'
                     f'<Description><TranslatedText>{ds}</TranslatedText></Description>{refs}</ItemGroupDef>')
    for ds, items in groups.items():
        for name, dtype, length, label, cl in items:
            length_attr = f' Length="{length}"' if length else ""
            ref = f'<CodeListRef CodeListOID="{cl}"/>' if cl else ""
            parts.append(f'<ItemDef OID="IT.{ds}.{name}" Name="{name}" DataType="{dtype}"{length_attr}>'
                         f'<Description><TranslatedText>{label}</TranslatedText></Description>{ref}</ItemDef>')
    for oid, values in codelists.items():
        items = "".join(f'<EnumeratedItem CodedValue="{v}"/>' for v in values)
        parts.append(f'<CodeList OID="{oid}" Name="{oid[3:]}" DataType="text">{items}</CodeList>')
    parts.append("</MetaDataVersion></Study></ODM>")
    path = tmp_path / "define.xml"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def _study_with_define(tmp_path, edit=None, define_edit=None):
    fx = clean_study()
    fx.frames = {"DM": fx.frames["DM"][["STUDYID", "DOMAIN", "USUBJID", "SEX"]].copy()}
    if edit:
        edit(fx)
    groups = {"DM": [("STUDYID", "text", 7, "Study Identifier", None), ("DOMAIN", "text", 2, "Domain Abbreviation",
                                                                          None),
                     ("USUBJID", "text", 11, "Unique Subject Identifier", None), ("SEX", "text", 1, "Sex", "CL.SEX")]}
    codelists = {"CL.SEX": ["M", "F"]}
    if define_edit:
        define_edit(groups, codelists)
    study = fx.study()
    study.define = read_define(_define(tmp_path, groups, codelists))
    return study


def _rules(study) -> set[str]:
    return set(validate_study(study, strict=True, select=["DF"]).findings["rule"])


def test_define_that_matches_the_data_gives_only_the_schema_finding(tmp_path):
    assert _rules(_study_with_define(tmp_path)) <= {"DF0001"}  # the hand-made define is not schema-complete


def test_official_example_define_is_schema_valid():
    assert read_define(DEFINE_EXAMPLE).schema_errors == []


@pytest.mark.parametrize("rule_id, edit, define_edit", [
    ("DF0001", None, None),
    ("DF0002", None, lambda g, c: g.__setitem__("AE", [("STUDYID", "text", 7, "Study Identifier", None)])),
    ("DF0003", lambda fx: fx.frames.__setitem__("CM", clean_study().frames["CM"]), None),
    ("DF0004", None, lambda g, c: g["DM"].append(("AGE", "integer", 8, "Age", None))),
    ("DF0005", lambda fx: fx.frames["DM"].insert(4, "RACE", "WHITE"), None),
    ("DF0006", None, lambda g, c: g["DM"].__setitem__(3, ("SEX", "integer", 8, "Sex", None))),
    ("DF0007", None, lambda g, c: g["DM"].__setitem__(2, ("USUBJID", "text", 20, "Unique Subject Identifier", None))),
    ("DF0008", None, lambda g, c: c.__setitem__("CL.SEX", ["F"])),
    ("DF0009", None, lambda g, c: g["DM"].__setitem__(3, ("SEX", "text", 1, "Gender", "CL.SEX"))),
])
def test_define_rule_reports_planted_defect(tmp_path, rule_id, edit, define_edit):
    assert rule_id in _rules(_study_with_define(tmp_path, edit, define_edit))


def test_define_codelist_documents_sponsor_extensions(tmp_path):
    fx = clean_study()
    fx.set("LB", 0, LBSPEC="NASAL SWAB FLUID X")
    study = fx.study()
    assert "CT0002" in set(validate_study(study, select=["CT0002"]).findings["rule"])
    groups = {"LB": [("LBSPEC", "text", 20, "Specimen Type", "CL.SPEC")]}
    study.define = read_define(_define(tmp_path, groups, {"CL.SPEC": ["SERUM", "NASAL SWAB FLUID X"]}))
    assert "CT0002" not in set(validate_study(study, select=["CT0002"]).findings["rule"])


# ---------------------------------------------------------------- ADaM

def _adam(edit=None):
    adsl = pd.DataFrame({"STUDYID": "CDISC01", "USUBJID": [S1, S2], "SUBJID": ["001", "002"], "SITEID": "01",
                         "AGE": [59.0, 54.0], "AGEU": "YEARS", "SEX": ["M", "F"], "RACE": "WHITE",
                         "ARM": "Drug A", "TRT01P": "Drug A", "SAFFL": "Y", "TRTSDT": [23756.0, 23757.0]})
    adlb = pd.DataFrame({"STUDYID": "CDISC01", "USUBJID": [S1, S1, S2], "PARAMCD": ["ALT", "ALT", "ALT"],
                         "PARAM": ["Alanine Aminotransferase (U/L)"] * 3, "AVAL": [30.0, 31.0, 28.0],
                         "ANL01FL": ["Y", "", "Y"], "ADT": [23750.0, 23756.0, 23751.0]})
    frames = {"ADSL": adsl, "ADLB": adlb}
    if edit:
        edit(frames)
    metas = {}
    for name, frame in frames.items():
        variables = []
        for col in frame.columns:
            numeric = frame[col].dtype.kind == "f"
            fmt = "DATE9." if col.endswith("DT") and numeric else None
            variables.append(Variable(name=col, label=col, data_type="float" if numeric else "text",
                                      length=8 if numeric else 40, display_format=fmt))
        metas[name] = Dataset(name=name, label=name, variables=variables)
    return frames_to_study(frames, metas, standard="adamig-1.3")


def _adam_rules(study) -> set[str]:
    return set(validate_study(study, strict=True, select=["AD"]).findings["rule"])


def test_clean_adam_stays_clean():
    assert _adam_rules(_adam()) == set()


@pytest.mark.parametrize("rule_id, edit", [
    ("AD0001", lambda f: f.__setitem__("ADSL", pd.concat([f["ADSL"], f["ADSL"].iloc[[0]]], ignore_index=True))),
    ("AD0002", lambda f: f["ADLB"].__setitem__("USUBJID", [S1, S1, "CDISC01-999"])),
    ("AD0003", lambda f: f.__setitem__("DM", clean_study().frames["DM"].iloc[[0]].reset_index(drop=True))),
    ("AD0004", lambda f: f["ADSL"].__setitem__("SAFFL", ["Y", "YES"])),
    ("AD0005", lambda f: f["ADLB"].__setitem__("ADT", ["2025-01-10", "2025-01-16", "2025-01-11"])),
    ("AD0006", lambda f: f["ADLB"].__setitem__("PARAM", ["ALT (U/L)", "ALT (IU/L)", "ALT (U/L)"])),
    ("AD0007", lambda f: f["ADLB"].__setitem__("PARAMCD", ["ALT_LONG_1"] * 3)),
    ("AD0008", lambda f: f.__setitem__("ADSL", f["ADSL"].drop(columns=["TRT01P"]))),
])
def test_adam_rule_reports_planted_defect(rule_id, edit):
    assert rule_id in _adam_rules(_adam(edit))


def test_adam_numeric_date_without_format_is_reported():
    study = _adam()
    study.datasets["ADLB"].meta.variable("ADT").display_format = None
    assert "AD0005" in _adam_rules(study)
    assert np.isfinite(study.datasets["ADLB"].frame["ADT"]).all()


def test_transport_rules_also_check_adam_datasets():
    study = _adam()
    study.datasets["ADSL"].meta.variable("TRT01P").label = "T" * 41
    rules = set(validate_study(study, strict=True).findings["rule"])
    assert "MD0007" in rules
    assert not {r for r in rules if r.startswith(("CT", "VL", "CR"))}  # SDTM rules stay off ADaM data
