"""Conformance validation of SDTM (and ADaM) datasets against SDTMIG 3.4, ADaMIG 1.3, CDISC CT and a define.

    from converters.validate import validate_folder
    result = validate_folder("out/sdtm")          # reads every XPT/Dataset-JSON once
    result.findings                               # one row per finding
    result.counts()                               # per rule and dataset

Rules live in ``rules_*.py`` by family; each has an ID, severity, message, citation and
CORE/FDA counterparts (see docs/rules.md, generated from the catalog).
"""
from __future__ import annotations

from pathlib import Path

from converters.validate.engine import ValidationResult, run_rules
from converters.validate.model import SEVERITIES, SEVERITY_RANK, Rule

__all__ = ["SEVERITIES", "Rule", "ValidationResult", "validate_folder", "validate_study", "unexplained_at"]


#: A dataset whose frame takes more bytes than this is released once read and after its rules, and read again
#: when a rule asks for it: a large study is held one large dataset at a time (see docs/validation.md).  At
#: 50,000 subjects of study B that is LB and VS; at 10,000 none.  A plain XPT v5 file of more bytes than this is
#: not read whole at load at all: its header and DOMAIN only, the rest when a rule first asks (read once).
RELEASE_OVER = 96 * 2**20


def validate_study(study, *, dispositions: Path | None = None, previous: Path | None = None,
                   select: list[str] | None = None, strict: bool = False) -> ValidationResult:
    """Run the catalog on an already loaded StudyData, apply dispositions and mark new findings."""
    from converters.validate.catalog import REGISTRY, rules_for
    from converters.validate.dispositions import apply_dispositions, load_dispositions, mark_new

    rules = rules_for(study.standard, with_define=study.define is not None, select=select)
    result = run_rules(study, rules, strict=strict)
    entries = load_dispositions(dispositions, set(REGISTRY)) if dispositions else []
    findings, stale = apply_dispositions(result.findings, entries)
    findings = mark_new(findings, previous)
    findings["_rank"] = findings["severity"].map(SEVERITY_RANK)
    findings = findings.sort_values(["explained", "new", "_rank"], ascending=[True, False, True],
                                    kind="stable").drop(columns="_rank").reset_index(drop=True)
    result.findings = findings
    result.stale_dispositions = stale
    result.dispositions_file = dispositions
    return result


def validate_folder(folder: str | Path, *, standard: str | None = None, define: str | Path | None = None,
                    dispositions: str | Path | None = None, previous: Path | None = None,
                    select: list[str] | None = None, encoding: str = "auto") -> ValidationResult:
    """Validate every dataset of ``folder``; dispositions from ``validation-dispositions.yaml`` there by default.

    ``encoding``: text encoding of the XPT files (``auto`` detects UTF-8, cp1252 or Latin-1 per file).
    """
    from converters.validate.data import load_folder
    from converters.validate.dispositions import find_dispositions

    study = load_folder(folder, standard, encoding, codes=True, release_over=RELEASE_OVER)
    if define:
        from converters.validate.define_reader import read_define

        from converters.validate.define_keys import read_define_keys

        study.define = read_define(define)
        study.define_keys = read_define_keys(define)
    path = find_dispositions(study.folder, dispositions)
    return validate_study(study, dispositions=path, previous=previous, select=select)


def unexplained_at(result: ValidationResult, level: str) -> int:
    """Number of unexplained findings at ``level`` (Error, Warning, Notice) or worse."""
    if level.lower() == "never" or result.findings.empty:
        return 0
    limit = SEVERITY_RANK[level.capitalize()]
    f = result.findings
    return int((f["severity"].map(SEVERITY_RANK).le(limit) & ~f["explained"].astype(bool)).sum())
