"""The swimmer plot (time on study with responses and DLTs, from ADSL, ADRS and ADAE) and the plots `demo` writes:
per study, every registered plot the ADaM datasets allow, PNG and SVG, byte-identical when run again."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from converters.cli import cli
from converters.plots.registry import plots, write_plots
from converters.plots.swimmer import draw, subject_times

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("carnk-sclc", "cll1-aml")


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S-1", "S-2", "S-3", "S-4"], "SUBJID": ["1", "2", "3", "4"], "SAFFL": ["Y", "Y", "Y", "N"],
        "TRTSDT": pd.to_datetime(pd.Series(["2025-01-01", "2025-01-01", "2025-02-01", None])),
        "EOSDT": pd.to_datetime(pd.Series(["2025-03-01", None, None, None])),
        "DTHDT": pd.to_datetime(pd.Series([None, "2025-06-30", None, None])),
        "LSTALVDT": pd.to_datetime(pd.Series(["2025-03-01", "2025-06-30", "2025-02-10", None])),
        "EOSSTT": ["DISCONTINUED", "DISCONTINUED", "ONGOING", None],
        "DOSELVL": ["DL1", "DL2", "DL1", None]})


def _adam() -> dict[str, pd.DataFrame]:
    adrs = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-2"], "PARAMCD": ["OVR", "OVR", "BOR"],
                         "AVALC": ["PR", "CR", "CR"], "ADT": pd.to_datetime(pd.Series(["2025-02-12"] * 3))})
    adae = pd.DataFrame({"USUBJID": ["S-2", "S-3"], "DLTFL": ["Y", None],
                         "ASTDT": pd.to_datetime(pd.Series(["2025-01-05", "2025-02-03"]))})
    return {"ADSL": _adsl(), "ADRS": adrs, "ADAE": adae}


def test_swimmer_is_registered_and_reads_adam_only():
    swimmer = {p.name: p for p in plots()}["swimmer"]
    assert all(name.startswith("AD") for name in swimmer.needs)


def test_time_on_study_ends_at_end_of_study_else_death_else_last_alive_and_the_longest_is_on_top():
    times = subject_times(_adsl())
    assert times["USUBJID"].tolist() == ["S-3", "S-1", "S-2"]  # bottom to top; S-4 was not treated
    assert times["months"].round(2).tolist() == [round(10 / (365.25 / 12), 2), round(60 / (365.25 / 12), 2),
                                                 round(181 / (365.25 / 12), 2)]
    assert times["died"].tolist() == [False, False, True]
    assert times["ongoing"].tolist() == [True, False, False]
    assert times.attrs["group_var"] == "DOSELVL"


def test_the_figure_has_a_bar_per_treated_subject_and_markers_for_responses_dlts_deaths():
    figure = draw(_adam())
    assert figure is not None
    axes = figure.axes[0]
    assert len(axes.patches) == 3
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels == ["DL1", "DL2", "Complete response (CR)", "Partial response (PR)", "Dose-limiting toxicity",
                      "Death", "On study at the cut-off"]


def test_no_treated_subject_gives_no_plot():
    adsl = _adsl().assign(SAFFL="N")
    assert draw({"ADSL": adsl}) is None


def test_plots_are_byte_identical_for_identical_data(tmp_path):
    first = write_plots(_adam(), tmp_path / "a")
    second = write_plots(_adam(), tmp_path / "b")
    assert [p.name for p in first] == ["swimmer.png", "swimmer.svg"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.slow
def test_demo_writes_the_swimmer_plot_of_both_studies_identically_when_run_again(demo_out, tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--no-validate", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for study in STUDIES:
        folder = demo_out / study / "plots"
        names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        assert {"swimmer.png", "swimmer.svg"} <= set(names), names
        assert (folder / "swimmer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (folder / "swimmer.svg").read_bytes()[:2000]
        for name in names:
            assert (folder / name).read_bytes() == (tmp_path / study / "plots" / name).read_bytes(), f"{study}/{name}"


def test_readme_says_demo_draws_the_plots():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "plots/" in readme and "swimmer" in readme
