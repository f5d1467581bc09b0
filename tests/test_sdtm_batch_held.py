"""Each batch's subject timeline and raw visits are held as codes until the batches are merged
(``converters.engine.sdtm.build_records_in_batches``): merged, they are the frame ``pandas.concat`` gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from converters.engine.compact import compact_frame
from converters.engine.sdtm import _concat_held


def _piece(subjects: list[str], start: int) -> pd.DataFrame:
    visits = ["SCREENING", None] + ["DAY 1"] * (len(subjects) - 2)
    return pd.DataFrame({"USUBJID": np.array(subjects, dtype=object), "VISIT": np.array(visits, dtype=object),
                         "VISITNUM": [float(i) for i in range(len(subjects))],
                         "SVSTDTC": pd.array([f"2024-01-0{i + 1}" for i in range(len(subjects))], dtype="string")},
                        index=range(start, start + len(subjects))).astype({"USUBJID": object, "VISIT": object})


def test_pieces_held_as_codes_merge_as_pandas_concat_does() -> None:
    frames = [_piece(["S-1", "S-1", "S-2"], 0), _piece(["S-3", "S-3", "S-4", "S-4"], 3)]
    merged = _concat_held([compact_frame(f) for f in frames])
    assert_frame_equal(merged, pd.concat(frames, ignore_index=True))
    assert merged["USUBJID"].dtype == object


def test_one_piece_keeps_its_index() -> None:
    frame = _piece(["S-7", "S-7", "S-8"], 10)
    assert_frame_equal(_concat_held([compact_frame(frame)]), frame)
