"""IE (Inclusion/Exclusion Criteria Not Met) from the raw eligibility form.

Used when the study has no IE mapping spec.  The form (study.yaml
``ie_source``) has one row per criterion a subject did not meet, with the
criterion code in ``testcd_column``.  IETEST, IECAT and IESCAT come from TI
(the protocol text, not the text typed on the form); IEORRES is the collected
answer as an NY submission value and must say "not met" (N for an inclusion,
Y for an exclusion criterion).  Rows for criteria not in TI, for subjects not
in DM, or with an answer that is not Y/N are dropped and logged; rows that say
the criterion was met are left out by design (logged as ``excluded by design``
and counted as filtered); impossible dates are set to null and logged.  Per
record, so partition-safe.

A waiver flag on the form (``waived_column``, default IEWAIVED) goes to SUPPIE
as QNAM IEWAIVED (NY), so an enrolled subject's waived criterion stays
visible.  The form's free-text comment is not carried (it belongs in CO).

``ie_source`` keys: ``form``, ``testcd_column`` (required); ``result_column``
(default IEORRES), ``date_column`` (default IEDAT), ``visit_column`` (default
FOLDER), ``waived_column`` (default IEWAIVED).
"""
from __future__ import annotations

import pandas as pd

from converters.errors import Location, SpecError
from dataclasses import dataclass

from converters.metadata.model import Dataset
from converters.readers.raw import ROW
from converters.sdtm.dates import to_iso8601
from converters.sdtm.epoch import derive_epoch
from converters.sdtm.reference_dates import usubjids
from converters.sdtm.rejections import DROPPED, EXCLUDED_BY_DESIGN, NULLED, RejectionLog
from converters.sdtm.sequence import derive_seq
from converters.sdtm import finalize
from converters.sdtm.study_day import derive_study_day
from converters.sdtm.supp import Qualifier, split_supp
from converters.sdtm.trial_design._common import ASSIGNED, COLLECTED, DERIVED, add_identifiers, finish
from converters.sdtm.visits import assign_visit
from converters.spec.model import SpecPlace, VariableSpec
from converters.standards import ct

COLUMNS = ["STUDYID", "DOMAIN", "USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IESCAT", "IEORRES",
           "IESTRESC", "VISITNUM", "VISIT", "VISITDY", "EPOCH", "IEDTC", "IEDY"]
KEYS = ("STUDYID", "USUBJID", "IETESTCD")
ORIGINS = {"USUBJID": DERIVED, "IESEQ": DERIVED, "IETESTCD": COLLECTED, "IETEST": ASSIGNED, "IECAT": ASSIGNED,
           "IESCAT": ASSIGNED, "IEORRES": COLLECTED, "IESTRESC": DERIVED, "VISITNUM": DERIVED, "VISIT": DERIVED,
           "VISITDY": DERIVED, "EPOCH": DERIVED, "IEDTC": COLLECTED, "IEDY": DERIVED}
#: The IEORRES answer that means "criterion not met", per IECAT.
NOT_MET = {"INCLUSION": "N", "EXCLUSION": "Y"}
WAIVED = "IEWAIVED"


@dataclass
class IEBuild:
    """IE and its SUPPIE (None when no waiver flag was collected), with the raw rows read."""

    frame: pd.DataFrame
    dataset: Dataset
    rows_read: int
    supp: tuple[pd.DataFrame, Dataset] | None = None
    filtered: int = 0  # rows for criteria that were met (logged as excluded by design)


def ie_source(study) -> dict | None:
    """The ``ie_source`` settings with defaults, or None when study.yaml has none."""
    node = (study.document or {}).get("ie_source") if isinstance(study.document, dict) else None
    if not node:
        return None
    if not node.get("form") or not node.get("testcd_column"):
        raise SpecError("ie_source needs 'form' and 'testcd_column'",
                        Location(str(study.path), study.document.line_of("ie_source")))
    return {"form": str(node["form"]), "testcd_column": str(node["testcd_column"]),
            "result_column": str(node.get("result_column") or "IEORRES"),
            "date_column": str(node.get("date_column") or "IEDAT"),
            "visit_column": str(node.get("visit_column") or "FOLDER"),
            "waived_column": str(node.get("waived_column") or WAIVED)}


def _log(log: RejectionLog, source: str, frame: pd.DataFrame, mask: pd.Series, column: str, values, reason: str,
         action: str) -> None:
    if mask.any():
        log.add("IE", source, frame.loc[mask, ROW], column,
                values[mask] if isinstance(values, pd.Series) else values, reason, action)


def build_ie(study, raw: dict, dm: pd.DataFrame, ti: pd.DataFrame, timeline: pd.DataFrame,
             log: RejectionLog) -> IEBuild | None:
    """IE (and SUPPIE) frames and metadata; None when the study has no eligibility form."""
    settings = ie_source(study)
    if settings is None:
        return None
    if settings["form"] not in raw:
        raise SpecError(f"ie_source form {settings['form']!r} is not a raw form",
                        Location(str(study.path), study.document.line_of("ie_source")),
                        hint=f"raw forms: {', '.join(sorted(raw))}")
    src = raw[settings["form"]]
    source = src.path.name
    frame = src.frame
    for key in ("testcd_column", "result_column"):
        if settings[key] not in frame:
            raise SpecError(f"ie_source {key} {settings[key]!r} is not a column of {source}",
                            Location(str(study.path), study.document.line_of("ie_source")))
    testcd = frame[settings["testcd_column"]].astype("string").str.strip().str.upper()
    usubjid = usubjids(study, frame)
    criteria = ti.set_index("IETESTCD")
    unknown = ~testcd.isin(criteria.index).fillna(False).astype(bool)
    _log(log, source, frame, unknown, settings["testcd_column"], frame[settings["testcd_column"]],
         "IETESTCD is not a criterion of TI (study.yaml inclusion_exclusion)", DROPPED)
    outside = ~unknown & ~usubjid.isin(set(dm["USUBJID"])).fillna(False).astype(bool)
    _log(log, source, frame, outside, "SUBJID", frame.get("SUBJID", usubjid),
         "subject not in DM (not enrolled in the study)", DROPPED)
    answer_raw = frame[settings["result_column"]]
    lookup = ct.codelist("NY").lookup
    answer = answer_raw.astype("string").str.strip().str.upper().map(lookup).astype("object")
    category = testcd.map(criteria["IECAT"]).astype("object")
    kept = ~unknown & ~outside
    no_answer = kept & answer.isna()
    _log(log, source, frame, no_answer, settings["result_column"], answer_raw,
         "IEORRES is not Y or N (required)", DROPPED)
    met = kept & ~no_answer & (answer != category.map(NOT_MET)).fillna(False).astype(bool)
    _log(log, source, frame, met, settings["result_column"], answer_raw,
         "the answer says the criterion was met; IE holds only criteria not met (SDTMIG 3.4 IE)",
         EXCLUDED_BY_DESIGN)
    keep = (kept & ~no_answer & ~met).to_numpy()
    rows = frame.loc[keep]
    out = pd.DataFrame({"USUBJID": usubjid[keep].astype("object"), "IETESTCD": testcd[keep].astype("object")},
                       index=rows.index)
    for col in ("IETEST", "IECAT", "IESCAT"):
        out[col] = out["IETESTCD"].map(criteria[col]) if col in criteria else None
    out["IEORRES"] = answer[keep]
    if settings["waived_column"] in rows:
        waived_raw = rows[settings["waived_column"]]
        waived = waived_raw.astype("string").str.strip().str.upper().map(lookup).astype("object")
        unmapped = waived.isna() & waived_raw.notna()
        _log(log, source, rows, unmapped, settings["waived_column"], waived_raw,
             "IEWAIVED is not Y or N", NULLED)
        out["__waived__"] = waived
    out["IESTRESC"] = out["IEORRES"]
    if settings["date_column"] in rows:
        dates = to_iso8601(rows[settings["date_column"]])
        bad = dates.problem.notna()
        _log(log, source, rows, bad, settings["date_column"], rows[settings["date_column"]],
             "IEDTC: not a valid date", NULLED)
        out["IEDTC"] = dates.iso.astype("object").where(dates.iso.notna(), None)
    else:
        out["IEDTC"] = None
    if settings["visit_column"] in rows and study.visits:
        visits = assign_visit(rows[settings["visit_column"]], out["IEDTC"], out["USUBJID"], study.visits)
        for col in ("VISITNUM", "VISIT", "VISITDY"):
            out[col] = visits[col]
    out["EPOCH"] = derive_epoch(out["IEDTC"], out["USUBJID"], timeline)
    rfstdtc = dm.set_index("USUBJID")["RFSTDTC"] if "RFSTDTC" in dm else pd.Series(dtype="object")
    out["IEDY"] = derive_study_day(out["IEDTC"], out["USUBJID"].map(rfstdtc))
    out = out.reset_index(drop=True)
    out["__order__"] = out["IETESTCD"].map({code: i for i, code in enumerate(ti["IETESTCD"])})
    out["IESEQ"] = derive_seq(out, ["USUBJID"], ["IEDTC", "__order__"])  # date, then protocol order
    add_identifiers(out, study, "IE")
    out = out.sort_values(["USUBJID", "IESEQ"], kind="mergesort").reset_index(drop=True)
    supp = _suppie(study, out) if "__waived__" in out else None
    out = out.reindex(columns=[c for c in COLUMNS if c in out.columns])
    shaped, dataset = finish("IE", out, KEYS, ORIGINS, DERIVED)
    return IEBuild(shaped, dataset, int(len(frame)), supp, int(met.sum()))


def _suppie(study, ie: pd.DataFrame) -> tuple[pd.DataFrame, Dataset] | None:
    """SUPPIE with the collected waiver flag (QNAM IEWAIVED) per IE record, keyed by IESEQ."""
    place = SpecPlace(str(study.path), study.document.line_of("ie_source") if study.document else 0)
    label = "Criterion Waived"
    spec = VariableSpec(WAIVED, "assign_ct", place, columns=(WAIVED,), codelist="NY", label=label)
    values = pd.DataFrame({WAIVED: ie["__waived__"]}, index=ie.index)
    supp = split_supp(ie, values, [Qualifier(WAIVED, label, "CRF")], "IE", "IESEQ")
    if supp.empty:
        return None
    dataset = finalize.supp_metadata("IE", supp, {WAIVED: spec}, {WAIVED: "NY"}, {})
    shaped, _names = finalize.shape_domain("SUPPIE", supp, {})
    return shaped, dataset
