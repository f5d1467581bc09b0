"""``--profile``: time per rule and per dataset read, slowest first."""
from __future__ import annotations

from converters.validate.engine import ValidationResult


def profile_rows(result: ValidationResult) -> tuple[list[tuple], list[tuple]]:
    """(rule, seconds, findings) slowest first, and (dataset, seconds, records) slowest first."""
    counts = result.findings["rule"].value_counts().to_dict() if len(result.findings) else {}
    rules = sorted(((rid, f"{sec:.4f}", counts.get(rid, 0)) for rid, sec in result.timings.items()),
                   key=lambda r: -float(r[1]))
    study = result.study
    loads = sorted(((name, f"{sec:.4f}", len(study.datasets[name])) for name, sec in study.load_seconds.items()),
                   key=lambda r: -float(r[1])) if study else []
    return rules, loads
