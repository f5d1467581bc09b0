"""Waterfall plot: each subject's best percentage change from baseline in the sum of diameters of the target lesions
(RECIST 1.1), one bar per subject from the largest increase to the largest decrease, coloured by the subject's best
overall response, with the RECIST 1.1 thresholds: -30 % (partial response) and +20 % (progression, measured from the
nadir; drawn from baseline as is customary).

Reads ADTR (PARAMCD SUMDIAM: the record flagged ANL02FL, else the smallest PCHG among the ANL01FL records) and, for
the colours, ADRS (BOR, else BESTRSP). A study without ADTR, or without a post-baseline sum, has no waterfall.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from converters.plots.registry import Plot, register

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PARAMCD = "SUMDIAM"
#: the ADRS parameter whose AVALC colours the bars, in order of preference
RESPONSE_PARAMS = ("BOR", "BESTRSP")
#: response -> (legend label, colour), best to worst; anything else is drawn as "not available"
COLOURS = {"CR": ("Complete response", "#1b4f72"), "PR": ("Partial response", "#2e86c1"),
           "SD": ("Stable disease", "#a6acaf"), "NON-CR/NON-PD": ("Non-CR/Non-PD", "#d5dbdb"),
           "PD": ("Progressive disease", "#c0392b"), "NE": ("Not evaluable", "#f5b041")}
MISSING = ("Not available", "#ffffff")


def best_changes(adam: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Per subject: USUBJID, PCHG (best percentage change of the sum) and RESPONSE; None without ADTR data."""
    adtr = adam.get("ADTR")
    if adtr is None or adtr.empty or not {"USUBJID", "PARAMCD", "PCHG"} <= set(adtr.columns):
        return None
    sums = adtr[adtr["PARAMCD"] == PARAMCD]
    if "ANL02FL" in sums:
        best = sums[sums["ANL02FL"] == "Y"]
    else:
        analysed = sums[sums["ANL01FL"] == "Y"] if "ANL01FL" in sums else sums
        best = analysed.sort_values(["USUBJID", "PCHG"], kind="mergesort").drop_duplicates("USUBJID")
    best = best[pd.to_numeric(best["PCHG"], errors="coerce").notna()]
    if best.empty:
        return None
    out = pd.DataFrame({"USUBJID": best["USUBJID"].astype(str).to_numpy(),
                        "PCHG": pd.to_numeric(best["PCHG"]).to_numpy(dtype=float)})
    out["RESPONSE"] = out["USUBJID"].map(_responses(adam.get("ADRS"))).fillna("")
    return out.sort_values(["PCHG", "USUBJID"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _responses(adrs: pd.DataFrame | None) -> pd.Series:
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns):
        return pd.Series(dtype=object)
    for param in RESPONSE_PARAMS:
        rows = adrs[adrs["PARAMCD"] == param]
        if len(rows):
            return rows.drop_duplicates("USUBJID").set_index("USUBJID")["AVALC"].astype(str)
    return pd.Series(dtype=object)


def draw(adam: Mapping[str, pd.DataFrame]) -> Figure | None:
    """The waterfall figure, or None when the study has no ADTR sums after baseline."""
    data = best_changes(adam)
    if data is None:
        return None
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(10, 5.5))
    ax = figure.add_subplot()
    styles = [COLOURS.get(r, MISSING) for r in data["RESPONSE"]]
    ax.bar(range(len(data)), data["PCHG"], width=0.8, color=[c for _, c in styles], edgecolor="#424949",
           linewidth=0.4)
    ax.axhline(20, color="#c0392b", linestyle="--", linewidth=1)
    ax.axhline(-30, color="#2e86c1", linestyle="--", linewidth=1)
    ax.axhline(0, color="#424949", linewidth=0.6)
    ax.text(len(data) - 0.5, 21, "+20 %", ha="right", va="bottom", fontsize=8, color="#c0392b")
    ax.text(-0.5, -31, "-30 %", ha="left", va="top", fontsize=8, color="#2e86c1")
    ax.set_xlim(-0.8, len(data) - 0.2)
    ax.set_xticks([])
    ax.set_xlabel(f"Subjects with a baseline and a post-baseline sum of diameters (n = {len(data)})")
    ax.set_ylabel("Best change from baseline in sum of diameters (%)")
    ax.set_title("Best percentage change in the sum of target lesion diameters (RECIST 1.1)")
    present = [k for k in COLOURS if k in set(data["RESPONSE"])]
    handles = [Patch(facecolor=COLOURS[k][1], edgecolor="#424949", label=COLOURS[k][0]) for k in present]
    if not set(data["RESPONSE"]) <= set(COLOURS):
        handles.append(Patch(facecolor=MISSING[1], edgecolor="#424949", label=MISSING[0]))
    ax.legend(handles=handles, title="Best overall response", loc="upper right", fontsize=8, title_fontsize=8,
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


PLOT = register(Plot(name="waterfall", needs=("ADTR",), draw=draw,
                     summary="Best percentage change in the sum of target lesion diameters per subject (RECIST 1.1), "
                             "coloured by best overall response, with the -30 % and +20 % lines"))
