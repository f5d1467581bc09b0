"""TI (Trial Inclusion/Exclusion Criteria) from study.yaml ``inclusion_exclusion``.

IETEST holds at most 200 characters (SDTMIG 3.4 TI).  A row gives a short
IETEST and the protocol's ``full_text``; when IETEST is missing or too long it
is shortened from the full text at a word boundary.  The protocol's full text
of each criterion is kept in the study metadata (SDTMIG 3.4 TI: the full
criterion text belongs in the metadata, IETEST may be shortened): a comment
``COM.TI.<IETESTCD>`` per criterion, referenced by a value-level entry for
IETEST where IETESTCD equals the criterion's code, as Define-XML 2.1 attaches
a def:CommentDef to a value-level ItemDef.
"""
from __future__ import annotations

import re

import pandas as pd

from converters.metadata.model import Comment, Dataset, Origin, ValueLevel, Variable, WhereCondition
from converters.sdtm.trial_design._common import add_identifiers, finish, rows, spec_error, text
from converters.standards import ct

COLUMNS = ["STUDYID", "DOMAIN", "IETESTCD", "IETEST", "IECAT", "IESCAT", "TIRL", "TIVERS"]
KEYS = ("STUDYID", "IETESTCD", "TIVERS")
IETEST_MAX = 200
_TESTCD = re.compile(r"^[A-Z_][A-Z0-9_]{0,7}$")


def shorten(value: str, limit: int = IETEST_MAX) -> str:
    """``value`` cut to at most ``limit`` characters at a word boundary, marked with an ellipsis."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "..."


def criterion_records(study) -> list[dict]:
    """TI records in file order, each with its protocol ``full_text`` (None when study.yaml gives none)."""
    categories = ct.codelist("IECAT").submission_values
    out, seen = [], set()
    for node, line in rows(study, "inclusion_exclusion"):
        code = text(node.get("IETESTCD"))
        if code is None or not _TESTCD.match(code):
            raise spec_error(study, f"IETESTCD {code!r} must be 1-8 letters, digits or underscores, not "
                                    f"starting with a digit", line)
        if code in seen:
            raise spec_error(study, f"IETESTCD {code} is listed twice", line)
        seen.add(code)
        category = text(node.get("IECAT"))
        if category not in categories:
            raise spec_error(study, f"{code}: IECAT {category!r} is not a term of CDISC codelist IECAT", line,
                             hint=f"use one of {', '.join(sorted(categories))}")
        full = text(node.get("full_text"))
        test = text(node.get("IETEST")) or full
        if test is None:
            raise spec_error(study, f"{code}: give IETEST or full_text", line)
        test = shorten(test)
        out.append({"IETESTCD": code, "IETEST": test, "IECAT": category, "IESCAT": text(node.get("IESCAT")),
                    "TIRL": text(node.get("TIRL")), "TIVERS": text(node.get("TIVERS")),
                    "full_text": " ".join(full.split()) if full else None})
    return out


def build_ti(study, comments: dict[str, Comment] | None = None) -> tuple[pd.DataFrame, Dataset]:
    """TI frame and metadata.

    With ``comments`` (the study's comment registry, OID -> Comment), each criterion with a full text
    gets a value-level IETEST entry (where IETESTCD = the code) pointing at comment ``COM.TI.<IETESTCD>``
    with the full text; the comments are added to the registry.  Without it the full texts stay in
    study.yaml only.
    """
    records = criterion_records(study)
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "full_text"} for r in records],
                         columns=COLUMNS[2:])
    add_identifiers(frame, study, "TI")
    frame, dataset = finish("TI", frame, KEYS, {})
    if comments is None:
        return frame, dataset
    ietest = dataset.variable("IETEST")
    for r in records:
        if r["full_text"]:
            comments[f"COM.TI.{r['IETESTCD']}"] = Comment(f"COM.TI.{r['IETESTCD']}", r["full_text"])
            item = Variable(name="IETEST", label=ietest.label, data_type="text", length=len(r["IETEST"]),
                            origin=Origin("Protocol", "Sponsor"), comment=f"COM.TI.{r['IETESTCD']}")
            dataset.value_level.append(ValueLevel("IETEST", (WhereCondition("TI", "IETESTCD", "EQ",
                                                                             (r["IETESTCD"],)),), item))
    if dataset.value_level:
        ietest.value_list = "VL.TI.IETEST"
    return frame, dataset
