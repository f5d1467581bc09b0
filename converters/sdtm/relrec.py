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

``level: dataset`` relates two datasets by a link variable instead (SDTMIG 3.4 section 8.3, the oncology domains'
--LNKID and --LNKGRP): two rows with USUBJID and IDVARVAL blank, RELTYPE ``ONE`` on the parent's row and
``MANY`` on the child's, RELID ``<parent domain><child domain>`` (e.g. ``TUTR``), written when both domains carry
the variable:

```yaml
  - {parent: {domain: TU, variable: TULNKID}, child: {domain: TR, variable: TRLNKID}, level: dataset}
```
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


def _column_names(built: Any) -> list[str]:
    """A built domain's columns, not made when it holds them as codes (``study.BuiltDomain.column_names``)."""
    from converters.sdtm.study import BuiltDomain

    return built.column_names() if isinstance(built, BuiltDomain) else list(built.frame.columns)


def _columns(built: Any, names: list[str]) -> pd.DataFrame:
    """Only the columns ``names`` of a built domain (those it has), made alone when held as codes."""
    from converters.sdtm.study import BuiltDomain

    if isinstance(built, BuiltDomain):
        return built.columns(names)
    return built.frame[[n for n in names if n in built.frame.columns]]


def _values(domains: dict[str, Any], domain: str, variable: str) -> pd.DataFrame | None:
    """USUBJID, --SEQ and the link value of each record of ``domain`` (from the domain or its SUPP--)."""
    built = domains.get(domain)
    if built is None:
        return None
    seq = f"{domain}SEQ"
    if variable in _column_names(built):  # only the columns read, made alone when held as codes
        out = _columns(built, ["USUBJID", seq, variable]).rename(columns={variable: "value"})
    else:
        supp = domains.get(f"SUPP{domain}")
        if supp is None:
            return pd.DataFrame(columns=["USUBJID", seq, "value"])
        frame = _columns(supp, ["USUBJID", "QNAM", "IDVARVAL", "QVAL"])
        s = frame[frame["QNAM"] == variable]
        out = pd.DataFrame({"USUBJID": s["USUBJID"].to_numpy(),
                            seq: pd.to_numeric(s["IDVARVAL"], errors="coerce").to_numpy(),
                            "value": s["QVAL"].to_numpy()})
    out = out.assign(value=out["value"].astype("string").str.strip()).dropna(subset=["value"])
    return out[out["value"] != ""]


def relrec_records(study: Any, domains: dict[str, Any]) -> pd.DataFrame:
    """The RELREC rows of every relationship of study.yaml ``related_records``."""
    parts: list[pd.DataFrame] = []
    for node, line in rows(study, "related_records"):
        pdom, pvar = _side(study, node, "parent", line)
        cdom, cvar = _side(study, node, "child", line)
        if node.get("level", "record") == "dataset":
            parts.append(_dataset_level(domains, pdom, pvar, cdom, cvar, order=len(parts)))
            continue
        if node.get("level", "record") != "record":
            raise SpecError(f"related_records: level must be 'record' or 'dataset', not {node.get('level')!r}",
                            Location(str(study.path), line))
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
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    if "RELTYPE" not in out:
        out["RELTYPE"] = None
    # a parent related to children of two domains (an RS response and its LB and TU records) is listed once
    out = out.drop_duplicates(["USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "RELID"])
    out["_v"] = pd.to_numeric(out["IDVARVAL"])
    out = out.sort_values(["USUBJID", "_k", "_o", "RDOMAIN", "_v"], kind="mergesort", na_position="first")
    out = out.drop(columns=["_o", "_k", "_v"]).reset_index(drop=True)
    out.insert(0, "STUDYID", study.studyid)
    reltype = out.pop("RELTYPE")
    out.insert(4, "RELTYPE", reltype.astype(object).where(reltype.notna(), None))
    return out


def _dataset_level(domains: dict[str, Any], pdom: str, pvar: str, cdom: str, cvar: str, order: int) -> pd.DataFrame:
    """The two rows relating dataset ``pdom`` (ONE) to ``cdom`` (MANY) by their link variables."""
    built = [domains.get(d) for d in (pdom, cdom)]
    if any(b is None or v not in _column_names(b) for b, v in zip(built, (pvar, cvar))):
        return pd.DataFrame()
    return pd.DataFrame({"RDOMAIN": [pdom, cdom], "USUBJID": [None, None], "IDVAR": [pvar, cvar],
                         "IDVARVAL": [None, None], "RELTYPE": ["ONE", "MANY"], "RELID": [pdom + cdom] * 2,
                         "_o": [0, 1], "_k": [float(order)] * 2})


def build_relrec(context: Any) -> list[Any]:
    """The engine's built-in builder: RELREC when study.yaml has ``related_records`` and a link holds."""
    from converters.sdtm.study import BuiltDomain

    frame = relrec_records(context.study, context.domains)
    if frame.empty:
        return []
    shaped, dataset = finish("RELREC", frame, KEYS, {}, default=DERIVED)
    return [BuiltDomain("RELREC", shaped, dataset)]
