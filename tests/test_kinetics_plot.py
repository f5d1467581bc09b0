"""The kinetics plot draws from ADPC alone for both example studies, and the same data give the same bytes."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from converters.plots.kinetics import draw
from converters.plots.registry import plots, write_plots

STUDIES = ("carnk-sclc", "cll1-aml")


def test_the_kinetics_plot_is_registered_and_needs_adpc_only():
    plot = {p.name: p for p in plots()}["kinetics"]
    assert plot.needs == ("ADPC",)


def test_no_figure_without_quantifiable_concentrations():
    adpc = pd.DataFrame({"USUBJID": ["A"], "PARAMCD": ["X"], "PARAM": ["X (%)"], "AVAL": [None], "AFRLT": [1.0],
                         "NFRLT": [1.0], "DOSE01P": [100.0]})
    assert draw({"ADPC": adpc}) is None
    assert draw({"ADPC": adpc.iloc[0:0]}) is None


@pytest.mark.slow
@pytest.mark.parametrize("study", STUDIES)
def test_the_kinetics_plot_draws_each_dose_level_and_is_byte_identical_across_runs(study, demo_out, tmp_path):
    adpc, _ = pyreadstat.read_xport(str(demo_out / study / "adam" / "adpc.xpt"))
    first = write_plots({"ADPC": adpc}, tmp_path / "one")
    second = write_plots({"ADPC": adpc}, tmp_path / "two")
    assert sorted(p.name for p in first) == ["kinetics.png", "kinetics.svg"]
    for a, b in zip(first, second):
        assert Path(a).read_bytes() == Path(b).read_bytes(), a.name
    figure = draw({"ADPC": adpc})
    assert figure is not None
    assert len(figure.axes) == adpc["DOSE01P"].nunique()
    assert all(ax.get_yscale() == "log" for ax in figure.axes)
    assert all(len(ax.lines) > 2 for ax in figure.axes)  # individual curves, the median and the LLOQ
