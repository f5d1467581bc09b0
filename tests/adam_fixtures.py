"""Small frames and a context for the ADaM verb tests."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.sources import SdtmFolder, nulls_for_blanks


def context(sdtm: dict[str, pd.DataFrame] | None = None, built: dict[str, pd.DataFrame] | None = None,
            name: str = "ADTEST") -> AdamContext:
    frames = {k: nulls_for_blanks(v) for k, v in (sdtm or {}).items()}
    return AdamContext(sdtm=SdtmFolder(Path("."), frames, {}), built=dict(built or {}), dataset_name=name,
                       spec_file="test.yaml")


def dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object))


def run(verb: str, frame: pd.DataFrame, options: dict, ctx: AdamContext | None = None) -> pd.DataFrame:
    """Run a registered verb by name with options checked by its model, as a spec step does.

    Every verb returns a new frame and leaves its input as it was (derivations work on shallow copies): checked on
    each call.
    """
    from converters.algorithms import algorithm

    entry = algorithm(verb, standard="ADaM")
    before = frame.copy(deep=True)
    out = entry.fill(frame, entry.options.model_validate(options), ctx or context())
    pd.testing.assert_frame_equal(frame, before, obj=f"{verb}'s input")
    return out
