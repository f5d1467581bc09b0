"""Time the transport writers on a large LB-like frame: our XPT v5 and Dataset-JSON writers against pyreadstat.

Each measurement runs in a fresh process that builds the same seeded frame (a laboratory-results
domain, ``--records`` records per subject, 19 variables: identifiers, test codes and names, units,
results as text and numbers, visits, ISO 8601 dates and a free-text comment with many distinct
values), then resets the process's peak-memory mark (``/proc/self/clear_refs``) and times one write.
It reports wall and CPU seconds of the write, the peak resident memory of the process during the
write (frame included) and the part of it above the resident memory before the write, medians of
``--runs`` runs.  Writers:

* ``xpt``: :func:`converters.writers.xpt.write_xpt` (checks and bytes, the numpy writer);
* ``xpt-pyreadstat``: :func:`~converters.writers.xpt.check_xpt`, then pyreadstat 1.3.7 ``write_xport``
  on the approved frame (the byte writer used before, without the header fixes it needed);
* ``pyreadstat-only``: ``write_xport`` alone on the approved frame (checks not timed);
* ``json`` and ``ndjson``: :func:`converters.writers.dataset_json.write_dataset_json`;
* ``xpt+json``: both files of the frame with the text facts shared, as a build writes them.

``--code DIR`` imports ``converters`` from another source tree first (for instance an older commit
unpacked with ``git archive``), to measure the writers as they were.

The machine is shared: keep ``--subjects`` at 10,000 or less (600,000 records with the default
60 records per subject; a full run of all writers takes two to three minutes).

    python benchmarks/writers_scale.py [--subjects 10000] [--records 60] [--runs 3] [--writers xpt json ...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITERS = ("xpt", "xpt-pyreadstat", "pyreadstat-only", "json", "ndjson", "xpt+json")
ROOT = Path(__file__).resolve().parent.parent


def lb_frame(subjects: int, per_subject: int, seed: int = 20261130):  # type: ignore[no-untyped-def]
    """A seeded LB-like frame and its dataset metadata (built with whole-array numpy operations)."""
    import numpy as np
    import pandas as pd

    from converters.metadata.model import Dataset, Variable

    rng = np.random.default_rng(seed)
    tests = [("ALT", "Alanine Aminotransferase", "CHEMISTRY", "U/L", 7, 56),
             ("AST", "Aspartate Aminotransferase", "CHEMISTRY", "U/L", 10, 40),
             ("BILI", "Bilirubin", "CHEMISTRY", "umol/L", 2, 21),
             ("CREAT", "Creatinine", "CHEMISTRY", "umol/L", 53, 115),
             ("HGB", "Hemoglobin", "HEMATOLOGY", "g/L", 120, 175),
             ("PLAT", "Platelets", "HEMATOLOGY", "10^9/L", 150, 400),
             ("WBC", "Leukocytes", "HEMATOLOGY", "10^9/L", 4, 11),
             ("NEUT", "Neutrophils", "HEMATOLOGY", "10^9/L", 2, 7.5),
             ("CRP", "C Reactive Protein", "CHEMISTRY", "mg/L", 0, 10),
             ("IL6", "Interleukin 6", "CYTOKINES", "pg/mL", 0, 7)]
    n = subjects * per_subject
    subject = np.repeat(np.arange(subjects), per_subject)
    test = rng.integers(0, len(tests), n)
    visit = np.tile(np.arange(per_subject) // len(tests), subjects)
    low = np.array([t[4] for t in tests], dtype=float)[test]
    high = np.array([t[5] for t in tests], dtype=float)[test]
    value = np.round(rng.normal((low + high) / 2, (high - low) / 3), 2)
    value[rng.random(n) < 0.03] = np.nan
    text = pd.Series(value).map("{:g}".format)
    text[np.isnan(value)] = None
    indicator = np.where(value < low, "LOW", np.where(value > high, "HIGH", "NORMAL")).astype(object)
    indicator[np.isnan(value)] = None
    days = visit * 7 + rng.integers(-1, 2, n)
    dates = (pd.Timestamp("2025-01-06") + pd.to_timedelta(subject % 365 + days, unit="D")).strftime("%Y-%m-%d")
    comments = np.array([None] * n, dtype=object)
    commented = rng.random(n) < 0.05
    comments[commented] = [f"Sample {i} haemolysed; repeat drawn at the next visit per protocol section 8.2"
                           for i in rng.integers(0, n, int(commented.sum()))]
    frame = pd.DataFrame({
        "STUDYID": "CLL1-AML",
        "DOMAIN": "LB",
        "USUBJID": pd.Series(subject).map("CLL1-AML-{:06d}".format),
        "LBSEQ": (np.arange(n) % per_subject + 1).astype(float),
        "LBTESTCD": np.array([t[0] for t in tests], dtype=object)[test],
        "LBTEST": np.array([t[1] for t in tests], dtype=object)[test],
        "LBCAT": np.array([t[2] for t in tests], dtype=object)[test],
        "LBORRES": text,
        "LBORRESU": np.array([t[3] for t in tests], dtype=object)[test],
        "LBSTRESC": text,
        "LBSTRESN": value,
        "LBSTRESU": np.array([t[3] for t in tests], dtype=object)[test],
        "LBNRIND": indicator,
        "LBBLFL": np.where(visit == 0, "Y", None).astype(object),
        "VISITNUM": (visit + 1).astype(float),
        "VISIT": pd.Series(visit + 1).map("WEEK {}".format),
        "LBDTC": dates,
        "LBDY": (days + 1).astype(float),
        "LBCOMM": comments,
    })
    text_vars = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    dataset = Dataset(name="LB", label="Laboratory Test Results", variables=[
        Variable(c, f"{c} label", "text" if c in text_vars else ("float" if c == "LBSTRESN" else "integer"))
        for c in frame.columns])
    return frame, dataset


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(writer: str, subjects: int, per_subject: int, folder: Path) -> dict[str, float]:
    """Build the frame, then time one write in this process; seconds and MB."""
    import gc

    frame, dataset = lb_frame(subjects, per_subject)
    from converters.writers.dataset_json import write_dataset_json
    from converters.writers.xpt import check_xpt, write_xpt

    prepared = None
    if writer == "pyreadstat-only":
        prepared = check_xpt(frame, dataset)
        prepared_frame = prepared.frame
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak mark to the current RSS
    except OSError:
        pass
    before = _rss_kib("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    oids = {"study_oid": "CLL1-AML", "metadata_version_oid": "MDV.CLL1-AML.SDTMIG.3.4"}
    if writer == "xpt":
        write_xpt(frame, dataset, folder / "lb.xpt")
    elif writer in ("xpt-pyreadstat", "pyreadstat-only"):
        import pyreadstat

        plan = prepared or check_xpt(frame, dataset)
        data = prepared_frame if prepared is not None else plan.frame
        pyreadstat.write_xport(data, str(folder / "lb.xpt"), file_label=dataset.label, column_labels=plan.labels,
                               table_name=dataset.name, file_format_version=5, variable_format=plan.formats or None)
    elif writer in ("json", "ndjson"):
        write_dataset_json(frame, dataset, folder / f"lb.{writer}", **oids)
    elif writer == "xpt+json":
        try:
            from converters.writers.text_facts import dataset_text_facts
            facts = dataset_text_facts(frame, dataset)
            write_xpt(frame, dataset, folder / "lb.xpt", facts=facts)
            write_dataset_json(frame, dataset, folder / "lb.json", facts=facts, **oids)
        except ImportError:  # code from before the text facts: the writers measure on their own
            write_xpt(frame, dataset, folder / "lb.xpt")
            write_dataset_json(frame, dataset, folder / "lb.json", **oids)
    else:
        raise SystemExit(f"unknown writer {writer}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(p.stat().st_size for p in folder.iterdir())
    return {"records": len(frame), "wall": wall, "cpu": cpu, "peak_mb": peak / 1024,
            "above_mb": (peak - before) / 1024, "before_mb": before / 1024, "file_mb": size / 1e6}


def run_child(writer: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="writers-scale-") as folder:
        env = dict(os.environ)
        paths = [str(args.code)] if args.code else []
        env["PYTHONPATH"] = os.pathsep.join(paths + [str(ROOT)] + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        out = subprocess.run([sys.executable, __file__, "--child", writer, "--subjects", str(args.subjects),
                              "--records", str(args.records), "--folder", folder],
                             check=True, capture_output=True, text=True, env=env)
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=60, help="records per subject")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writers", nargs="+", default=list(WRITERS), choices=WRITERS)
    parser.add_argument("--code", type=Path, help="source tree to import converters from (default: this checkout)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.subjects, args.records, args.folder)))
        return
    if args.subjects > 10_000:
        print("note: the machine is shared; the documented runs keep to 10,000 subjects", file=sys.stderr)
    rows = ["| Writer | Records | File MB | Wall s | CPU s | Peak RSS MB | Above frame MB |",
            "|---|---|---|---|---|---|---|"]
    for writer in args.writers:
        runs = [run_child(writer, args) for _ in range(args.runs)]
        med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        rows.append(f"| {writer} | {int(med['records']):,} | {med['file_mb']:.0f} | {med['wall']:.2f} | "
                    f"{med['cpu']:.2f} | {med['peak_mb']:.0f} | {med['above_mb']:.0f} |")
        print(rows[-1], flush=True)
    load = os.getloadavg()
    text = "\n".join(rows) + f"\n\nload average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
