"""SDTM engine at scale: ``cdisc-convert sdtm`` on both example studies generated at growing sizes.

    python benchmarks/sdtm_scale.py [--sizes 1000 10000 50000] [--studies carnk-sclc cll1-aml]
                                    [--work /tmp/sdtm-scale] [--markdown FILE]
                                    [--batch-subjects whole 5000 5000:dask] [--engine local|dask]

For each study and size, generates the raw exports (``cdisc-convert generate``, not timed here; see
``generate_scale.py``), then runs ``cdisc-convert sdtm mappings/STUDY --raw DIR/raw --out DIR/sdtm``
in a fresh process and reports raw rows, output records (all datasets, SUPP-- and trial design
included), wall time and peak resident memory of that process, and records per second.

Sanity checks, printed: raw rows and output records per enrolled subject stay the same at every
size (linear growth); the rejection log holds exactly the generator's deliberate problems
(``expected/problems.csv``, matched on file and row) plus the raw rows that fail the mapping
specs' ``filter`` conditions (evaluated here directly on the raw CSVs), and nothing else.
Each study folder is deleted after it is checked.

``--batch-subjects`` compares batch sizes on the same raw exports (``whole``: the study in one piece, as
before the per-batch plan, through ``build_study(batch_subjects=None)``); ``--engine dask`` runs the batches on a
local Dask cluster. Peak memory is then the largest sum of resident memory over the command and every process
it starts (Dask workers included), sampled every 0.1 s (docs/scale.md).
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_scale import (ROOT, STUDIES, check_linear, count_rows, markdown_table, run_cli,  # noqa: E402
                            text_table)

sys.path.insert(0, str(ROOT))  # the checks read the generator of the same tree as the one measured

PROBLEM_ACTIONS = {"record dropped", "value set to null", "lookup row ignored"}
EXCLUDED = "excluded by spec filter"
NOT_MAPPED = "not mapped"  # rows of raw forms no spec reads (antigen IHC, marrow and screening forms today)
EXCLUDED_BY_DESIGN = "excluded by design"


@dataclass
class SdtmRun:
    study: str
    subjects: int
    raw_rows: int
    records: int
    seconds: float
    peak_mb: float
    sanity: list[str]

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds


def _norm(value: str) -> str:
    return " ".join(value.split()).upper()


def filter_holds(condition: dict, frame: pd.DataFrame) -> pd.Series:
    """Where a spec ``filter`` holds (the operators the example mappings use), case- and space-insensitive."""
    column = frame[condition["column"]].map(_norm)
    if "equals" in condition:
        return column == _norm(str(condition["equals"]))
    if "in" in condition:
        return column.isin({_norm(str(v)) for v in condition["in"]})
    if "not_null" in condition:
        return column != ""
    if "is_null" in condition:
        return column == ""
    raise SystemExit(f"the benchmark's filter check does not know {condition}")


def spec_filters(mappings: Path) -> list[tuple[str, str, dict]]:
    """(domain, source, filter) of every filtered source block in the study's SDTM specs."""
    found = []
    for path in sorted((mappings / "sdtm").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        blocks = [spec, *spec.get("records", [])]
        found += [(spec["domain"], b["source"], b["filter"]) for b in blocks if "filter" in b and "source" in b]
    return found


def expected_exclusions(mappings: Path, raw: Path, encodings: dict[str, str]) -> Counter:
    """(domain, file, row) of every raw row a spec filter leaves out, computed from the raw CSVs."""
    out = Counter()
    for domain, source, condition in spec_filters(mappings):
        frame = pd.read_csv(raw / f"{source}.csv", dtype=str, keep_default_na=False,
                            encoding=encodings.get(source, "utf-8"))
        rows = frame.index[~filter_holds(condition, frame).to_numpy()] + 1
        out.update((domain, f"{source}.csv", int(r)) for r in rows)
    return out


def check_rejections(study: str, folder: Path) -> list[str]:
    """Lines comparing the rejection log with the deliberate problems and the spec filters."""
    from converters.examples import study_module

    log = pd.read_csv(folder / "sdtm" / "rejections.csv", dtype=str, keep_default_na=False)
    with open(folder / "expected" / "problems.csv", encoding="utf-8", newline="") as fh:
        injected = {(p["file"], int(p["row"])) for p in csv.DictReader(fh)}
    problems = log[log["action"].isin(PROBLEM_ACTIONS)]
    logged = {(s, int(r)) for s, r in zip(problems["source"], problems["row"])}
    excluded = log[log["action"] == EXCLUDED]
    got = Counter((d, s, int(r)) for d, s, r in zip(excluded["domain"], excluded["source"], excluded["row"]))
    want = expected_exclusions(ROOT / "mappings" / study, folder / "raw", study_module(study).ENCODINGS)
    by_design = int((log["action"] == EXCLUDED_BY_DESIGN).sum())
    not_mapped = int((log["action"] == NOT_MAPPED).sum())
    other = int((~log["action"].isin(PROBLEM_ACTIONS | {EXCLUDED, EXCLUDED_BY_DESIGN, NOT_MAPPED})).sum())
    ok_p, ok_f = logged == injected, got == want
    return [f"{len(injected)} injected problem rows, {len(logged)} problem rows in the log "
            f"({len(problems)} entries): " + ("exactly the injected ones" if ok_p else
                                               f"MISMATCH missing {sorted(injected - logged)} "
                                               f"extra {sorted(logged - injected)}"),
            f"{sum(want.values())} raw rows fail a spec filter, {len(excluded)} logged as excluded: "
            + ("the same rows" if ok_f else f"MISMATCH missing {sum((want - got).values())} "
                                              f"extra {sum((got - want).values())}"),
            f"{by_design} excluded by design, {not_mapped} rows of forms no spec reads, {other} other entries"
            + ("" if ok_p and ok_f and other == 0 else "  <-- CHECK")]


def measure_sdtm(study: str, subjects: int, folder: Path) -> SdtmRun:
    """Generate ``study`` at ``subjects`` into ``folder``, build its SDTM there and measure the build."""
    shutil.rmtree(folder, ignore_errors=True)
    run_cli("generate", study, "--out", str(folder), "--subjects", str(subjects))
    seconds, peak = run_cli("sdtm", str(ROOT / "mappings" / study), "--raw", str(folder / "raw"),
                            "--out", str(folder / "sdtm"))
    summary = pd.read_csv(folder / "sdtm" / "build-summary.csv", keep_default_na=False)
    raw_rows = sum(count_rows(folder / "raw").values())
    return SdtmRun(study, subjects, raw_rows, int(summary["records_written"].sum()), seconds, peak,
                   check_rejections(study, folder))


#: the study built in one piece (no batches) and written, as ``cdisc-convert sdtm`` did before the batch plan
WHOLE = ("from pathlib import Path; import sys; from converters.sdtm.study import build_study; "
         "from converters.sdtm.output import write_build; "
         "write_build(build_study(Path(sys.argv[1]), Path(sys.argv[2]), batch_subjects=None), Path(sys.argv[3]))")


def run_sampled(command: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of ``command``: wall time, and the largest sum of RSS over it and its descendants."""
    import psutil  # installed with the dask extra

    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                total += p.memory_info().rss
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return seconds, peak / 2**20


def measure_batches(study: str, subjects: int, folder: Path, batches: list[str], engine: str) -> list[list[str]]:
    """One row per batch size: the SDTM stage on the same raw exports, whole or per batch, on ``engine``."""
    shutil.rmtree(folder, ignore_errors=True)
    run_cli("generate", study, "--out", str(folder), "--subjects", str(subjects))
    rows, first = [], None
    for spec in batches:
        batch, _, on = spec.partition(":")
        on = on or engine
        out = folder / f"sdtm-{batch}-{on}"
        if batch == "whole":
            command = [sys.executable, "-c", WHOLE, str(ROOT / "mappings" / study), str(folder / "raw"), str(out)]
        else:
            command = [sys.executable, "-m", "converters.cli", "sdtm", str(ROOT / "mappings" / study), "--raw",
                       str(folder / "raw"), "--out", str(out), "--batch-subjects", batch, "--engine", on]
        seconds, peak = run_sampled(command)
        same = ""
        if first is None:
            first = out
        else:
            same = "yes" if all((first / p.name).read_bytes() == p.read_bytes() for p in out.iterdir()
                                if p.is_file() and (first / p.name).is_file()) else "NO"
            shutil.rmtree(out)
        rows.append([study, f"{subjects:,}", batch, on if batch != "whole" else "-", f"{seconds:.1f}",
                     f"{peak:.0f}", same])
        print(text_table(BATCH_HEADER, rows[-1:]).splitlines()[-1], flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return rows


BATCH_HEADER = ["Study", "Enrolled", "Batch subjects", "Engine", "Seconds", "Peak MB", "Same bytes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--studies", nargs="+", choices=STUDIES, default=list(STUDIES))
    parser.add_argument("--work", type=Path, default=Path("/tmp/sdtm-scale"))
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown here")
    parser.add_argument("--batch-subjects", nargs="+", default=None, metavar="N",
                        help="compare batch sizes (N, N:ENGINE or 'whole') instead of the sanity run")
    parser.add_argument("--engine", choices=["local", "dask"], default="local")
    args = parser.parse_args()
    if args.batch_subjects:
        rows = [row for study in args.studies for size in args.sizes
                for row in measure_batches(study, size, args.work / f"{study}-{size}", args.batch_subjects,
                                           args.engine)]
        print()
        print(text_table(BATCH_HEADER, rows))
        if args.markdown:
            args.markdown.write_text(markdown_table(BATCH_HEADER, rows) + "\n", encoding="utf-8")
        return
    header = ["Study", "Enrolled", "Raw rows", "Output records", "Seconds", "Peak MB", "Records/s"]
    rows, runs = [], []
    for study in args.studies:
        for size in args.sizes:
            folder = args.work / f"{study}-{size}"
            run = measure_sdtm(study, size, folder)
            shutil.rmtree(folder, ignore_errors=True)
            runs.append(run)
            rows.append([study, f"{size:,}", f"{run.raw_rows:,}", f"{run.records:,}", f"{run.seconds:.1f}",
                         f"{run.peak_mb:.0f}", f"{run.records_per_second:,.0f}"])
            print(text_table(header, rows[-1:]).splitlines()[-1], flush=True)
            for line in run.sanity:
                print(f"    {line}", flush=True)
    shutil.rmtree(args.work, ignore_errors=True)
    print()
    print(text_table(header, rows))
    print()
    for line in check_linear([(r.study, r.subjects, r.raw_rows) for r in runs]):
        print("raw rows        " + line)
    for line in check_linear([(r.study, r.subjects, r.records) for r in runs]):
        print("output records  " + line)
    if args.markdown:
        args.markdown.write_text(markdown_table(header, rows) + "\n", encoding="utf-8")
        print(f"Markdown table written to {args.markdown}")


if __name__ == "__main__":
    main()
