"""RELREC (Related Records) from study.yaml ``related_records``: records of two domains of one subject that
the CRF links, e.g. a medication given for an adverse event (the CM form's AE line number = AESPID).

```yaml
related_records:
  - {parent: {domain: AE, variable: AESPID}, child: {domain: CM, variable: CMAENO}}
```

``variable`` is a variable of the built domain or a QNAM of its SUPP-- dataset.  Each parent record with at
least one child gives one relationship: RELID ``<parent domain><parent --SEQ>`` (e.g. ``AE12``) on the
parent's row (IDVAR ``AESEQ``) and on every child's row (IDVAR ``CMSEQ``), RELTYPE blank (record-level
relationships, SDTMIG 3.4 section 8.2).  A child whose link names no parent record of the subject stays in
its domain without a RELREC row (its link value stays in the domain or SUPP--, where a reviewer finds it).
Per subject, so any split of the subjects gives the same rows.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.errors import Location, SpecError
from converters.sdtm.trial_design._common import DERIVED, finish, rows

KEYS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID")


def _side(study: Any, node: Any, name: str, line: int | None) -> tuple[str, str]:
    side = node.get(name) if isinstance(node, dict) else None
    if not isinstance(side, dict) or not side.get("domain") or not side.get("variable"):
        raise SpecError(f"related_records: '{name}' needs {{domain: ..., variable: ...}}", Location(
            str(study.path), line))
    return str(side["domain"]).upper(), str(side["variable"])


def _values(domains: dict[str, Any], domain: str, variable: str) -> pd.DataFrame | None:
    """USUBJID, --SEQ and the link value of each record of ``domain`` (from the domain or its SUPP--)."""
    built = domains.get(domain)
    if built is None:
        return None
    frame = built.frame
    seq = f"{domain}SEQ"
    if variable in frame:
        out = frame[["USUBJID", seq, variable]].rename(columns={variable: "value"})
    else:
        supp = domains.get(f"SUPP{domain}")
        if supp is None:
            return pd.DataFrame(columns=["USUBJID", seq, "value"])
        s = supp.frame[supp.frame["QNAM"] == variable]
        out = pd.DataFrame({"USUBJID": s["USUBJID"].to_numpy(),
                            seq: pd.to_numeric(s["IDVARVAL"], errors="coerce").to_numpy(),
                            "value": s["QVAL"].to_numpy()})
    out = out.assign(value=out["value"].astype("string").str.strip()).dropna(subset=["value"])
    return out[out["value"] != ""]


def relrec_records(study: Any, domains: dict[str, Any]) -> pd.DataFrame:
    """The RELREC rows of every relationship of study.yaml ``related_records``."""
    parts = []
    for node, line in rows(study, "related_records"):
        pdom, pvar = _side(study, node, "parent", line)
        cdom, cvar = _side(study, node, "child", line)
        parent, child = _values(domains, pdom, pvar), _values(domains, cdom, cvar)
        if parent is None or child is None:
            continue
        pseq, cseq = f"{pdom}SEQ", f"{cdom}SEQ"
        linked = child.merge(parent.rename(columns={pseq: "_pseq"}), on=["USUBJID", "value"], how="left",
                             validate="many_to_one")
        linked = linked[linked["_pseq"].notna()]
        relid = pdom + linked["_pseq"].astype("int64").astype(str)
        parents = linked.drop_duplicates(["USUBJID", "_pseq"])
        parts.append(pd.DataFrame({"RDOMAIN": pdom, "USUBJID": parents["USUBJID"].to_numpy(), "IDVAR": pseq,
                                   "IDVARVAL": parents["_pseq"].astype("int64").astype(str).to_numpy(),
                                   "RELID": relid[parents.index].to_numpy(), "_o": 0,
                                   "_k": parents["_pseq"].to_numpy()}))
        parts.append(pd.DataFrame({"RDOMAIN": cdom, "USUBJID": linked["USUBJID"].to_numpy(), "IDVAR": cseq,
                                   "IDVARVAL": linked[cseq].astype("int64").astype(str).to_numpy(),
                                   "RELID": relid.to_numpy(), "_o": 1, "_k": linked["_pseq"].to_numpy()}))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    # a parent related to children of two domains (an RS response and its LB and TU records) is listed once
    out = out.drop_duplicates(["USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "RELID"])
    out["_v"] = pd.to_numeric(out["IDVARVAL"])
    out = out.sort_values(["USUBJID", "_k", "_o", "RDOMAIN", "_v"], kind="mergesort")
    out = out.drop(columns=["_o", "_k", "_v"]).reset_index(drop=True)
    out.insert(0, "STUDYID", study.studyid)
    out.insert(4, "RELTYPE", None)
    return out


def build_relrec(context: Any) -> list[Any]:
    """The engine's built-in builder: RELREC when study.yaml has ``related_records`` and a link holds."""
    from converters.sdtm.study import BuiltDomain

    frame = relrec_records(context.study, context.domains)
    if frame.empty:
        return []
    shaped, dataset = finish("RELREC", frame, KEYS, {}, default=DERIVED)
    return [BuiltDomain("RELREC", shaped, dataset)]
