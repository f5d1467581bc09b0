"""The registry of plots: one registered object per picture a reviewer looks at rather than reads.

A :class:`Plot` names the ADaM datasets it needs and a ``draw`` function that takes them (by dataset name, e.g.
``"ADTR"``) and returns a matplotlib figure, or ``None`` when the study has no data for it (a study without RECIST
lesions has no waterfall). Plots read ADaM only, never SDTM or raw data, so a picture shows what the analysis
datasets say. :func:`write_plots` saves every applicable plot as PNG and SVG, byte-identical for identical data.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Plot:
    """One picture: its file stem, the ADaM datasets it reads, and how it is drawn."""

    name: str
    needs: tuple[str, ...]
    draw: Callable[[Mapping[str, pd.DataFrame]], Figure | None]
    summary: str


_PLOTS: dict[str, Plot] = {}


def register(plot: Plot) -> Plot:
    """Add ``plot`` to the registry (one registration per plot module)."""
    if plot.name in _PLOTS:
        raise ValueError(f"plot {plot.name!r} is registered twice")
    _PLOTS[plot.name] = plot
    return plot


def plots() -> list[Plot]:
    """Every registered plot, in name order."""
    import converters.plots.builtin  # noqa: F401  (registers the shipped plots)

    return [_PLOTS[name] for name in sorted(_PLOTS)]


def write_plots(adam: Mapping[str, pd.DataFrame], out: Path) -> list[Path]:
    """Draw every plot whose datasets are present in ``adam`` into ``out`` as PNG and SVG; return the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    for plot in plots():
        if not all(name in adam for name in plot.needs):
            continue
        with matplotlib.rc_context({"svg.hashsalt": "cdisc-convert", "svg.fonttype": "path"}):
            figure = plot.draw(adam)
            if figure is None:
                continue
            out.mkdir(parents=True, exist_ok=True)
            for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None, "Creator": None})):
                path = out / f"{plot.name}{suffix}"
                figure.savefig(path, format=suffix[1:], metadata=metadata, dpi=150)
                written.append(path)
            plt.close(figure)
    return written
