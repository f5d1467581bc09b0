"""Cellular kinetics curves: individual and median concentration-time profiles by dose level, log scale (ADPC).

One panel per planned dose level (``DOSE01P``): each subject's quantifiable concentrations (``AVAL``) against the
actual time from the first infusion (``AFRLT``) as a thin line, the median per nominal time (``NFRLT``) as a thick
line, and the lower limit of quantitation (``ALLOQ``) dashed. Below-LLOQ samples (``AVAL`` null) cannot sit on a
log axis: they are left out of the individual lines and count as 0 in the median, so a median below the LLOQ
is not drawn. The time axis is linear over the first 28 days and logarithmic after (symlog). The first parameter
(``PARAMCD``, in order) is drawn when ADPC holds several.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from converters.plots.registry import Plot, register

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: x-axis ticks, days from the first infusion: weekly for the first month (linear part), then months
DAY_TICKS = (0, 7, 14, 21, 28, 56, 84, 182, 365, 730)
NEEDED = ("USUBJID", "PARAMCD", "PARAM", "AVAL", "AFRLT", "NFRLT", "DOSE01P")


def _dose_label(dose: float) -> str:
    return f"{dose:g} x 10^6 cells per infusion" if dose == dose else "dose level not given"


def draw(adam: Mapping[str, pd.DataFrame]) -> Figure | None:
    """The kinetics figure of a study's ADPC, or None without quantifiable concentrations."""
    adpc = adam["ADPC"]
    if adpc.empty or any(v not in adpc.columns for v in NEEDED):
        return None
    param = sorted(adpc["PARAMCD"].dropna().unique())
    if not param:
        return None
    data = adpc[adpc["PARAMCD"] == param[0]].copy()
    data["AVAL"] = pd.to_numeric(data["AVAL"], errors="coerce")
    if not (data["AVAL"] > 0).any():
        return None
    from matplotlib.figure import Figure

    doses = sorted(pd.to_numeric(data["DOSE01P"], errors="coerce").dropna().unique())
    n = max(len(doses), 1)
    figure = Figure(figsize=(4.2 * n, 4.2), layout="constrained")
    axes = figure.subplots(1, n, sharey=True, squeeze=False)[0]
    lloq = pd.to_numeric(data["ALLOQ"], errors="coerce").dropna() if "ALLOQ" in data.columns else pd.Series([])
    unit = str(data["AVALU"].dropna().iloc[0]) if "AVALU" in data.columns and data["AVALU"].notna().any() else ""
    for ax, dose in zip(axes, doses):
        group = data[pd.to_numeric(data["DOSE01P"], errors="coerce") == dose]
        quantified = group[group["AVAL"] > 0].sort_values(["USUBJID", "AFRLT"], kind="mergesort")
        for _, subject in quantified.groupby("USUBJID", sort=True):
            ax.plot(subject["AFRLT"], subject["AVAL"], color="tab:blue", alpha=0.35, linewidth=0.8, marker=".",
                    markersize=3)
        median = group.assign(AVAL=group["AVAL"].fillna(0.0)).groupby("NFRLT", sort=True)["AVAL"].median()
        floor = float(lloq.min()) if not lloq.empty else 0.0
        median = median[(median > 0) & (median >= floor)]
        ax.plot(median.index.to_numpy(), median.to_numpy(), color="black", linewidth=2.2, marker="o", markersize=4,
                label="median (nominal time)")
        if not lloq.empty:
            ax.axhline(float(lloq.min()), color="tab:red", linestyle="--", linewidth=1, label="LLOQ")
        ax.set_yscale("log")
        ax.set_xscale("symlog", linthresh=28.0, linscale=2.0)
        last = float(pd.to_numeric(data["AFRLT"], errors="coerce").max())
        ticks = [t for t in DAY_TICKS if t <= max(last, 28.0)]
        ax.set_xticks(ticks, [str(t) for t in ticks], fontsize=7)
        ax.set_xticks([], minor=True)
        ax.set_xlim(-1.0, max(last, 28.0) * 1.05)
        ax.set_title(f"{_dose_label(float(dose))}\n(n = {group['USUBJID'].nunique()})", fontsize=9)
        ax.set_xlabel("Days from first infusion")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(f"{data['PARAM'].dropna().iloc[0]}" if not unit else f"Concentration ({unit})")
    axes[0].legend(fontsize=7, loc="upper right")
    figure.suptitle(f"Cellular kinetics: {data['PARAM'].dropna().iloc[0]}, individual and median by dose level",
                    fontsize=10)
    return figure


PLOT = register(Plot(name="kinetics", needs=("ADPC",), draw=draw,
                     summary="Cellular kinetics: individual and median concentration-time curves by dose level "
                             "(log scale), from ADPC"))
