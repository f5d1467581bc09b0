"""A small hand-made ADaM study (ADSL, ADRS as BDS, ADAE as OCCDS) with its data and ARM displays, for the
ADaM path of the Define-XML writer; and helpers that write it as XPT."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.metadata.model import (
    AnalysisDataset,
    AnalysisResult,
    Codelist,
    CodelistTerm,
    Dataset,
    Method,
    Origin,
    ResultDisplay,
    Standard,
    Study,
    Variable,
    WhereCondition,
)
from converters.metadata.value_level import bds_value_level
from converters.writers.xpt import write_xpt

STUDYID = "ADAM-FIX-01"


def _var(name: str, label: str, data_type: str = "text", length: int | None = None, **kw) -> Variable:
    return Variable(name=name, label=label, data_type=data_type, length=length, **kw)


def adam_frames() -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame({"STUDYID": [STUDYID] * 3, "USUBJID": ["S-1", "S-2", "S-3"],
                         "TRT01P": ["DL1", "DL1", "DL2"], "SAFFL": ["Y", "Y", "Y"],
                         "TRTSDT": [23000.0, 23010.0, 23020.0], "DLTFL": ["Y", "N", "N"]})
    adrs = pd.DataFrame({"STUDYID": [STUDYID] * 4, "USUBJID": ["S-1", "S-2", "S-3", "S-1"],
                         "PARAMCD": ["BOR", "BOR", "BOR", "OR"], "PARAM": ["Best Overall Response"] * 3
                         + ["Objective Response"], "AVALC": ["PR", "SD", "CR", "Y"], "AVAL": [2.0, 3.0, 1.0, 1.0],
                         "ADT": [23050.0, 23060.0, 23070.0, 23050.0]})
    adae = pd.DataFrame({"STUDYID": [STUDYID] * 2, "USUBJID": ["S-1", "S-2"], "AESEQ": [1.0, 1.0],
                         "AEDECOD": ["Cytokine release syndrome", "Neutropenia"], "ATOXGRN": [2.0, 4.0],
                         "TRTEMFL": ["Y", "Y"]})
    return {"ADSL": adsl, "ADRS": adrs, "ADAE": adae}


def adam_study(frames: dict[str, pd.DataFrame]) -> Study:
    """The metadata of ``adam_frames()`` as an ADaM define needs it."""
    pred = Origin("Predecessor", predecessor="ADSL.STUDYID")
    adsl = Dataset("ADSL", "Subject-Level Analysis Dataset", dataset_class="SUBJECT LEVEL ANALYSIS DATASET",
                   structure="One record per subject", keys=("STUDYID", "USUBJID"), purpose="Analysis",
                   standard="STD.ADaMIG.1.3", variables=[
                       _var("STUDYID", "Study Identifier", length=11, origin=Origin("Predecessor", predecessor="DM.STUDYID")),
                       _var("USUBJID", "Unique Subject Identifier", length=3,
                            origin=Origin("Predecessor", predecessor="DM.USUBJID")),
                       _var("TRT01P", "Planned Treatment for Period 01", length=3,
                            origin=Origin("Predecessor", predecessor="DM.ARMCD")),
                       _var("SAFFL", "Safety Population Flag", length=1, codelist="NY",
                            origin=Origin("Derived"), method="MT.ADSL.SAFFL"),
                       _var("TRTSDT", "Date of First Exposure to Treatment", "integer", 8, display_format="DATE9.",
                            origin=Origin("Derived"), method="MT.ADSL.TRTSDT"),
                       _var("DLTFL", "Dose Limiting Toxicity Flag", length=1, codelist="NY",
                            origin=Origin("Derived"), method="MT.ADSL.DLTFL")])
    adrs = Dataset("ADRS", "Response Analysis Dataset", dataset_class="BASIC DATA STRUCTURE",
                   structure="One record per subject per parameter", keys=("STUDYID", "USUBJID", "PARAMCD"),
                   purpose="Analysis", standard="STD.ADaMIG.1.3", variables=[
                       _var("STUDYID", "Study Identifier", length=11, origin=pred),
                       _var("USUBJID", "Unique Subject Identifier", length=3,
                            origin=Origin("Predecessor", predecessor="ADSL.USUBJID")),
                       _var("PARAMCD", "Parameter Code", length=3, codelist="PARAMCD", origin=Origin("Assigned")),
                       _var("PARAM", "Parameter", length=25, origin=Origin("Assigned")),
                       _var("AVALC", "Analysis Value (C)", length=2, origin=Origin("Derived"), method="MT.ADRS.AVALC"),
                       _var("AVAL", "Analysis Value", "integer", 8, origin=Origin("Derived"), method="MT.ADRS.AVAL"),
                       _var("ADT", "Analysis Date", "integer", 8, display_format="DATE9.",
                            origin=Origin("Predecessor", predecessor="RS.RSDTC"))])
    adae = Dataset("ADAE", "Adverse Events Analysis Dataset", dataset_class="OCCURRENCE DATA STRUCTURE",
                   subclass="ADVERSE EVENT", structure="One record per subject per adverse event",
                   keys=("STUDYID", "USUBJID", "AESEQ"), purpose="Analysis", standard="STD.ADaMIG.1.3", variables=[
                       _var("STUDYID", "Study Identifier", length=11, origin=pred),
                       _var("USUBJID", "Unique Subject Identifier", length=3,
                            origin=Origin("Predecessor", predecessor="ADSL.USUBJID")),
                       _var("AESEQ", "Sequence Number", "integer", 8, origin=Origin("Predecessor", predecessor="AE.AESEQ")),
                       _var("AEDECOD", "Dictionary-Derived Term", length=25, codelist="MEDDRA",
                            origin=Origin("Predecessor", predecessor="AE.AEDECOD")),
                       _var("ATOXGRN", "Analysis Toxicity Grade (N)", "integer", 8, origin=Origin("Derived"),
                            method="MT.ADAE.ATOXGRN"),
                       _var("TRTEMFL", "Treatment Emergent Analysis Flag", length=1, codelist="NY",
                            origin=Origin("Derived"), method="MT.ADAE.TRTEMFL")])
    for ds in (adsl, adrs, adae):
        for i, var in enumerate(ds.variables, start=1):
            var.order = i
            var.mandatory = var.name in ds.keys
            var.key_sequence = ds.keys.index(var.name) + 1 if var.name in ds.keys else None
        ds.records = len(frames[ds.name])
    adrs.value_level = bds_value_level(adrs, frames["ADRS"])
    methods = [Method(f"MT.{d}.{v}", f"Algorithm to derive {d}.{v}", text) for d, v, text in [
        ("ADSL", "SAFFL", "Y when the subject received any CAR-NK infusion, else N."),
        ("ADSL", "TRTSDT", "Date part of the first EX.EXSTDTC with a CAR-NK dose."),
        ("ADSL", "DLTFL", "Y when a dose-limiting toxicity (SUPPAE.QNAM AEDLT = Y) occurred in the DLT window."),
        ("ADRS", "AVALC", "Best overall response by RECIST 1.1 (BOR) or Y/N objective response (OR)."),
        ("ADRS", "AVAL", "Numeric code of AVALC: CR 1, PR 2, SD 3, PD 4, NE 5; OR Y 1, N 0."),
        ("ADAE", "ATOXGRN", "AETOXGR as a number."),
        ("ADAE", "TRTEMFL", "Y when ASTDT is on or after ADSL.TRTSDT.")]]
    codelists = [
        Codelist("NY", "C66742", "No Yes Response", False, terms=[CodelistTerm("N", "C49487", "No"),
                                                                  CodelistTerm("Y", "C49488", "Yes")]),
        Codelist("PARAMCD", None, "Parameter Code (ADRS)", None, sponsor_defined=True,
                 terms=[CodelistTerm("BOR", None, "Best Overall Response"),
                        CodelistTerm("OR", None, "Objective Response")]),
        Codelist("MEDDRA", label="MedDRA", dictionary="MedDRA", version="27.1")]
    displays = [
        ResultDisplay("RD.T-DLT", "Table 14.3.1", "DLT rate per arm and dose level (DLT-evaluable population)", [
            AnalysisResult("AR.T-DLT.1", "Proportion of subjects with a DLT by planned treatment",
                           "SPECIFIED IN PROTOCOL", "PRIMARY OUTCOME MEASURE",
                           [AnalysisDataset("ADSL", ("DLTFL",), (WhereCondition("ADSL", "SAFFL", "EQ", ("Y",)),))],
                           documentation="Number and percent of subjects with DLTFL = Y by TRT01P.",
                           code="adsl[adsl.SAFFL == 'Y'].groupby('TRT01P').DLTFL.value_counts()")]),
        ResultDisplay("RD.T-BOR", "Table 14.2.1", "Best overall and objective response (RECIST 1.1)", [
            AnalysisResult("AR.T-BOR.1", "Best overall response", "SPECIFIED IN SAP", "SECONDARY OUTCOME MEASURE",
                           [AnalysisDataset("ADRS", ("AVALC",), (WhereCondition("ADRS", "PARAMCD", "EQ", ("BOR",)),))],
                           parameter="IT.ADRS.PARAMCD"),
            AnalysisResult("AR.T-BOR.2", "Objective response rate", "SPECIFIED IN SAP", "SECONDARY OUTCOME MEASURE",
                           [AnalysisDataset("ADRS", ("AVALC",), (WhereCondition("ADRS", "PARAMCD", "EQ", ("OR",)),))],
                           parameter="IT.ADRS.PARAMCD")]),
        ResultDisplay("RD.T-TEAE", "Table 14.3.2", "Treatment-emergent adverse events by worst grade", [
            AnalysisResult("AR.T-TEAE.1", "Subjects with a TEAE by worst toxicity grade", "SPECIFIED IN SAP",
                           "SECONDARY OUTCOME MEASURE",
                           [AnalysisDataset("ADAE", ("ATOXGRN",), (WhereCondition("ADAE", "TRTEMFL", "EQ", ("Y",)),))])]),
    ]
    return Study(studyid=STUDYID, name="ADaM fixture", description="Hand-made ADaM metadata", protocol=STUDYID,
                 standards=[Standard("ADaMIG", "1.3", "IG"), Standard("CDISC/NCI", "2025-03-28", "CT", "ADaM")],
                 datasets=[adsl, adrs, adae], codelists=codelists, methods=methods, analysis_results=displays)


def write_adam_folder(folder: Path) -> Study:
    """XPT files of the fixture in ``folder``; returns the metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = adam_frames()
    study = adam_study(frames)
    for ds in study.datasets:
        write_xpt(frames[ds.name], ds, folder / f"{ds.name.lower()}.xpt")
    return study
