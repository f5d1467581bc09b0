"""Example-study generator at scale: both studies at growing sizes, whole-process time and peak RSS.

    python benchmarks/generate_scale.py [--sizes 1000 10000 100000] [--studies carnk-sclc cll1-aml]
                                        [--work /tmp/generate-scale] [--markdown FILE]

For each study and size, runs ``cdisc-convert generate STUDY --out DIR --subjects N`` in a fresh
process and reports the raw rows written, wall time and peak resident memory of that process, and
rows per second.  Then checks that the rows per enrolled subject stay the same at every size
(the generator writes in fixed batches of subjects, so rows and time should grow linearly and
memory should stay flat) and that ``expected/problems.csv`` lists the same deliberate problems.
Each output folder is deleted after it is counted.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")
#: rows per subject may drift by this fraction between sizes and still count as linear
LINEAR_TOLERANCE = 0.05
PROBE = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
         "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
         "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def run_cli(*args: str) -> tuple[float, float]:
    """(seconds, peak RSS MB) of ``cdisc-convert ARGS`` in a fresh process.

    A small probe process starts the command, so ``RUSAGE_CHILDREN`` of the probe is the
    command's own peak; the wall time covers the whole process, Python start-up included.
    """
    exe = [sys.executable, "-m", "converters.cli", *args]
    out = subprocess.run([sys.executable, "-c", PROBE, *exe], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    if out.returncode != 0:
        raise SystemExit(f"cdisc-convert {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    seconds, rss_kb = out.stdout.split()
    return float(seconds), int(rss_kb) / 1024


def count_rows(folder: Path) -> dict[str, int]:
    """Data rows (header excluded) of each CSV in ``folder``, by file stem."""
    counts = {}
    for path in sorted(folder.glob("*.csv")):
        with open(path, "rb") as fh:
            counts[path.stem] = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1
    return counts


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


@dataclass
class GenerateRun:
    study: str
    subjects: int
    screened: int
    rows: int
    mb: float
    seconds: float
    peak_mb: float
    problems: list[tuple[str, str, str]]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def measure_generate(study: str, subjects: int, out: Path) -> GenerateRun:
    """Generate ``study`` with ``subjects`` enrolled subjects into ``out`` (kept) and measure it."""
    shutil.rmtree(out, ignore_errors=True)
    seconds, peak = run_cli("generate", study, "--out", str(out), "--subjects", str(subjects))
    rows = count_rows(out / "raw")
    with open(out / "expected" / "problems.csv", encoding="utf-8", newline="") as fh:
        problems = [(p["file"], p["column"], p["problem"]) for p in csv.DictReader(fh)]
    return GenerateRun(study, subjects, rows.get("enrol", 0), sum(rows.values()), folder_mb(out / "raw"),
                       seconds, peak, problems)


def check_linear(runs: list[tuple[str, int, int]], tolerance: float = LINEAR_TOLERANCE) -> list[str]:
    """Lines saying whether (study, size, count) grow in proportion to size, per study."""
    lines = []
    for study in dict.fromkeys(r[0] for r in runs):
        mine = [(size, count) for s, size, count in runs if s == study]
        per = [count / size for size, count in mine]
        spread = (max(per) - min(per)) / max(per)
        verdict = "linear" if spread <= tolerance else "NOT linear"
        lines.append(f"{study}: {' / '.join(f'{p:.2f}' for p in per)} per subject "
                     f"(spread {spread:.1%}) -> {verdict}")
    return lines


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    fmt = lambda r: "  ".join(v.rjust(w) for v, w in zip(r, widths))  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--studies", nargs="+", choices=STUDIES, default=list(STUDIES))
    parser.add_argument("--work", type=Path, default=Path("/tmp/generate-scale"))
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown here")
    args = parser.parse_args()
    header = ["Study", "Enrolled", "Screened", "Raw rows", "Raw MB", "Seconds", "Peak MB", "Rows/s"]
    rows, runs = [], []
    for study in args.studies:
        for size in args.sizes:
            out = args.work / f"{study}-{size}"
            run = measure_generate(study, size, out)
            shutil.rmtree(out, ignore_errors=True)
            runs.append(run)
            rows.append([study, f"{size:,}", f"{run.screened:,}", f"{run.rows:,}", f"{run.mb:.0f}",
                         f"{run.seconds:.1f}", f"{run.peak_mb:.0f}", f"{run.rows_per_second:,.0f}"])
            print(text_table(header, rows[-1:]).splitlines()[-1], flush=True)
    shutil.rmtree(args.work, ignore_errors=True)
    print()
    print(text_table(header, rows))
    print()
    for line in check_linear([(r.study, r.subjects, r.rows) for r in runs]):
        print("raw rows   " + line)
    for study in args.studies:
        kinds = {tuple(r.problems) for r in runs if r.study == study}
        print(f"problems   {study}: " + ("same deliberate problems at every size" if len(kinds) == 1
                                         else "DIFFERENT deliberate problems between sizes"))
    if args.markdown:
        args.markdown.write_text(markdown_table(header, rows) + "\n", encoding="utf-8")
        print(f"Markdown table written to {args.markdown}")


if __name__ == "__main__":
    main()
