"""Supplemental qualifiers (``supp``): non-standard values of a parent domain to SUPP--.

One SUPP-- record per parent record and qualifier with a non-blank value
(SDTMIG 3.4 section 8.4): STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL, QNAM,
QLABEL, QVAL, QORIG, QEVAL.  DM qualifiers have blank IDVAR/IDVARVAL; other
domains are linked by --SEQ unless the spec names another IDVAR.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SUPP_COLUMNS = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]


@dataclass(frozen=True)
class Qualifier:
    """What SUPP-- says about one QNAM."""

    qnam: str
    qlabel: str
    qorig: str  # CRF, Assigned, Derived, Protocol
    qeval: str | None = None


def _idvarval(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    whole = num.notna() & (num == num.round())
    text = values.astype("string")
    return text.where(~whole, num.where(whole).astype("Int64").astype("string"))


def split_supp(parent: pd.DataFrame, values: pd.DataFrame, qualifiers: list[Qualifier], rdomain: str,
               idvar: str | None) -> pd.DataFrame:
    """SUPP-- records for the qualifier columns of ``values`` (aligned on ``parent``'s index).

    Rows are ordered by USUBJID, IDVARVAL (numeric when numeric) and QNAM, so
    the output does not depend on input order.
    """
    frames = []
    for q in qualifiers:
        # pandas-stubs: replace() takes pd.NA
        qval = values[q.qnam].astype("string").str.strip().replace("", pd.NA)  # type: ignore[call-overload]
        keep = qval.notna()
        if not keep.any():
            continue
        part = pd.DataFrame({
            "STUDYID": parent.loc[keep, "STUDYID"].astype("object"),
            "RDOMAIN": rdomain,
            "USUBJID": parent.loc[keep, "USUBJID"].astype("object"),
            "IDVAR": idvar if idvar else None,
            "IDVARVAL": _idvarval(parent.loc[keep, idvar]).astype("object") if idvar else None,
            "QNAM": q.qnam, "QLABEL": q.qlabel, "QVAL": qval[keep].astype("object"),
            "QORIG": q.qorig, "QEVAL": q.qeval,
        })
        part["__order__"] = pd.to_numeric(parent.loc[keep, idvar], errors="coerce") if idvar else 0
        frames.append(part)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPP_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["USUBJID", "__order__", "IDVARVAL", "QNAM"], kind="mergesort", na_position="first")
    return out[SUPP_COLUMNS].reset_index(drop=True)
