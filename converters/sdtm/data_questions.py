"""Data questions the conversion raises for the data manager: facts that are each plausible alone but disagree
across domains, so the site must be queried. They are logged in ``rejections.csv`` with action ``data question``
(the records are written as collected; nothing is changed).

* A death (DM DTHDTC) whose primary cause (DD PRCDTH) is not disease progression, with no adverse event that
  ended fatally (AEOUT FATAL or AESDTH Y): an early death without a reported AE is the first thing a safety
  reviewer asks about. Deaths from progression of the disease under study are not AEs by protocol.

Runs as a built-in builder after the domains (``converters.sdtm.study.BUILTIN_BUILDERS``); it builds no dataset.
Per subject, so any split of the subjects gives the same entries.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from converters.sdtm.builder import ROW
from converters.sdtm.reference_dates import usubjids
from converters.sdtm.rejections import DATA_QUESTION

#: DD primary-cause results that need no fatal AE (death from the disease under study).
DISEASE_CAUSES = frozenset({"DISEASE PROGRESSION", "PROGRESSIVE DISEASE"})


def deaths_without_fatal_ae(domains: dict[str, Any]) -> pd.DataFrame:
    """USUBJID, DTHDTC and primary cause of each death that is not from the disease and has no fatal AE."""
    dm = domains["DM"].frame if "DM" in domains else pd.DataFrame()
    if "DTHDTC" not in dm:
        return pd.DataFrame(columns=["USUBJID", "DTHDTC", "CAUSE"])
    dead = dm.loc[dm["DTHDTC"].notna() & (dm["DTHDTC"].astype("string").str.strip() != ""), ["USUBJID", "DTHDTC"]]
    cause = pd.Series(dtype="object")
    if "DD" in domains:
        dd = domains["DD"].frame
        cause = dd[dd["DDTESTCD"] == "PRCDTH"].drop_duplicates("USUBJID").set_index("USUBJID")["DDSTRESC"]
    dead = dead.assign(CAUSE=dead["USUBJID"].map(cause))
    fatal: set[str] = set()
    if "AE" in domains:
        ae = domains["AE"].frame
        hit = pd.Series(False, index=ae.index)
        for var, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
            if var in ae:
                hit |= (ae[var].astype("string") == value).fillna(False).astype(bool)
        fatal = set(ae.loc[hit, "USUBJID"])
    from_disease = dead["CAUSE"].astype("string").str.upper().isin(DISEASE_CAUSES).fillna(False).astype(bool)
    return dead[~from_disease & ~dead["USUBJID"].isin(fatal)].reset_index(drop=True)


def log_data_questions(context: Any) -> list[Any]:
    """Log the data questions of the build (see the module docstring); returns no dataset."""
    found = deaths_without_fatal_ae(context.domains)
    if found.empty:
        return []
    form = (context.domains["DD"].sources or ("",))[0] if "DD" in context.domains else ""
    source = context.raw.get(form)
    rows = pd.Series(pd.NA, index=found.index, dtype="object")
    name = ""
    if source is not None:
        raw = source.frame
        first = raw.assign(_u=usubjids(context.study, raw)).drop_duplicates("_u").set_index("_u")[ROW]
        rows = found["USUBJID"].map(first)
        name = source.path.name
    cause = found["CAUSE"].astype(object).fillna("not recorded").astype(str)  # all-blank causes read as float
    reason = ("death on " + found["DTHDTC"].astype(str) + " (primary cause " + cause + ") has no adverse event "
              "with outcome FATAL or AESDTH Y: query the site")
    context.log.add("DD", name, rows, "*", found["USUBJID"], reason, DATA_QUESTION)
    return []
