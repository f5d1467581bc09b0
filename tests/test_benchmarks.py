"""The stage benchmark (benchmarks/run_stages.py) runs end to end at 1,000 subjects: every stage of ``run`` and the
I/O floor measured in fresh processes, reported as a table with ratios and drawn as a plot.  No timing is asserted."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import run_stages  # noqa: E402


def test_every_stage_and_the_floor_are_measured_at_1000_subjects(tmp_path):
    results = tmp_path / "results.jsonl"
    found = run_stages.bench_study("carnk-sclc", 1000, 1, tmp_path / "work", results)
    stages = [m.stage for m in found]
    assert stages == ["generate", "floor", *run_stages.STAGE_NAMES]
    assert all(m.wall > 0 and m.cpu > 0 and m.peak_mb > 50 for m in found)
    assert [json.loads(line)["stage"] for line in results.read_text().splitlines()] == stages
    assert not (tmp_path / "work" / "carnk-sclc-1000").exists()  # each size's folder is removed
    table = run_stages.markdown(run_stages.load_results(results))
    sdtm = next(line for line in table.splitlines() if "| sdtm |" in line).split(" | ")
    floor_wall = next(m.wall for m in found if m.stage == "floor")
    sdtm_wall = next(m.wall for m in found if m.stage == "sdtm")
    assert float(sdtm[7]) == round(sdtm_wall / floor_wall, 1)  # the stage as a ratio to the floor
    assert "run (sum)" in table
    png = run_stages.plot(found, tmp_path / "plot.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
