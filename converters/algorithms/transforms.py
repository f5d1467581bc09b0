"""Text transforms applied to a collected value before it is mapped (``transform:`` on ``assign``/``assign_ct``).

A foreign export often needs its text tidied first: lower-case verbatim terms, a visit code inside a longer label,
a site number to prefix. Each transform is a whole-column string operation, applied in the order the spec lists
them; a blank stays blank.

========================  =========================================================================
``upper``, ``lower``      change the case
``trim``                  strip leading and trailing spaces and collapse inner runs of spaces
``{substring: [s, n]}``   ``n`` characters from position ``s`` (1-based); ``[s]`` to the end
``{replace: [old, new]}`` every ``old`` (plain text, not a pattern) replaced by ``new``
``{extract: PATTERN}``    the first group of a regular expression (or the whole match); blank when none
``{concatenate: [COLS]}`` the value followed by the values of other raw columns, joined by one space
========================  =========================================================================
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

NAMED = ("upper", "lower", "trim")
WITH_ARGUMENT = ("substring", "replace", "extract", "concatenate")


def apply_transforms(values: pd.Series, transforms: tuple[tuple[str, Any], ...],
                     resolve: Callable[[str], pd.Series]) -> pd.Series:
    """``values`` after each transform in turn (text; blank -> missing)."""
    text = values.astype("string")
    for name, arg in transforms:
        if name == "upper":
            text = text.str.upper()
        elif name == "lower":
            text = text.str.lower()
        elif name == "trim":
            text = text.str.strip().str.replace(r"\s+", " ", regex=True)
        elif name == "substring":
            start = int(arg[0]) - 1
            text = text.str.slice(start, start + int(arg[1]) if len(arg) > 1 else None)
        elif name == "replace":
            text = text.str.replace(str(arg[0]), str(arg[1]), regex=False)
        elif name == "extract":
            pattern = re.compile(str(arg))
            found = text.str.extract(pattern if pattern.groups else re.compile(f"({arg})"), expand=False)
            text = (found.iloc[:, 0] if isinstance(found, pd.DataFrame) else found).astype("string")
        elif name == "concatenate":
            for column in arg:
                # pandas-stubs: replace() takes pd.NA
                other = resolve(column).astype("string").str.strip().replace("", pd.NA)  # type: ignore[call-overload]
                text = text.where(other.isna(), text.fillna("").str.cat(other, sep=" ").str.strip())
        else:  # pragma: no cover - the loader refuses unknown transforms
            raise ValueError(name)
    return text.str.strip().replace("", pd.NA)  # type: ignore[call-overload]  # pandas-stubs: replace() takes pd.NA


def check_transform(step: Any) -> tuple[str, Any]:
    """One spec transform as ``(name, argument)``; ValueError saying what is wrong."""
    if isinstance(step, str) and step in NAMED:
        return step, None
    if isinstance(step, dict) and len(step) == 1:
        name, arg = next(iter(step.items()))
        if name == "substring" and isinstance(arg, list) and 1 <= len(arg) <= 2 and \
                all(isinstance(v, int) and not isinstance(v, bool) and v >= (1 if i == 0 else 0)
                    for i, v in enumerate(arg)):
            return name, tuple(arg)
        if name == "replace" and isinstance(arg, list) and len(arg) == 2 and all(isinstance(v, str) for v in arg):
            return name, tuple(arg)
        if name == "extract" and isinstance(arg, str):
            try:
                re.compile(arg)
            except re.error as exc:
                raise ValueError(f"extract: {arg!r} is not a regular expression ({exc})") from None
            return name, arg
        if name == "concatenate" and (isinstance(arg, str) or (isinstance(arg, list) and arg and
                                                               all(isinstance(v, str) for v in arg))):
            return name, (arg,) if isinstance(arg, str) else tuple(arg)
        if name in WITH_ARGUMENT:
            raise ValueError(f"{name} takes " + {"substring": "[start, length] (start from 1)",
                                                 "replace": "[old, new]", "extract": "a regular expression",
                                                 "concatenate": "a column or a list of columns"}[name])
    raise ValueError(f"unknown transform {step!r}; transforms: {', '.join(NAMED + WITH_ARGUMENT)}")
