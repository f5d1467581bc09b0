"""A small clean SDTM study built in Python, for planting one defect per validator rule.

``clean_study()`` returns a Fixture: ``frames`` (dataset name -> DataFrame in SDTMIG
order, Req/Exp variables always present) that a test changes in place, and
``meta_edits`` for defects that live in metadata.  ``fixture.study()`` builds the
StudyData the validator runs on.  The clean study gives no findings at all.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from converters.metadata.model import Dataset
from converters.standards import ct, sdtmig
from converters.validate.data import StudyData, frames_to_study, infer_metadata
from converters.validate.rules_ct import TS_CODELISTS
from converters.validate.rules_design import TS_EXPECTED

STUDYID = "CDISC01"
S1, S2, S3 = "CDISC01-001", "CDISC01-002", "CDISC01-003"


def build(domain: str, rows: list[dict]) -> pd.DataFrame:
    """A dataset of ``domain``: STUDYID/DOMAIN filled, Req and Exp variables always present, SDTMIG order."""
    key = "SUPPQUAL" if domain.startswith("SUPP") else domain
    std = sdtmig.variables(key)
    given: list[str] = []
    for row in rows:
        given += [k for k in row if k not in given]
    names = [v.name for v in std if v.core in ("Req", "Exp") or v.name in given]
    names += [g for g in given if g not in names]
    types = {v.name: v.type for v in std}
    data = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name == "STUDYID":
            values = [STUDYID] * len(rows)
        elif name == "DOMAIN" and not domain.startswith("SUPP"):
            values = [domain] * len(rows)
        if types.get(name) == "Num":
            data[name] = pd.Series([np.nan if v in (None, "") else float(v) for v in values], dtype="float64")
        else:
            data[name] = pd.Series(["" if v is None else str(v) for v in values], dtype=object)
    return pd.DataFrame(data)


@dataclass
class Fixture:
    frames: dict[str, pd.DataFrame]
    meta_edits: list[Callable[[dict[str, Dataset]], None]] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)  # dataset -> XptFacts / JsonFacts of its "file"

    def study(self) -> StudyData:
        frames = {name: frame.reset_index(drop=True) for name, frame in self.frames.items()}
        metas = {name: infer_metadata(name, frame) for name, frame in frames.items()}
        for edit in self.meta_edits:
            edit(metas)
        study = frames_to_study(frames, metas)
        for name, path in self.paths.items():
            study.datasets[name].path = path
        for name, facts in self.facts.items():
            study.datasets[name].facts = facts
            study.datasets[name].path = study.datasets[name].path or Path(f"{name.lower()}.xpt")
        study.problems = list(self.problems)
        return study

    def set(self, dataset: str, row: int, **values) -> None:
        """Set variables of one record (0-based row; -1 for the last), adding a variable if needed."""
        frame = self.frames[dataset]
        row = len(frame) + row if row < 0 else row
        for name, value in values.items():
            if name not in frame.columns:
                frame[name] = np.nan if isinstance(value, (int, float)) and value is not None else ""
            if frame[name].dtype.kind == "f":
                frame.loc[row, name] = np.nan if value in (None, "") else float(value)
            else:
                frame.loc[row, name] = "" if value is None else str(value)

    def drop(self, dataset: str, *names: str) -> None:
        self.frames[dataset] = self.frames[dataset].drop(columns=list(names))

    def append(self, dataset: str, row: int = -1, **values) -> None:
        """Add a record copying record ``row`` (default the last), with ``values`` changed."""
        frame = self.frames[dataset]
        self.frames[dataset] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
        self.set(dataset, len(self.frames[dataset]) - 1, **values)

    def where(self, dataset: str, **values) -> int:
        """Row number of the first record whose variables equal ``values``."""
        frame = self.frames[dataset]
        mask = pd.Series(True, index=frame.index)
        for name, value in values.items():
            mask &= frame[name].astype(str).eq(str(value))
        return int(mask.to_numpy().nonzero()[0][0])

    def meta(self, dataset: str, edit: Callable[[Dataset], None]) -> None:
        self.meta_edits.append(lambda metas: edit(metas[dataset]))


def _ts_rows() -> list[dict]:
    tsparm = {t.code: t.submission_value for t in ct.codelist("TSPARM").terms}
    codes = {t.submission_value: t.code for t in ct.codelist("TSPARMCD").terms}
    values = {"SSTDTC": "2025-01-10", "SENDTC": "2025-12-31", "AGEMIN": "P18Y", "AGEMAX": "P80Y", "LENGTH": "P1Y",
              "PLANSUB": "3", "ACTSUB": "3", "NARMS": "1", "TITLE": "A Study of Drug A", "SPONSOR": "Sponsor Inc",
              "SDTIGVER": "3.4", "SDTMVER": "2.0", "REGID": "NCT00000000", "FCNTRY": "USA",
              "TRT": "Drug A", "PCLAS": "Kinase Inhibitor", "INDIC": "Lung cancer", "OBJPRIM": "Safety",
              "TINDTP": "TREATMENT", "TPHASE": "PHASE I TRIAL", "TBLIND": "OPEN LABEL", "TCNTRL": "NONE",
              "TTYPE": "SAFETY", "INTMODEL": "SINGLE GROUP"}
    rows = []
    for parm in ("SSTDTC",) + TS_EXPECTED:
        value = values.get(parm)
        if value is None and parm in TS_CODELISTS:
            value = sorted(ct.codelist(TS_CODELISTS[parm]).submission_values)[0]
        rows.append({"TSSEQ": 1, "TSPARMCD": parm, "TSPARM": tsparm[codes[parm]], "TSVAL": value or "x"})
    for parm, value in (("DOSU", "mg"), ("DCUTDTC", "2025-12-31")):
        rows.append({"TSSEQ": 1, "TSPARMCD": parm, "TSPARM": tsparm[codes[parm]], "TSVAL": value})
    return rows


def clean_study() -> Fixture:
    """Three subjects: 001 completes, 002 dies of a fatal AE, 003 fails screening (a fresh copy each call).

    002's second infusion was incomplete (EXADJ) and is recorded with the half dose given; SE holds each
    subject's elements, RELREC relates 002's fatal AE to the death disposition.
    """
    return Fixture(frames={name: frame.copy() for name, frame in _clean_frames().items()})


@lru_cache(maxsize=1)
def _clean_frames() -> dict[str, pd.DataFrame]:
    arm = {"ARMCD": "A", "ARM": "Drug A", "ACTARMCD": "A", "ACTARM": "Drug A"}
    dm = build("DM", [
        {"USUBJID": S1, "SUBJID": "001", "RFSTDTC": "2025-01-15", "RFENDTC": "2025-02-20", "RFXSTDTC": "2025-01-15",
         "RFXENDTC": "2025-01-22", "RFICDTC": "2025-01-05", "RFPENDTC": "2025-03-01", "SITEID": "01",
         "BRTHDTC": "1965-03-01", "AGE": 59, "AGEU": "YEARS", "SEX": "M", "RACE": "WHITE", **arm, "COUNTRY": "USA"},
        {"USUBJID": S2, "SUBJID": "002", "RFSTDTC": "2025-01-16", "RFENDTC": "2025-02-10", "RFXSTDTC": "2025-01-16",
         "RFXENDTC": "2025-01-23", "RFICDTC": "2025-01-06", "RFPENDTC": "2025-02-10", "DTHDTC": "2025-02-10",
         "DTHFL": "Y", "SITEID": "01", "BRTHDTC": "1970-07-07", "AGE": 54, "AGEU": "YEARS", "SEX": "F",
         "RACE": "WHITE", **arm, "COUNTRY": "USA"},
        {"USUBJID": S3, "SUBJID": "003", "RFICDTC": "2025-01-07", "RFPENDTC": "2025-01-12", "SITEID": "02",
         "BRTHDTC": "1980-01-01", "AGE": 45, "AGEU": "YEARS", "SEX": "M", "RACE": "WHITE",
         "ARMNRS": "SCREEN FAILURE", "COUNTRY": "USA"},
    ])
    ex_common = {"EXTRT": "DRUG A", "EXDOSE": 100, "EXDOSU": "mg", "EXDOSFRM": "TABLET", "EXROUTE": "ORAL",
                 "EPOCH": "TREATMENT"}
    ex = build("EX", [
        {"USUBJID": S1, "EXSEQ": 1, **ex_common, "EXSTDTC": "2025-01-15", "EXENDTC": "2025-01-15", "EXSTDY": 1,
         "EXENDY": 1},
        {"USUBJID": S1, "EXSEQ": 2, **ex_common, "EXSTDTC": "2025-01-22", "EXENDTC": "2025-01-22", "EXSTDY": 8,
         "EXENDY": 8},
        {"USUBJID": S2, "EXSEQ": 1, **ex_common, "EXSTDTC": "2025-01-16", "EXENDTC": "2025-01-16", "EXSTDY": 1,
         "EXENDY": 1},
        {"USUBJID": S2, "EXSEQ": 2, **ex_common, "EXSTDTC": "2025-01-23", "EXENDTC": "2025-01-23", "EXSTDY": 8,
         "EXENDY": 8, "EXDOSE": 50, "EXADJ": "INFUSION INCOMPLETE"},
    ])
    ae = build("AE", [
        {"USUBJID": S1, "AESEQ": 1, "AETERM": "HEADACHE", "AEDECOD": "Headache", "AESEV": "MILD", "AESER": "N",
         "AEACN": "DOSE NOT CHANGED", "AEREL": "NOT RELATED", "AEOUT": "RECOVERED/RESOLVED", "AESDTH": "N",
         "AETOXGR": "1",
         "EPOCH": "TREATMENT", "AESTDTC": "2025-01-17", "AEENDTC": "2025-01-18", "AESTDY": 3, "AEENDY": 4},
        {"USUBJID": S2, "AESEQ": 1, "AETERM": "PNEUMONIA", "AEDECOD": "Pneumonia", "AESEV": "SEVERE", "AESER": "Y",
         "AEACN": "DRUG WITHDRAWN", "AEREL": "NOT RELATED", "AEOUT": "FATAL", "AESDTH": "Y",
         "AETOXGR": "5",
         "EPOCH": "TREATMENT", "AESTDTC": "2025-02-01", "AEENDTC": "2025-02-10", "AESTDY": 17, "AEENDY": 26},
    ])
    lb_alt = {"LBTESTCD": "ALT", "LBTEST": "Alanine Aminotransferase", "LBCAT": "CHEMISTRY", "LBORRES": "30",
              "LBORRESU": "U/L", "LBORNRLO": "0", "LBORNRHI": "40", "LBSTRESC": "30", "LBSTRESN": 30,
              "LBSTRESU": "U/L", "LBSTNRLO": 0, "LBSTNRHI": 40, "LBNRIND": "NORMAL", "LBSPEC": "SERUM"}
    lb_ast = {"LBTESTCD": "AST", "LBTEST": "Aspartate Aminotransferase", "LBCAT": "CHEMISTRY",
              "LBSTAT": "NOT DONE", "LBREASND": "SAMPLE HEMOLYZED", "LBSPEC": "SERUM"}
    lb = build("LB", [
        {"USUBJID": S1, "LBSEQ": 1, **lb_alt, "LBLOBXFL": "Y", "VISITNUM": 1, "VISIT": "SCREENING",
         "EPOCH": "SCREENING", "LBDTC": "2025-01-10", "LBDY": -5},
        {"USUBJID": S1, "LBSEQ": 2, **lb_alt, "VISITNUM": 2, "VISIT": "DAY 1", "EPOCH": "TREATMENT",
         "LBDTC": "2025-01-15", "LBDY": 1},
        {"USUBJID": S1, "LBSEQ": 3, **lb_ast, "VISITNUM": 2, "VISIT": "DAY 1", "EPOCH": "TREATMENT",
         "LBDTC": "2025-01-15", "LBDY": 1},
        {"USUBJID": S2, "LBSEQ": 1, **lb_alt, "LBLOBXFL": "Y", "VISITNUM": 1, "VISIT": "SCREENING",
         "EPOCH": "SCREENING", "LBDTC": "2025-01-11", "LBDY": -5},
    ])
    cm = build("CM", [
        {"USUBJID": S1, "CMSEQ": 1, "CMTRT": "PARACETAMOL", "CMDOSE": 500, "CMDOSU": "mg", "CMROUTE": "ORAL",
         "CMSTDTC": "2025-01-17", "CMENDTC": "2025-01-18", "CMSTDY": 3, "CMENDY": 4},
    ])
    mh = build("MH", [{"USUBJID": S1, "MHSEQ": 1, "MHTERM": "HYPERTENSION", "MHSTDTC": "2020-01"}])
    ds = build("DS", [
        {"USUBJID": S1, "DSSEQ": 1, "DSTERM": "COMPLETED", "DSDECOD": "COMPLETED", "DSCAT": "DISPOSITION EVENT",
         "EPOCH": "FOLLOW-UP", "DSSTDTC": "2025-02-20", "DSSTDY": 37},
        {"USUBJID": S2, "DSSEQ": 1, "DSTERM": "DEATH", "DSDECOD": "DEATH", "DSCAT": "DISPOSITION EVENT",
         "EPOCH": "TREATMENT", "DSSTDTC": "2025-02-10", "DSSTDY": 26},
        {"USUBJID": S3, "DSSEQ": 1, "DSTERM": "SCREEN FAILURE", "DSDECOD": "SCREEN FAILURE",
         "DSCAT": "DISPOSITION EVENT", "EPOCH": "SCREENING", "DSSTDTC": "2025-01-12"},
    ])
    visits = {1: "SCREENING", 2: "DAY 1", 3: "DAY 8"}
    sv = build("SV", [
        {"USUBJID": s, "VISITNUM": n, "VISIT": visits[n], "SVPRESP": "Y", "SVOCCUR": "Y", "SVSTDTC": d, "SVENDTC": d}
        for s, n, d in ((S1, 1, "2025-01-10"), (S1, 2, "2025-01-15"), (S1, 3, "2025-01-22"),
                        (S2, 1, "2025-01-11"), (S2, 2, "2025-01-16"), (S3, 1, "2025-01-10"))])
    ie = build("IE", [
        {"USUBJID": S3, "IESEQ": 1, "IETESTCD": "INCL01", "IETEST": "Age 18 years or older", "IECAT": "INCLUSION",
         "IEORRES": "N", "IESTRESC": "N", "VISITNUM": 1, "VISIT": "SCREENING", "EPOCH": "SCREENING",
         "IEDTC": "2025-01-10"}])
    ta = build("TA", [
        {"ARMCD": "A", "ARM": "Drug A", "TAETORD": i, "ETCD": e, "ELEMENT": el, "EPOCH": ep}
        for i, (e, el, ep) in enumerate((("SCRN", "Screening", "SCREENING"), ("TRT", "Drug A", "TREATMENT"),
                                         ("FU", "Follow-up", "FOLLOW-UP")), start=1)])
    te = build("TE", [
        {"ETCD": "SCRN", "ELEMENT": "Screening", "TESTRL": "Informed consent", "TEENRL": "First dose"},
        {"ETCD": "TRT", "ELEMENT": "Drug A", "TESTRL": "First dose", "TEENRL": "Last dose"},
        {"ETCD": "FU", "ELEMENT": "Follow-up", "TESTRL": "Last dose", "TEENRL": "End of study"}])
    tv = build("TV", [{"VISITNUM": n, "VISIT": v, "ARMCD": "A", "TVSTRL": f"Start of {v}"} for n, v in visits.items()])
    ti = build("TI", [
        {"IETESTCD": "INCL01", "IETEST": "Age 18 years or older", "IECAT": "INCLUSION"},
        {"IETESTCD": "EXCL01", "IETEST": "Prior therapy with Drug A", "IECAT": "EXCLUSION"}])
    ts = build("TS", _ts_rows())
    ts["TSSEQ"] = 1.0
    suppae = build("SUPPAE", [
        {"RDOMAIN": "AE", "USUBJID": S1, "IDVAR": "AESEQ", "IDVARVAL": "1", "QNAM": "AETRTEM",
         "QLABEL": "Treatment Emergent Flag", "QVAL": "Y", "QORIG": "Derived"}])
    elements = {"SCRN": ("Screening", "SCREENING", 1), "TRT": ("Drug A", "TREATMENT", 2),
                "FU": ("Follow-up", "FOLLOW-UP", 3)}
    se = build("SE", [
        {"USUBJID": s, "SESEQ": n, "ETCD": e, "ELEMENT": elements[e][0], "TAETORD": elements[e][2],
         "EPOCH": elements[e][1], "SESTDTC": a, "SEENDTC": b}
        for s, n, e, a, b in ((S1, 1, "SCRN", "2025-01-05", "2025-01-15"), (S1, 2, "TRT", "2025-01-15", "2025-02-20"),
                              (S1, 3, "FU", "2025-02-20", "2025-03-01"), (S2, 1, "SCRN", "2025-01-06", "2025-01-16"),
                              (S2, 2, "TRT", "2025-01-16", "2025-02-10"), (S3, 1, "SCRN", "2025-01-07", "2025-01-12"))])
    relrec = build("RELREC", [
        {"RDOMAIN": "AE", "USUBJID": S2, "IDVAR": "AESEQ", "IDVARVAL": "1", "RELID": "1"},
        {"RDOMAIN": "DS", "USUBJID": S2, "IDVAR": "DSSEQ", "IDVARVAL": "1", "RELID": "1"}])
    frames = {"DM": dm, "AE": ae, "EX": ex, "LB": lb, "CM": cm, "MH": mh, "DS": ds, "SV": sv, "IE": ie,
              "TA": ta, "TE": te, "TV": tv, "TI": ti, "TS": ts, "SE": se, "RELREC": relrec, "SUPPAE": suppae}
    return frames


def write_folder(fixture: Fixture, folder: Path, fmt: str = "xpt") -> Path:
    """Write every dataset of ``fixture`` into ``folder`` as XPT v5 (``xpt``) or Dataset-JSON (``json``)."""
    from converters.writers.dataset_json import write_dataset_json
    from converters.writers.xpt import write_xpt

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in fixture.frames.items():
        frame = frame.reset_index(drop=True)
        meta = infer_metadata(name, frame)
        for var in meta.variables:
            if var.data_type == "float" and frame[var.name].dropna().mod(1).eq(0).all():
                var.data_type = "integer"
        if fmt == "xpt":
            write_xpt(frame, meta, folder / f"{name.lower()}.xpt")
        else:
            write_dataset_json(frame, meta, folder / f"{name.lower()}.json", study_oid=STUDYID,
                               metadata_version_oid="MDV.1")
    return folder
