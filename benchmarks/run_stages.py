"""Each stage of ``cdisc-convert run`` at growing sizes, against an I/O floor measured in the same run.

    python benchmarks/run_stages.py [--studies cll1-aml carnk-sclc] [--sizes 1000 10000 100000] [--repeats 3]
                                    [--stages sdtm adam define validate package] [--work /tmp/run-stages]
                                    [--results FILE.jsonl] [--markdown FILE] [--plot FILE.png]
    python benchmarks/run_stages.py --report FILE.jsonl [--markdown FILE] [--plot FILE.png]

For each study and size the raw exports are generated once (``cdisc-convert generate``, timed for
information).  Then, ``--repeats`` times, each stage of :data:`converters.pipeline.stages.STAGES`
(sdtm, adam, define, validate, package) runs in a fresh process on what the earlier stages left, exactly
as ``run`` chains them (the same stage functions on the same kind of work folder), and the process is
measured: wall time, CPU time (user + system) and peak resident memory.  Python start-up and imports are
included in every stage (about 0.5-1 s each).

The floor is the least any conversion of these data must spend on I/O, measured in the same run and the
same way (a fresh process): read every raw CSV with pandas (all text, the C parser), then write the same
frames as XPT v5 with the fastest XPT writer available to us (the project's numpy writer, no pyreadstat)
and as JSON with pandas' C writer (``DataFrame.to_json(orient="values")``, faster than a Dataset-JSON
writer, which must add metadata and type every value).  Each stage is reported as a ratio to the floor.

Every measurement goes to ``--results`` (one JSON object per line, appended), so a long run can be
reported while it goes (``--report``); the table reports the median of the repeats of each stage.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("cll1-aml", "carnk-sclc")
STAGE_NAMES = ("sdtm", "adam", "define", "validate", "package")
FLOOR = "floor"
#: Runs a child command and prints its wall seconds, peak RSS (KB) and CPU seconds: RUSAGE_CHILDREN of this
#: small probe process is the child's own usage.
PROBE = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
         "r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
         "u=resource.getrusage(resource.RUSAGE_CHILDREN); "
         "sys.stderr.write(r.stderr[-3000:]) if r.returncode else None; "
         "print(time.perf_counter()-t, u.ru_maxrss, u.ru_utime+u.ru_stime, r.returncode)")


@dataclass
class Measurement:
    """One measured process: what ran (study, subjects, stage, repeat) and its wall, CPU and peak memory."""

    study: str
    subjects: int
    stage: str
    repeat: int
    wall: float
    cpu: float
    peak_mb: float
    load: float


def measure(args: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``python ARGS`` in a fresh process run from this checkout."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, sys.executable, *args], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True)
    wall, rss_kb, cpu, code = out.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"python {' '.join(args)} failed (exit {code}):\n{out.stderr}")
    return float(wall), float(cpu), int(rss_kb) / 1024


# ---------------------------------------------------------------- worker side (one stage in a fresh process)

def _context(state_file: Path):
    """The RunContext of ``run`` rebuilt from the state the earlier stages saved."""
    from converters.pipeline.run import RunContext, creation_stamp, raw_folder
    from converters.pipeline.stages import StageResult

    state = json.loads(state_file.read_text(encoding="utf-8"))
    mappings, raw = Path(state["mappings"]), Path(state["raw"])
    work = Path(state["work"])
    ctx = RunContext(mappings=mappings, raw=raw, raw_folder=raw_folder(mappings, raw), out=Path(state["out"]),
                     work=work, study=mappings.resolve().name, formats=("xpt",),
                     created=creation_stamp(mappings, None), command=["cdisc-convert", "run", str(mappings)],
                     say=lambda _msg: None, studyid=state.get("studyid", ""),
                     folders={k: Path(v) for k, v in state.get("folders", {}).items()},
                     results=[StageResult(**r) for r in state.get("results", [])],
                     define_written=state.get("define_written", False),
                     unexplained_errors=state.get("unexplained_errors", 0))
    return ctx, state


def run_one_stage(name: str, state_file: Path) -> None:
    """Run stage ``name`` of ``run`` on the work folder ``state_file`` describes, then save what it left."""
    from converters.pipeline.stages import stage

    ctx, state = _context(state_file)
    item = stage(name)
    if not item.available():
        result_summary = {"name": name, "status": "skipped", "summary": "not installed in this version"}
    else:
        result = item.function(ctx)
        result_summary = {"name": result.name, "status": result.status, "summary": result.summary}
    state.update(studyid=ctx.studyid, folders={k: str(v) for k, v in ctx.folders.items()},
                 define_written=ctx.define_written, unexplained_errors=ctx.unexplained_errors,
                 results=state.get("results", []) + [result_summary])
    state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")


def io_floor(raw: Path, out: Path) -> None:
    """Read every raw CSV with pandas and write the same frames as XPT v5 (numpy writer) and JSON (pandas)."""
    import numpy as np
    import pandas as pd

    from converters.validate.data import infer_metadata
    from converters.writers.xpt import write_xpt

    out.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(sorted(raw.glob("*.csv")), start=1):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace")
        frame.columns = [f"C{i}" for i in range(1, len(frame.columns) + 1)]  # XPT names: 8 characters
        for column in frame.columns:  # XPT v5 holds ASCII of at most 200 bytes (raw free text may hold more)
            codes, uniques = pd.factorize(frame[column])
            if not "".join(uniques).isascii() or max(map(len, uniques), default=0) > 200:
                fixed = np.array([v.encode("ascii", "replace").decode()[:200] for v in uniques], dtype=object)
                frame[column] = fixed[codes]
        name = f"R{number}"
        write_xpt(frame, infer_metadata(name, frame), out / f"{name.lower()}.xpt")
        frame.to_json(out / f"{name.lower()}.json", orient="values", force_ascii=False)


# ---------------------------------------------------------------- driver side

def bench_study(study: str, subjects: int, repeats: int, work: Path, results: Path | None,
                stages: tuple[str, ...] = STAGE_NAMES) -> list[Measurement]:
    """Generate ``study`` at ``subjects``, then measure the floor and every stage ``repeats`` times."""
    folder = work / f"{study}-{subjects}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    script = str(Path(__file__).resolve())
    found: list[Measurement] = []

    def record(stage: str, repeat: int, numbers: tuple[float, float, float]) -> None:
        item = Measurement(study, subjects, stage, repeat, *numbers, load=os.getloadavg()[0])
        found.append(item)
        print(f"{study} {subjects:>7,} {stage:<9} #{repeat}: {item.wall:7.1f} s wall {item.cpu:7.1f} s CPU "
              f"{item.peak_mb:7.0f} MB  (load {item.load:.1f})", flush=True)
        if results is not None:
            with open(results, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(item)) + "\n")

    record("generate", 1, measure(["-m", "converters.cli", "generate", study, "--out", str(folder / "gen"),
                                   "--subjects", str(subjects)]))
    raw = folder / "gen" / "raw"
    for repeat in range(1, repeats + 1):
        shutil.rmtree(folder / "floor", ignore_errors=True)
        record(FLOOR, repeat, measure([script, "--floor-of", str(raw), "--floor-out", str(folder / "floor")]))
        shutil.rmtree(folder / "floor", ignore_errors=True)
        run_dir = folder / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        (run_dir / "work").mkdir(parents=True)
        state = run_dir / "state.json"
        state.write_text(json.dumps({"mappings": str(ROOT / "mappings" / study), "raw": str(raw),
                                     "work": str(run_dir / "work"), "out": str(run_dir / "package")}),
                         encoding="utf-8")
        for name in stages:
            record(name, repeat, measure([script, "--stage", name, "--state", str(state)]))
        shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    return found


def load_results(path: Path) -> list[Measurement]:
    with open(path, encoding="utf-8") as handle:
        return [Measurement(**json.loads(line)) for line in handle if line.strip()]


def medians(found: list[Measurement]) -> dict[tuple[str, int, str], dict[str, float]]:
    """(study, subjects, stage) -> median wall, CPU, peak MB and the number of repeats."""
    groups: dict[tuple[str, int, str], list[Measurement]] = {}
    for m in found:
        groups.setdefault((m.study, m.subjects, m.stage), []).append(m)
    return {key: {"wall": statistics.median(m.wall for m in ms), "cpu": statistics.median(m.cpu for m in ms),
                  "peak_mb": statistics.median(m.peak_mb for m in ms), "repeats": len(ms),
                  "load": statistics.median(m.load for m in ms)} for key, ms in groups.items()}


def _ratio(stage: dict[str, float], floor: dict[str, float] | None, key: str) -> str:
    return f"{stage[key] / floor[key]:.1f}" if floor else ""


def report_rows(found: list[Measurement]) -> list[list[str]]:
    """Table rows: study, subjects, stage, repeats, wall, CPU, peak MB, wall and CPU as ratios to the floor."""
    table = medians(found)
    rows = []
    for (study, subjects, stage), m in sorted(table.items(), key=lambda kv: (
            kv[0][0], kv[0][1], ("generate", FLOOR, *STAGE_NAMES, "run").index(kv[0][2]))):
        floor = table.get((study, subjects, FLOOR)) if stage not in ("generate", FLOOR) else None
        rows.append([study, f"{subjects:,}", stage, str(m["repeats"]), f"{m['wall']:.1f}", f"{m['cpu']:.1f}",
                     f"{m['peak_mb']:,.0f}", _ratio(m, floor, "wall"), _ratio(m, floor, "cpu"), f"{m['load']:.1f}"])
    for (study, subjects) in sorted({(k[0], k[1]) for k in table}):
        parts = [table[(study, subjects, s)] for s in STAGE_NAMES if (study, subjects, s) in table]
        floor = table.get((study, subjects, FLOOR))
        if len(parts) == len(STAGE_NAMES):
            wall, cpu = sum(p["wall"] for p in parts), sum(p["cpu"] for p in parts)
            rows.append([study, f"{subjects:,}", "run (sum)", "", f"{wall:.1f}", f"{cpu:.1f}",
                         f"{max(p['peak_mb'] for p in parts):,.0f}", f"{wall / floor['wall']:.1f}" if floor else "",
                         f"{cpu / floor['cpu']:.1f}" if floor else "", ""])
    return rows


HEADER = ["Study", "Subjects", "Stage", "Repeats", "Wall s", "CPU s", "Peak MB", "Wall / floor", "CPU / floor",
          "Load"]


def markdown(found: list[Measurement]) -> str:
    rows = report_rows(found)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def plot(found: list[Measurement], path: Path) -> Path:
    """Wall time and peak memory of each stage (and the floor) against subjects, log-log, one colour per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = medians(found)
    studies = sorted({k[0] for k in table})
    fig, axes = plt.subplots(len(studies), 2, figsize=(11, 4 * len(studies)), squeeze=False)
    for row, study in enumerate(studies):
        for col, (key, label) in enumerate((("wall", "wall time (s)"), ("peak_mb", "peak RSS (MB)"))):
            ax = axes[row][col]
            for stage in (FLOOR, *STAGE_NAMES):
                points = sorted((k[1], v[key]) for k, v in table.items() if k[0] == study and k[2] == stage)
                if points:
                    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                            linestyle="--" if stage == FLOOR else "-", label=stage)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("enrolled subjects")
            ax.set_ylabel(label)
            ax.set_title(f"{study}: {label}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def machine() -> str:
    """One line about the machine and the software measured."""
    import numpy
    import pandas

    return (f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, pandas {pandas.__version__}, numpy {numpy.__version__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", nargs="+", choices=STUDIES, default=list(STUDIES))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stages", nargs="+", choices=STAGE_NAMES, default=list(STAGE_NAMES),
                        help="stages to run, in run order (each needs the ones before it)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/run-stages"))
    parser.add_argument("--results", type=Path, default=None, help="append every measurement here (JSON lines)")
    parser.add_argument("--report", type=Path, default=None, help="only report the measurements in this file")
    parser.add_argument("--markdown", type=Path, default=None, help="write the table as Markdown here")
    parser.add_argument("--plot", type=Path, default=None, help="draw time and memory against subjects here (PNG)")
    parser.add_argument("--stage", choices=STAGE_NAMES, help=argparse.SUPPRESS)  # worker: one stage
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)  # worker: the I/O floor
    parser.add_argument("--floor-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        run_one_stage(args.stage, args.state)
        return
    if args.floor_of:
        io_floor(args.floor_of, args.floor_out)
        return
    if args.report:
        found = load_results(args.report)
    else:
        print(machine(), flush=True)
        started = time.perf_counter()
        found = []
        for study in args.studies:
            for size in args.sizes:
                found += bench_study(study, size, args.repeats, args.work, args.results, tuple(args.stages))
        print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
    print(markdown(found))
    if args.markdown:
        args.markdown.write_text(markdown(found) + "\n", encoding="utf-8")
    if args.plot:
        plot(found, args.plot)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the stages of this checkout, not an installed copy
    main()
