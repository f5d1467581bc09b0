"""The CSV reader's whole-array paths give what the line-by-line and pandas rules give."""
from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from converters.errors import DataError
from converters.readers.csv import _LINE_BREAK, check_field_counts
from converters.readers.raw import TEXT, finish_frame

PIECES = ["a", "b", "", " ", "é", "ß x", "\t", "ü,", ",", ",,", "日本", "\u00a0"]


def _counts_line_by_line(text: str, delimiter: str) -> int | str:
    """The rule before the whole-array path: split the lines, count delimiters per line (the header's width, or
    the error's message)."""
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    counts = [line.count(delimiter) + 1 for line in lines]
    blank = [not line.strip() for line in lines]
    if blank[0]:
        return "the first line is empty; it must hold the column names"
    bad = [i for i in range(1, len(lines)) if counts[i] != counts[0] and not blank[i]]
    if bad:
        return f"row has {counts[bad[0]]} fields"
    return counts[0]


def _check(text: str, delimiter: str) -> int | str:
    try:
        return check_field_counts(text, delimiter, Path("x.csv"))
    except DataError as exc:
        return str(exc.message if hasattr(exc, "message") else exc)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_field_counts_without_quotes_equal_the_line_by_line_rule(delimiter):
    """Random unquoted texts (blank lines, \\n and \\r\\n breaks, a final break or none, non-ASCII, wrong counts)."""
    for seed in range(150):
        rng = random.Random(seed)
        width = rng.randint(1, 4)
        lines = []
        for row in range(rng.randint(1, 12)):
            fields = width + (rng.choice([-1, 1]) if row and rng.random() < 0.1 else 0)
            line = delimiter.join(rng.choice(PIECES).replace(",", delimiter) if delimiter != "," else
                                  rng.choice([p for p in PIECES if "," not in p]) for _ in range(max(fields, 1)))
            lines.append(rng.choice([line, line, line, "", "  "]) if row else line)
        text = rng.choice(["\n", "\r\n"]).join(lines) + rng.choice(["", "\n", "\r\n", "\n\n"])
        if not text.strip():
            continue
        want = _counts_line_by_line(text, delimiter)
        got = _check(text, delimiter)
        assert (got == want) if isinstance(want, int) else (isinstance(got, str) and got.startswith(want)), \
            (seed, text)


def test_field_counts_with_a_lone_carriage_return_or_quotes_take_the_line_rule():
    assert check_field_counts("a,b\r1,2\r3,4", ",", Path("x.csv")) == 2
    with pytest.raises(DataError, match="row has 3 fields"):
        check_field_counts("a,b\r\n1,2\r3,4,5\n", ",", Path("x.csv"))
    assert check_field_counts('a,b\n"1,\n2",3\n', ",", Path("x.csv")) == 2


def _finish_by_pandas(frame: pd.DataFrame, whitespace: bool) -> pd.DataFrame:
    """The rule before the object-array path: astype(TEXT), blank by isna/== "" (or strip), mask, drop empty rows."""
    columns = {}
    for col in frame.columns:
        values = frame[col].astype(TEXT)
        if whitespace:
            blank = values.isna() | values.fillna("").str.strip().eq("")
        else:
            blank = values.isna() | (values == "")
        columns[col] = values.mask(blank.to_numpy(dtype=bool))
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    out["__row__"] = pd.Series(np.arange(1, len(frame) + 1, dtype=np.int64))
    return out[out[list(frame.columns)].notna().any(axis=1).to_numpy()].reset_index(drop=True)


@pytest.mark.parametrize("whitespace", [False, True])
@pytest.mark.parametrize("dtype", ["str", "object", "string"])
def test_finish_frame_equals_the_pandas_rule(whitespace, dtype):
    """Text columns as the parser gives them (and object and string columns): missing, empty and, when asked,
    whitespace-only values become missing; records left with no value are dropped."""
    pool = ["a", "", " ", "  x ", "é", None, "\t", "0", "NA"]
    for seed in range(60):
        rng = random.Random(seed)
        n = rng.randint(0, 15)
        frame = pd.DataFrame({name: pd.Series([rng.choice(pool) for _ in range(n)], dtype=dtype)
                              for name in ["A", "B", " C "][:rng.randint(1, 3)]})
        if not whitespace:
            frame = frame.replace({" ": "", "\t": ""})  # the caller knows no value is whitespace-only
        got = finish_frame(frame, Path("x.csv"), "x", rows=np.arange(1, n + 1), whitespace=whitespace).frame
        want = _finish_by_pandas(frame.rename(columns=lambda c: c.strip()), whitespace)
        pd.testing.assert_frame_equal(got, want)
        assert re.fullmatch(r"[A-C_w]*", "".join(got.columns).replace("__row__", "")) is not None
