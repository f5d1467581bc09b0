"""Validator at scale: DM with 2,000 subjects and AE with 50,000 records (XPT), whole-process time and peak RSS.

    python benchmarks/validate_scale.py [--subjects 2000] [--ae 50000] [--out /tmp/validate-scale]
    python benchmarks/validate_scale.py --folder out/cll1-aml/sdtm --dispositions mappings/cll1-aml/validation-dispositions.yaml

Builds the folder once (seeded, deterministic), then runs ``cdisc-convert validate`` on it in a
fresh process three times and reports wall time and peak resident memory of that process.
The reference point (issue "Conformance validator"): CDISC CORE 0.17.1 needs about 115 s and
3 GB for the same size on a 2-core machine; the target here is under 3 s and 500 MB.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STUDYID = "BENCH01"


def build_folder(out: Path, subjects: int, ae_records: int, seed: int = 20260301) -> Path:
    """Write DM, AE (and small TA/TE/TS/SV) as XPT v5 into ``out`` with realistic values and a few defects."""
    from converters.validate.data import infer_metadata
    from converters.writers.xpt import write_xpt

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = [f"{STUDYID}-{i:05d}" for i in range(1, subjects + 1)]
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, subjects), unit="D")
    dm = pd.DataFrame({
        "STUDYID": STUDYID, "DOMAIN": "DM", "USUBJID": ids, "SUBJID": [i[-5:] for i in ids],
        "RFSTDTC": start.strftime("%Y-%m-%d"), "RFENDTC": (start + pd.Timedelta(days=180)).strftime("%Y-%m-%d"),
        "RFXSTDTC": start.strftime("%Y-%m-%d"), "RFXENDTC": (start + pd.Timedelta(days=170)).strftime("%Y-%m-%d"),
        "RFICDTC": (start - pd.Timedelta(days=7)).strftime("%Y-%m-%d"),
        "RFPENDTC": (start + pd.Timedelta(days=200)).strftime("%Y-%m-%d"), "DTHDTC": "", "DTHFL": "",
        "SITEID": [f"{s:03d}" for s in rng.integers(1, 40, subjects)], "AGE": rng.integers(18, 85, subjects),
        "AGEU": "YEARS", "SEX": rng.choice(["M", "F"], subjects), "RACE": rng.choice(
            ["WHITE", "ASIAN", "BLACK OR AFRICAN AMERICAN"], subjects),
        "ARMCD": "A", "ARM": "Drug A", "ACTARMCD": "A", "ACTARM": "Drug A", "ARMNRS": "", "ACTARMUD": "",
        "COUNTRY": "USA"})
    dm["AGE"] = dm["AGE"].astype("float64")
    subj = rng.integers(0, subjects, ae_records)
    subj.sort()
    offset = rng.integers(-10, 170, ae_records)
    ae_start = start[subj] + pd.to_timedelta(offset, unit="D")
    ae_end = ae_start + pd.to_timedelta(rng.integers(0, 20, ae_records), unit="D")
    terms = np.array(["HEADACHE", "NAUSEA", "FATIGUE", "RASH", "DIARRHOEA", "PYREXIA", "COUGH", "ANAEMIA"])
    decod = np.array(["Headache", "Nausea", "Fatigue", "Rash", "Diarrhoea", "Pyrexia", "Cough", "Anaemia"])
    pick = rng.integers(0, len(terms), ae_records)
    day = lambda d: np.where(d >= 0, d + 1, d).astype("float64")  # noqa: E731
    ae = pd.DataFrame({
        "STUDYID": STUDYID, "DOMAIN": "AE", "USUBJID": np.array(ids)[subj],
        "AESEQ": (pd.Series(subj).groupby(subj).cumcount() + 1).astype("float64").to_numpy(),
        "AETERM": terms[pick], "AEDECOD": decod[pick], "AEBODSYS": "", "AESEV": rng.choice(
            ["MILD", "MODERATE", "SEVERE"], ae_records), "AESER": "N", "AEACN": "DOSE NOT CHANGED",
        "AEREL": rng.choice(["RELATED", "NOT RELATED"], ae_records), "AEOUT": "RECOVERED/RESOLVED",
        "EPOCH": "TREATMENT", "AESTDTC": ae_start.strftime("%Y-%m-%d"), "AEENDTC": ae_end.strftime("%Y-%m-%d"),
        "AESTDY": day((ae_start - start[subj]).days.to_numpy()),
        "AEENDY": day((ae_end - start[subj]).days.to_numpy())})
    # a few realistic defects so the reports have something to say
    ae.loc[ae.index[::997], "AESEV"] = "Mild"
    ae.loc[ae.index[::1999], "AESTDTC"] = "2025-02-30"
    ta = pd.DataFrame({"STUDYID": STUDYID, "DOMAIN": "TA", "ARMCD": "A", "ARM": "Drug A", "TAETORD": [1.0, 2.0],
                       "ETCD": ["SCRN", "TRT"], "ELEMENT": ["Screening", "Drug A"], "TABRANCH": "", "TATRANS": "",
                       "EPOCH": ["SCREENING", "TREATMENT"]})
    te = pd.DataFrame({"STUDYID": STUDYID, "DOMAIN": "TE", "ETCD": ["SCRN", "TRT"], "ELEMENT": ["Screening", "Drug A"],
                       "TESTRL": ["Informed consent", "First dose"]})
    ts = pd.DataFrame({"STUDYID": STUDYID, "DOMAIN": "TS", "TSSEQ": [1.0], "TSPARMCD": ["SSTDTC"],
                       "TSPARM": ["Study Start Date"], "TSVAL": ["2025-01-01"], "TSVALCD": [""], "TSVCDREF": [""],
                       "TSVCDVER": [""]})
    for name, frame in (("DM", dm), ("AE", ae), ("TA", ta), ("TE", te), ("TS", ts)):
        meta = infer_metadata(name, frame)
        for var in meta.variables:
            if var.data_type == "float":
                var.data_type = "integer"
        write_xpt(frame, meta, out / f"{name.lower()}.xpt")
    return out


def measure(folder: Path, runs: int = 3, root: Path = ROOT, extra: tuple[str, ...] = ()) -> list[tuple[float, float, float]]:
    """(wall seconds, peak RSS MB, CPU seconds) of ``cdisc-convert validate`` in a fresh process, per run.

    CPU seconds (user + system) say more than wall time on a machine shared with other jobs.  ``root`` is the
    checkout whose code runs (another one to compare two versions on the same folder).
    """
    results = []
    exe = [sys.executable, "-m", "converters.cli", "validate", str(folder), "--fail-on", "never",
           "--report-dir", str(folder.parent / f"{folder.name}-bench-reports"), *extra]
    for _ in range(runs):
        probe = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
                 "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
                 "u=resource.getrusage(resource.RUSAGE_CHILDREN); "
                 "print(time.perf_counter()-t, u.ru_maxrss, u.ru_utime+u.ru_stime)")
        out = subprocess.run([sys.executable, "-c", probe, *exe], capture_output=True, text=True, check=True,
                             cwd=root, env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)})
        seconds, rss_kb, cpu = out.stdout.split()
        results.append((float(seconds), int(rss_kb) / 1024, float(cpu)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--ae", type=int, default=50000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/validate-scale"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to run (default: this one)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="validate this SDTM folder as `run` does (its define.xml if present) instead of building one")
    parser.add_argument("--dispositions", type=Path, default=None, help="with --folder: the study's dispositions")
    args = parser.parse_args()
    if args.folder is not None:
        extra: tuple[str, ...] = ()
        if (args.folder / "define.xml").is_file():
            extra += ("--define", str(args.folder / "define.xml"))
        if args.dispositions is not None:
            extra += ("--dispositions", str(args.dispositions))
        records = sum(p.stat().st_size for p in args.folder.glob("*.xpt")) / 1e6
        print(f"validating {args.folder} ({records:.0f} MB of XPT) as `run` does")
        for i, (seconds, rss, cpu) in enumerate(measure(args.folder, args.runs, args.root, extra), start=1):
            print(f"run {i}: {seconds:.2f} s, peak RSS {rss:.0f} MB, CPU {cpu:.2f} s, load {os.getloadavg()[0]:.1f}")
        return
    folder = args.out / "sdtm"
    started = time.perf_counter()
    build_folder(folder, args.subjects, args.ae)
    print(f"built DM {args.subjects} subjects + AE {args.ae} records in {time.perf_counter() - started:.1f} s "
          f"({sum(p.stat().st_size for p in folder.iterdir()) / 1e6:.1f} MB of XPT)")
    for i, (seconds, rss, cpu) in enumerate(measure(folder, args.runs, args.root), start=1):
        print(f"run {i}: {seconds:.2f} s, peak RSS {rss:.0f} MB, CPU {cpu:.2f} s, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
