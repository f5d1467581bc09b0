"""Run the rule catalog over a study's datasets and gather the findings in one frame."""
from __future__ import annotations

import fnmatch
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from converters.memory import release_free_memory
from converters.validate.data import DatasetData, StudyData
from converters.validate.model import SEVERITY_RANK, Hits, Rule, version_key

FINDING_COLUMNS = ["rule", "severity", "dataset", "variable", "record", "usubjid", "seq", "values", "message"]


@dataclass
class ValidationResult:
    """Findings (one row each), the rules that ran, and how long each took."""

    findings: pd.DataFrame
    rules: list[Rule]
    timings: dict[str, float] = field(default_factory=dict)
    rule_errors: dict[str, str] = field(default_factory=dict)
    rule_tracebacks: dict[str, str] = field(default_factory=dict)  # rule ID -> traceback of the error
    study: StudyData | None = None
    stale_dispositions: list = field(default_factory=list)
    dispositions_file: object | None = None
    #: derived views of ``findings`` (the report's groups), kept with the findings they were made from
    cache: dict[str, object] = field(default_factory=dict, repr=False)

    def counts(self) -> pd.DataFrame:
        """One row per rule and dataset: severity, count, explained count."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(columns=["rule", "severity", "dataset", "count", "explained"])
        explained = f["explained"] if "explained" in f.columns else pd.Series(False, index=f.index)
        grouped = (f.assign(explained=explained.astype(int))
                   .groupby(["rule", "severity", "dataset"], sort=False)
                   .agg(count=("rule", "size"), explained=("explained", "sum")).reset_index())
        grouped["rank"] = grouped["severity"].map(SEVERITY_RANK)
        return grouped.sort_values(["rank", "rule", "dataset"]).drop(columns="rank").reset_index(drop=True)


def applicable(rule: Rule, ds: DatasetData, standard: str) -> bool:
    """Whether a dataset-level rule runs on ``ds``."""
    is_adam = ds.name.startswith("AD")
    if rule.standard == "any":
        pass
    elif rule.standard == "adamig" and not is_adam:
        return False
    if rule.standard == "sdtmig" and (is_adam or standard.startswith("adamig")):
        return False
    if not any(_matches(pattern, ds) for pattern in rule.applies_to):
        return False
    return all(ds.has(n) for n in rule.needs)


def _matches(pattern: str, ds: DatasetData) -> bool:
    if pattern.startswith("class:"):
        return dataset_class(ds) == pattern[6:].upper()
    return fnmatch.fnmatchcase(ds.name, pattern)


def dataset_class(ds: DatasetData) -> str:
    """SDTMIG class of the dataset (EVENTS, FINDINGS, INTERVENTIONS, ...); '' for unknown domains."""
    from converters.standards import sdtmig

    name = ds.name if sdtmig.has_dataset(ds.name) else ds.domain
    if not sdtmig.has_dataset(name):
        return ""
    return sdtmig.dataset(name).dataset_class.upper()


def run_rules(study: StudyData, rules: list[Rule], strict: bool = False) -> ValidationResult:
    """Run every rule on the datasets it applies to; a rule that fails is reported, not fatal (unless ``strict``).

    Dataset by dataset: every dataset-level rule runs on one dataset, then that dataset's views are dropped and
    a frame that can be read again is released (:meth:`DatasetData.release`), so memory holds one large dataset
    and its views at a time; then the study-level rules run.  The order of work (:func:`_work_order`) keeps the
    datasets a rule reads from another held when it can, and a released dataset that a rule has read again is
    checked next, while it is held; one read again after its own turn stays held.  Small frames stay held past
    their turn within :data:`KEEP_BYTES` until RELREC's or a large dataset's turn, so the rules of the datasets
    after them do not read them again.  The findings are gathered rule by rule and dataset by dataset in the
    folder's order, as running one rule after another gives them (a rule that fails on a dataset
    keeps what it found on the datasets before it and nothing after), so the result does not depend on the order
    of work.
    """
    found: dict[tuple[int, int], list[pd.DataFrame]] = defaultdict(list)  # (rule, dataset position) -> batches
    timings: dict[str, float] = defaultdict(float)
    failed: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)  # rule -> dataset position -> (error, tb)

    def attempt(index: int, item: Rule, position: int, ds: DatasetData | None) -> None:
        start = time.perf_counter()
        try:
            if ds is None:
                if not (item.standard == "sdtmig" and study.standard.startswith("adamig")):
                    for hits in item.check(study, None) or ():
                        found[index, position].append(_to_frame(item, study, hits))
            elif applicable(item, ds, study.standard):
                for hits in item.check(study, ds) or ():
                    found[index, position].append(_to_frame(item, study, hits))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others
            if strict:
                raise
            failed[index][position] = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
        timings[item.id] += time.perf_counter() - start

    datasets = list(study.datasets.values())
    order = {p: _work_order(datasets[p], p) for p in range(len(datasets))}
    pending = sorted(range(len(datasets)), key=order.__getitem__)
    kept: list[tuple[DatasetData, int]] = []  # small frames held past their turn (and their bytes), for the rules
    # of the datasets after them
    while pending:
        # a released dataset read again by another dataset's rules is checked next, while it is held
        again = [p for p in pending if datasets[p].reloads and datasets[p].held]
        position = again[0] if again else pending[0]
        pending.remove(position)
        ds = datasets[position]
        if order[position][0] >= 2 and kept:  # RELREC and the large datasets: only tiny frames held from here on
            _release(kept, tiny=True)
        for index, item in enumerate(rules):
            if not item.study_level:
                attempt(index, item, position, ds)
        size = _keep(ds, kept) if order[position][0] < 2 else None
        if size is not None:
            ds._cache.clear()  # its views go; the frame stays for the rules that read it again
            kept.append((ds, size))
        else:
            ds.release()
        release_free_memory()
    _release(kept)
    for index, item in enumerate(rules):
        if item.study_level:
            attempt(index, item, 0, None)
    first_failure = {index: min(by_position) for index, by_position in failed.items()}
    batches = [batch for (index, position) in sorted(found) if position <= first_failure.get(index, position)
               for batch in found[index, position] if len(batch)]
    errors = {rules[i].id: failed[i][first_failure[i]][0] for i in sorted(failed)}
    tracebacks = {rules[i].id: failed[i][first_failure[i]][1] for i in sorted(failed)}
    findings = pd.concat(batches, ignore_index=True) if batches else empty_findings()
    if len(findings):
        findings["_rank"] = findings["severity"].map(SEVERITY_RANK)
        findings = findings.sort_values(["_rank", "rule", "dataset", "record"], kind="stable",
                                        na_position="first").drop(columns="_rank").reset_index(drop=True)
    return ValidationResult(findings=findings, rules=rules, timings=dict(timings), rule_errors=errors,
                            rule_tracebacks=tracebacks, study=study)


#: Bytes of small datasets' frames kept held after their turn (each at most a quarter of it) while the other datasets
#: held since reading are checked: their rules read DM, TS, TA, TV, SV, EX, EC, AE and SUPP-- again (cross-dataset
#: and date rules), which would otherwise read each file again.  All are released before RELREC and the large
#: datasets' turns, so the memory peak, in the large datasets' rules, holds none of them.
KEEP_BYTES = 64 * 2**20


def _keep(ds: DatasetData, kept: list[tuple[DatasetData, int]]) -> int | None:
    """The bytes of ``ds``'s frame when it stays held after its turn within :data:`KEEP_BYTES` (each frame at most
    a quarter of it), else None.  A frame that cannot be read again is held anyway and is not counted."""
    if ds.reload is None or not ds.held:
        return None
    frame = ds.frame
    limit = min(KEEP_BYTES // 4, KEEP_BYTES - sum(size for _ds, size in kept))
    if int(frame.memory_usage(index=False, deep=False).sum()) > limit:
        return None
    size = int(frame.memory_usage(index=False, deep=True).sum())  # with the distinct texts of Categorical columns
    return size if size <= limit else None


#: Frames of at most this many bytes (trial design, TS, a small study's DM or SV; together at most four times it)
#: stay held through the large datasets' turns too, whose date and visit rules read them.
TINY_BYTES = 4 * 2**20


def _release(kept: list[tuple[DatasetData, int]], tiny: bool = False) -> None:
    """Release the frames kept; with ``tiny``, those of at most :data:`TINY_BYTES` stay (in the order kept, up to
    four times that in all)."""
    stay: list[tuple[DatasetData, int]] = []
    for ds, size in kept:
        if tiny and size <= TINY_BYTES and size + sum(s for _d, s in stay) <= 4 * TINY_BYTES:
            stay.append((ds, size))
        else:
            ds.release()
    kept[:] = stay
    release_free_memory()


def _work_order(ds: DatasetData, position: int) -> tuple[int, int]:
    """SUPP-- first (their rules read their parents, still held), then the other datasets held since reading, then
    RELREC (its rules read the large datasets it names, which are then checked next), then the large datasets
    released once read; the folder's order within each."""
    if ds.name.startswith("SUPP") and ds.held:
        return 0, position
    if ds.name == "RELREC":
        return 2, position
    return (1 if ds.held else 3), position


def empty_findings() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
    frame["record"] = frame["record"].astype("Int64")
    return frame


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _to_frame(item: Rule, study: StudyData, hits: Hits) -> pd.DataFrame:
    """Turn one batch of hits into finding rows (values of the named variables at the failing records)."""
    ds = study.get(hits.dataset)
    params = _Defaults(dataset=hits.dataset, variable=hits.variables[0] if hits.variables else "", **hits.params)
    message = item.message.format_map(params)
    if ds is not None and "--" in message:
        message = message.replace("--", ds.prefix)
    severity = item.severity
    since = str(hits.params.get("since") or item.since)
    version = study.ig_version[0]
    if since and version and version_key(version) < version_key(since):
        severity = "Notice"
        message += (f" [version difference: a requirement of SDTMIG {since}; the folder declares SDTMIG {version} "
                    f"({study.ig_version[1]})]")
    variable = ", ".join(hits.variables)
    if hits.rows is None or ds is None:
        return pd.DataFrame({"rule": [item.id], "severity": [severity], "dataset": [hits.dataset],
                             "variable": [variable], "record": pd.array([pd.NA], dtype="Int64"),
                             "usubjid": [""], "seq": [""], "values": [hits.value or ""], "message": [message]})
    rows = np.asarray(hits.rows, dtype=np.int64)
    n = len(rows)
    if n == 0:
        return empty_findings()
    values = _values_text(ds, hits, rows)
    usubjid = ds.text("USUBJID").to_numpy(dtype=object)[rows] if "USUBJID" in ds.frame.columns else np.full(n, "")
    seq_name = _seq_column(ds)
    seq = ds.text(seq_name).to_numpy(dtype=object)[rows] if seq_name else np.full(n, "")
    return pd.DataFrame({
        "rule": np.full(n, item.id, dtype=object), "severity": np.full(n, severity, dtype=object),
        "dataset": np.full(n, hits.dataset, dtype=object), "variable": np.full(n, variable, dtype=object),
        "record": pd.array(rows + 1, dtype="Int64"), "usubjid": usubjid, "seq": seq,
        "values": values, "message": np.full(n, message, dtype=object)})


def _values_text(ds: DatasetData, hits: Hits, rows: np.ndarray) -> np.ndarray:
    """Per failing record, ``NAME=value; ...`` of the variables (and computed extras) that explain the finding.

    The text is built once per distinct combination of values and shared by the records that hold it, so
    a million findings of a few distinct problems hold a few strings, not a million.
    """
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []  # (name, per-record codes, per-record text)
    for name in hits.variables:
        if name in ds.frame.columns:
            parts.append((name, ds.text_codes(name)[rows], ds.text(name).to_numpy(dtype=object)[rows]))
    for name, extra in hits.extra.items():
        arr = np.asarray(extra)
        text = pd.Series(arr).astype(object).where(pd.notna(arr), "").astype(str).to_numpy(dtype=object)
        parts.append((name, pd.factorize(text)[0], text))
    if not parts:
        return np.full(len(rows), "", dtype=object)
    sizes = [int(codes.max()) + 1 if len(codes) else 1 for _n, codes, _t in parts]
    if np.prod(np.asarray(sizes, dtype=float)) < 2**62:  # one integer per combination (mixed radix)
        key = np.zeros(len(rows), dtype=np.int64)
        for (_name, codes, _text), size in zip(parts, sizes):
            key = key * size + codes
    else:
        key = pd.factorize(pd.MultiIndex.from_arrays([codes for _n, codes, _t in parts]))[0]
    group, first = _first_of_groups(key)
    texts = np.array(["; ".join(f"{name}={text[i]}" for name, _codes, text in parts) for i in first], dtype=object)
    return texts[group]


def _first_of_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each element, position of each group's first element), groups in order of first appearance."""
    group, _ = pd.factorize(key)
    return group, np.unique(group, return_index=True)[1]


def _seq_column(ds: DatasetData) -> str | None:
    for name in (ds.var("--SEQ"), "TSSEQ", "ASEQ"):
        if name in ds.frame.columns:
            return name
    return None
