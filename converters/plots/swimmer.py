"""Swimmer plot: time on study per treated subject, with responses and dose-limiting toxicities.

One horizontal bar per subject of the safety population (ADSL SAFFL = Y), from the first infusion (TRTSDT) to the
end of study (EOSDT), else death (DTHDT), else the last known alive date (LSTALVDT), in months; bars are sorted by
length (longest on top) and coloured by dose level (DOSELVL; the actual treatment TRT01A when a study has no dose
levels). Markers: the overall response at each assessment (ADRS PARAMCD OVR; complete and partial responses and
their ELN 2022 variants, progression and relapse; stable disease and not evaluable are left out), the start of each
dose-limiting toxicity (ADAE DLTFL = Y, at ASTDT), death at the end of the bar, and an arrow for a subject still on
study at the data cut-off (EOSSTT ONGOING). ADRS and ADAE are optional: without them the bars are drawn alone.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from converters.plots.registry import Plot, register

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DAYS_PER_MONTH = 365.25 / 12
#: ADRS AVALC -> (legend label, marker, colour); values not listed are not drawn
RESPONSE_MARKERS: dict[str, tuple[str, str, str]] = {
    "CR": ("Complete response (CR)", "o", "#1a9850"),
    "CRh": ("CR with partial haematological recovery (CRh)", "o", "#66bd63"),
    "CRi": ("CR with incomplete recovery (CRi)", "o", "#a6d96a"),
    "MORPHOLOGIC LEUKEMIA-FREE STATE": ("Morphologic leukaemia-free state (MLFS)", "D", "#74add1"),
    "PR": ("Partial response (PR)", "^", "#4575b4"),
    "PD": ("Progressive disease (PD)", "X", "#d73027"),
    "RELAPSED DISEASE": ("Relapse", "X", "#f46d43"),
}


def _dates(values: pd.Series) -> pd.Series:
    """A date column as datetime64 (SAS dates read back from XPT are already dates; ISO text is parsed)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_datetime(values, unit="D", origin=pd.Timestamp("1960-01-01"))
    return pd.to_datetime(values.astype(str).str.slice(0, 10), errors="coerce", format="%Y-%m-%d")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype=object)


def subject_times(adsl: pd.DataFrame) -> pd.DataFrame:
    """Per treated subject: start, end, months on study, group, death and ongoing status; sorted longest first."""
    treated = adsl[_column(adsl, "SAFFL").astype(str).eq("Y") & adsl["TRTSDT"].notna()].copy()
    start = _dates(treated["TRTSDT"])
    end = _dates(_column(treated, "EOSDT"))
    for name in ("DTHDT", "LSTALVDT"):
        end = end.fillna(_dates(_column(treated, name)))
    end = end.fillna(start)
    group_var = "DOSELVL" if _column(treated, "DOSELVL").notna().any() else "TRT01A"
    out = pd.DataFrame({
        "USUBJID": treated["USUBJID"].astype(str).to_numpy(),
        "SUBJID": _column(treated, "SUBJID").fillna(treated["USUBJID"]).astype(str).to_numpy(),
        "start": start.to_numpy(), "months": ((end - start).dt.days + 1).to_numpy() / DAYS_PER_MONTH,
        "group": _column(treated, group_var).fillna("(none)").astype(str).to_numpy(),
        "died": _dates(_column(treated, "DTHDT")).notna().to_numpy(),
        "ongoing": _column(treated, "EOSSTT").astype(str).eq("ONGOING").to_numpy()})
    out.attrs["group_var"] = group_var
    return out.sort_values(["months", "USUBJID"], ascending=[True, False], kind="mergesort").reset_index(drop=True)


def _months_from_start(frame: pd.DataFrame, date: str, subjects: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``frame`` for the plotted subjects with their bar position ``y`` and ``months`` after the start."""
    pos = pd.Series(np.arange(len(subjects)), index=subjects["USUBJID"])
    rows = frame[frame["USUBJID"].astype(str).isin(pos.index)].copy()
    rows["y"] = rows["USUBJID"].astype(str).map(pos).to_numpy()
    start = rows["USUBJID"].astype(str).map(subjects.set_index("USUBJID")["start"])
    rows["months"] = ((_dates(rows[date]) - pd.to_datetime(start)).dt.days + 1) / DAYS_PER_MONTH
    return rows[rows["months"].notna()]


def draw(adam: Mapping[str, pd.DataFrame]) -> Figure | None:
    """The swimmer plot of a study's ADaM datasets, or None when no subject was treated."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    subjects = subject_times(adam["ADSL"])
    if subjects.empty:
        return None
    groups = sorted(subjects["group"].unique())
    colours = plt.get_cmap("tab10")
    colour = {g: colours(i % 10) for i, g in enumerate(groups)}
    n = len(subjects)
    figure, axes = plt.subplots(figsize=(10, max(4.0, 0.2 * n + 1.8)))
    y = np.arange(n)
    axes.barh(y, subjects["months"], height=0.7, color=[colour[g] for g in subjects["group"]], alpha=0.45,
              edgecolor="none")
    handles: list[Line2D | Patch] = [Patch(color=colour[g], alpha=0.45, label=g) for g in groups]
    adrs = adam.get("ADRS")
    if adrs is not None and {"PARAMCD", "AVALC", "ADT", "USUBJID"} <= set(adrs.columns):
        ovr = _months_from_start(adrs[adrs["PARAMCD"].astype(str).eq("OVR")], "ADT", subjects)
        for value, (label, marker, tint) in RESPONSE_MARKERS.items():
            hit = ovr[ovr["AVALC"].astype(str).eq(value)]
            if hit.empty:
                continue
            axes.scatter(hit["months"], hit["y"], marker=marker, s=28, color=tint, edgecolors="black",
                         linewidths=0.4, zorder=3)
            handles.append(Line2D([], [], marker=marker, linestyle="", color=tint, markeredgecolor="black",
                                  label=label))
    adae = adam.get("ADAE")
    if adae is not None and {"DLTFL", "ASTDT", "USUBJID"} <= set(adae.columns):
        dlt = _months_from_start(adae[adae["DLTFL"].astype(str).eq("Y")], "ASTDT", subjects)
        if not dlt.empty:
            axes.scatter(dlt["months"], dlt["y"] + 0.3, marker="v", s=30, color="black", zorder=4)
            handles.append(Line2D([], [], marker="v", linestyle="", color="black", label="Dose-limiting toxicity"))
    died = subjects[subjects["died"]]
    if not died.empty:
        axes.scatter(died["months"], died.index, marker="s", s=18, color="#404040", zorder=4)
        handles.append(Line2D([], [], marker="s", linestyle="", color="#404040", label="Death"))
    ongoing = subjects[subjects["ongoing"]]
    if not ongoing.empty:
        axes.scatter(ongoing["months"] + 0.3, ongoing.index, marker=">", s=30, color="black", zorder=4)
        handles.append(Line2D([], [], marker=">", linestyle="", color="black", label="On study at the cut-off"))
    axes.set_yticks(y, subjects["SUBJID"], fontsize=6)
    axes.set_ylim(-0.8, n - 0.2)
    axes.set_xlim(0, float(subjects["months"].max()) * 1.05 + 0.5)
    axes.set_xlabel("Months from the first infusion")
    axes.set_ylabel("Subject")
    group_name = {"DOSELVL": "dose level", "TRT01A": "treatment"}[subjects.attrs["group_var"]]
    axes.set_title(f"Time on study, responses and DLTs by {group_name} (safety population, N = {n})")
    axes.legend(handles=handles, loc="lower right", fontsize=7, frameon=True)
    axes.grid(axis="x", linewidth=0.3, alpha=0.5)
    figure.tight_layout()
    return figure


PLOT = register(Plot(name="swimmer", needs=("ADSL",), draw=draw,
                     summary="Time on study per treated subject with responses (ADRS OVR), DLTs (ADAE) and deaths"))
