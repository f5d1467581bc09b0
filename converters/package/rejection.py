"""FDA Study Data Technical Rejection Criteria (eCTD validation rules 1734 and 1736), checked on a package.

- **1734**: the SDTM Trial Summary dataset ``ts.xpt`` is present in ``tabulations/sdtm`` and has a record with
  ``TSPARMCD = SSTDTC`` whose ``TSVAL`` is a complete ISO 8601 date (``YYYY-MM-DD``; a date-time's date part
  counts, a partial date does not).
- **1736**: ``dm.xpt`` and ``define.xml`` are present in ``tabulations/sdtm``, and, when the package holds ADaM
  data (or ADaM was expected), ``adsl.xpt`` and ``define.xml`` in ``analysis/adam/datasets``, under exactly those
  names (lower case; ``dm_final.xpt`` or ``DM.XPT`` do not count).

The criteria name XPT files. A package written only as Dataset-JSON (``--format json``) is checked for
``ts.json``, ``dm.json`` and ``adsl.json`` instead, and every result says so: FDA does not yet accept such a package.

A criterion that depends on a stage this installation does not have (``define.xml`` without the define stage,
``adsl.xpt`` without the ADaM stage) is reported with status ``pending`` rather than ``pass``/``fail``, so the
summary is honest about a package that FDA would still reject.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from converters.errors import CdiscConvertError, Location
from converters.package.layout import PackageLayout

_COMPLETE_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T.*)?$")
RULES = {
    "1734": "TS dataset (ts.xpt) with a complete study start date (TSPARMCD SSTDTC) must be present",
    "1736": "DM dataset (dm.xpt), ADSL dataset (adsl.xpt) and define.xml must be present",
}


@dataclass(frozen=True)
class RejectionCheck:
    """The result of one criterion on one file: status ``pass``, ``fail`` or ``pending``."""

    rule: str
    status: str
    file: str  # package-relative path the criterion is about
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "status": self.status, "file": self.file, "message": self.message}


class RejectionCriteriaError(CdiscConvertError):
    """The package would be rejected by FDA's technical rejection criteria; nothing was written."""

    def __init__(self, failures: list[RejectionCheck]) -> None:
        lines = "; ".join(f"rule {f.rule}: {f.message}" for f in failures)
        super().__init__(f"FDA technical rejection criteria fail: {lines}", Location(failures[0].file),
                         hint="fix the study definition or the stage that writes the file; the previous package, "
                              "if any, is left as it was")
        self.failures = failures


def _date_ok(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not _COMPLETE_DATE.match(text):
        return False
    from datetime import date

    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _read(path: Path):
    if path.suffix == ".xpt":
        from converters.readers.xpt import read_xpt

        return read_xpt(path)[0]
    from converters.readers.dataset_json import read_dataset_json

    return read_dataset_json(path)[0]


def check_study_start(ts_file: Path, layout: PackageLayout) -> RejectionCheck:
    """Rule 1734 on one TS file."""
    rel = layout.relative(ts_file)
    if not ts_file.is_file():
        return RejectionCheck("1734", "fail", rel, f"{rel} is missing (the Trial Summary dataset must be submitted)")
    try:
        frame = _read(ts_file)
    except CdiscConvertError as exc:
        return RejectionCheck("1734", "fail", rel, f"{rel} cannot be read: {exc}")
    if "TSPARMCD" not in frame or "TSVAL" not in frame:
        return RejectionCheck("1734", "fail", rel, f"{rel} has no TSPARMCD/TSVAL variables")
    values = frame.loc[frame["TSPARMCD"].astype(str).str.strip().eq("SSTDTC"), "TSVAL"]
    if values.empty:
        return RejectionCheck("1734", "fail", rel, f"{rel} has no TSPARMCD SSTDTC record (study start date)")
    good = [v for v in values if _date_ok(v)]
    if not good:
        shown = ", ".join(repr(v) for v in values.tolist()[:3])
        return RejectionCheck("1734", "fail", rel,
                              f"{rel} TSPARMCD SSTDTC has TSVAL {shown}, not a complete ISO 8601 date (YYYY-MM-DD)")
    return RejectionCheck("1734", "pass", rel, f"SSTDTC = {good[0].strip()}")


def _present(rule: str, path: Path, layout: PackageLayout, what: str, pending: str | None,
             note: str = "") -> RejectionCheck:
    rel = layout.relative(path)
    if path.is_file():
        return RejectionCheck(rule, "pass", rel, f"{what} present{note}")
    if pending:
        return RejectionCheck(rule, "pending", rel, f"not written yet: {pending}")
    return RejectionCheck(rule, "fail", rel,
                          f"{rel} is missing ({what} must be submitted under exactly this name){note}")


def check_rejection_criteria(layout: PackageLayout, *, formats: tuple[str, ...] = ("xpt",),
                             expect_adam: bool = False, define_pending: str | None = None,
                             adam_pending: str | None = None) -> list[RejectionCheck]:
    """Check rules 1734 and 1736 on the package under ``layout.root``; every result, passed or not.

    ``expect_adam``: ADaM is part of this package (a run whose ADaM stage is enabled); a package that already
    holds an ``analysis/adam/datasets`` folder is checked for ADSL and its define in any case.
    ``define_pending`` / ``adam_pending``: why a missing define.xml / adsl file cannot be there yet (the stage
    that writes it is not installed); such a gap is ``pending``, not ``fail``.
    """
    ext = "xpt" if "xpt" in formats else "json"
    note = "" if ext == "xpt" else " (Dataset-JSON package: FDA's criteria name .xpt files)"
    checks = [check_study_start(layout.tabulations / f"ts.{ext}", layout)]
    checks.append(_present("1736", layout.tabulations / f"dm.{ext}", layout, "SDTM Demographics", None, note))
    checks.append(_present("1736", layout.tabulations / "define.xml", layout, "SDTM define.xml", define_pending))
    if expect_adam or layout.analysis.is_dir():
        checks.append(_present("1736", layout.analysis / f"adsl.{ext}", layout, "ADaM ADSL", None, note))
        checks.append(_present("1736", layout.analysis / "define.xml", layout, "ADaM define.xml", define_pending))
    elif adam_pending:
        checks.append(_present("1736", layout.analysis / f"adsl.{ext}", layout, "ADaM ADSL", adam_pending))
        checks.append(_present("1736", layout.analysis / "define.xml", layout, "ADaM define.xml", adam_pending))
    return checks


def failures(checks: list[RejectionCheck]) -> list[RejectionCheck]:
    return [c for c in checks if c.status == "fail"]
