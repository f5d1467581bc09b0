"""The waterfall plot (converters/plots/waterfall.py): drawn from ADaM for study A, absent for study B (no ADTR),
byte-identical across runs."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from converters.plots.registry import plots, write_plots
from converters.plots.waterfall import COLOURS, best_changes, draw

ROOT = Path(__file__).resolve().parents[1]


def _adam(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in sorted(folder.glob("*.xpt")):
        frames[path.stem.upper()], _ = pyreadstat.read_xport(str(path))
    return frames


@pytest.fixture(scope="module")
def study_a(demo_out: Path) -> dict[str, pd.DataFrame]:
    return _adam(demo_out / "carnk-sclc" / "adam")


def test_waterfall_is_registered_and_needs_adtr():
    plot = {p.name: p for p in plots()}["waterfall"]
    assert plot.needs == ("ADTR",)


def test_waterfall_draws_one_bar_per_subject_coloured_by_best_overall_response(study_a):
    known = pd.read_csv(ROOT / "examples" / "carnk-sclc" / "expected" / "recist.csv", dtype=str,
                        keep_default_na=False)
    known = known[known["BEST_PCHG"] != ""].set_index("USUBJID")
    data = best_changes(study_a).set_index("USUBJID")
    assert set(data.index) == set(known.index)
    assert ((data["PCHG"] - known["BEST_PCHG"].astype(float).reindex(data.index)).abs() <= 0.051).all()
    assert data["PCHG"].is_monotonic_decreasing                 # largest increase first
    bor = study_a["ADRS"].query("PARAMCD == 'BOR'").set_index("USUBJID")["AVALC"]
    assert (data["RESPONSE"] == bor.reindex(data.index)).all()
    figure = draw(study_a)
    assert figure is not None
    ax = figure.axes[0]
    assert len(ax.patches) == len(data)
    lines = sorted(round(line.get_ydata()[0]) for line in ax.get_lines())
    assert -30 in lines and 20 in lines
    colours = {COLOURS[r][1] for r in data["RESPONSE"] if r in COLOURS}
    from matplotlib.colors import to_hex
    assert {to_hex(p.get_facecolor()) for p in ax.patches} == colours


def test_study_b_has_no_waterfall(demo_out):
    adam_b = _adam(demo_out / "cll1-aml" / "adam")
    assert "ADTR" not in adam_b and draw(adam_b) is None
    assert draw({"ADTR": pd.DataFrame(columns=["USUBJID", "PARAMCD", "PCHG"])}) is None


def test_waterfall_files_are_byte_identical_across_runs(study_a, tmp_path):
    adam = {"ADTR": study_a["ADTR"], "ADRS": study_a["ADRS"]}
    first = write_plots(adam, tmp_path / "a")
    second = write_plots(adam, tmp_path / "b")
    names = sorted(p.name for p in first if p.stem == "waterfall")
    assert names == ["waterfall.png", "waterfall.svg"] == sorted(p.name for p in second if p.stem == "waterfall")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
