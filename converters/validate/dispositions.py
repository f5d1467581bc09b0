"""Dispositions: the study team's recorded explanations of findings, kept in the study folder.

File ``validation-dispositions.yaml`` (in the folder validated, or given by ``--dispositions``)::

    dispositions:
      - rule: CT0002            # required: our rule ID
        dataset: AE             # optional: one dataset (omit for every dataset)
        variable: AEACN         # optional: the finding's variable
        usubjid: STUDY-001-002  # optional: one subject
        seq: 3                  # optional: one record by --SEQ (with usubjid)
        record: 12              # optional: one record by row number in the dataset
        value: "DOSE DELAYED"   # optional: text the finding's values contain
        reason: Sponsor extension documented in the define (CL.ACN)   # required
        by: J. Smith            # who decided (required)
        date: 2026-03-01        # when (optional)

A finding is explained when every field given in one entry matches it.  Entries that
match nothing are listed as stale in the reports, so the file does not rot.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from converters.errors import Location, SpecError

FILE_NAME = "validation-dispositions.yaml"
_MATCH_FIELDS = ("rule", "dataset", "variable", "usubjid", "seq", "record", "value")
_ALLOWED = set(_MATCH_FIELDS) | {"reason", "by", "date"}


@dataclass(frozen=True)
class Disposition:
    rule: str
    reason: str
    by: str
    dataset: str | None = None
    variable: str | None = None
    usubjid: str | None = None
    seq: str | None = None
    record: int | None = None
    value: str | None = None
    date: str | None = None
    line: int | None = None


def find_dispositions(folder: Path | None, explicit: str | Path | None = None) -> Path | None:
    """The dispositions file to use: ``explicit`` if given, else the folder's file if it exists."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SpecError("dispositions file not found", where=Location(file=str(path)),
                            hint=f"create it (see docs/validation.md) or leave out --dispositions to use "
                                 f"<folder>/{FILE_NAME}")
        return path
    if folder is not None and (folder / FILE_NAME).is_file():
        return folder / FILE_NAME
    return None


def load_dispositions(path: str | Path, known_rules: set[str] | None = None) -> list[Disposition]:
    """Read and check a dispositions file; SpecError naming file and line for anything wrong."""
    import yaml

    from converters.spec.yaml_lines import check_yaml_expansion, read_yaml_source

    source = Path(path)
    try:
        text = read_yaml_source(source)
    except OSError as exc:
        raise SpecError(f"cannot read the dispositions file: {exc.strerror or exc}", where=Location(file=str(source)),
                        hint="check the path and the file's permissions") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        check_yaml_expansion(node, str(source))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"dispositions file is not valid YAML: {getattr(exc, 'problem', exc)}",
                        where=Location(file=str(source), line=mark.line + 1 if mark else None)) from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("dispositions", []), list):
        raise SpecError("dispositions file must hold a mapping with a 'dispositions' list",
                        where=Location(file=str(source), line=1), hint="see docs/validation.md for the format")
    lines = _entry_lines(node)
    out = []
    for i, entry in enumerate(data.get("dispositions") or []):
        line = lines[i] if i < len(lines) else None
        where = Location(file=str(source), line=line)
        if not isinstance(entry, dict):
            raise SpecError("each disposition must be a mapping of fields", where=where)
        unknown = set(entry) - _ALLOWED
        if unknown:
            raise SpecError(f"unknown field(s) {', '.join(sorted(unknown))} in disposition", where=where,
                            hint=f"fields: {', '.join(sorted(_ALLOWED))}")
        for required in ("rule", "reason", "by"):
            if not str(entry.get(required) or "").strip():
                raise SpecError(f"disposition lacks '{required}'", where=where,
                                hint="every disposition names the rule, the reason and who decided")
        rule_id = str(entry["rule"]).strip().upper()
        if known_rules is not None and rule_id not in known_rules:
            raise SpecError(f"disposition names unknown rule {rule_id}", where=where,
                            hint="rule IDs are listed in docs/rules.md")
        text_or_none = {k: (str(entry[k]).strip() if entry.get(k) not in (None, "") else None)
                        for k in ("dataset", "variable", "usubjid", "seq", "value", "date")}
        if text_or_none["dataset"]:
            text_or_none["dataset"] = text_or_none["dataset"].upper()
        record = entry.get("record")
        out.append(Disposition(rule=rule_id, reason=str(entry["reason"]).strip(), by=str(entry["by"]).strip(),
                               record=int(record) if record not in (None, "") else None, line=line,
                               **text_or_none))
    return out


def _entry_lines(node) -> list[int]:
    try:
        for key, value in node.value:
            if key.value == "dispositions":
                return [item.start_mark.line + 1 for item in value.value]
    except (AttributeError, TypeError):
        pass
    return []


def _names_include(names: pd.Series, name: str) -> pd.Series:
    """Rows whose comma-separated list of variable names includes ``name`` (each distinct list split once)."""
    hit = {text: isinstance(text, str) and name in text.split(", ") for text in names.unique()}
    return names.map(hit).astype(bool)


def apply_dispositions(findings: pd.DataFrame, entries: list[Disposition]) -> tuple[pd.DataFrame, list[Disposition]]:
    """Mark findings explained (with reason, by, date); return them and the entries that matched nothing."""
    out = findings.copy()
    out["explained"] = False
    out["reason"] = ""
    out["by"] = ""
    stale = []
    for entry in entries:
        mask = out["rule"].eq(entry.rule) & ~out["explained"]
        if entry.dataset and entry.dataset != "*":
            mask &= out["dataset"].eq(entry.dataset)
        if entry.variable:
            mask &= _names_include(out["variable"], entry.variable)
        if entry.usubjid:
            mask &= out["usubjid"].astype(str).eq(entry.usubjid)
        if entry.seq:
            mask &= out["seq"].astype(str).eq(entry.seq)
        if entry.record is not None:
            mask &= out["record"].eq(entry.record).fillna(False).astype(bool)
        if entry.value:
            mask &= out["values"].astype(str).str.contains(entry.value, regex=False)
        matched_any = bool(mask.any()) or bool((out["rule"].eq(entry.rule) & out["reason"].eq(entry.reason)).any())
        if not matched_any:
            stale.append(entry)
            continue
        out.loc[mask, "explained"] = True
        out.loc[mask, "reason"] = entry.reason
        out.loc[mask, "by"] = entry.by + (f" ({entry.date})" if entry.date else "")
    return out, stale


def finding_keys(findings: pd.DataFrame, cols: list[str] | None = None) -> pd.Series:
    """A stable identity for each finding across runs (rule, dataset, variable, subject, seq, values, or ``cols``)."""
    cols = cols or ["rule", "dataset", "variable", "usubjid", "seq", "values"]
    parts = [findings[c].fillna("").astype(str) for c in cols]
    return parts[0].str.cat(parts[1:], sep="|")  # type: ignore[arg-type]  # pandas-stubs: cat() takes a list of Series


def mark_new(findings: pd.DataFrame, previous: Path | None) -> pd.DataFrame:
    """Add ``new``: True for findings absent from the previous run's findings (all True without one).

    ``previous`` is that run's ``findings.csv`` (read with the C parser, fast for large reports),
    its ``findings.json``, or the report folder holding either.
    """
    import json

    out = findings.copy()
    out["new"] = True
    if previous is not None and previous.is_dir():
        candidates = [previous / "findings.csv", previous / "findings.json"]
        previous = next((c for c in candidates if c.is_file()), None)
    if previous is None or not previous.is_file():
        return out
    cols = ["rule", "dataset", "variable", "usubjid", "seq", "values"]
    try:
        if previous.suffix.lower() == ".csv":
            old = pd.read_csv(previous, dtype=str, keep_default_na=False, usecols=lambda c: c in cols)
        else:
            old = pd.DataFrame(json.loads(previous.read_text(encoding="utf-8")).get("findings", []))
    except (OSError, ValueError):
        return out
    if old.empty or not set(cols) <= set(old.columns):
        return out
    if "count" in old.columns:  # a grouped findings.json names only a problem's first records: compare problems
        problem = ["rule", "dataset", "variable", "values"]
        out["new"] = ~finding_keys(out, problem).isin(set(finding_keys(old.fillna(""), problem)))
        return out
    out["new"] = ~finding_keys(out).isin(set(finding_keys(old.fillna(""))))
    return out
