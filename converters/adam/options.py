"""Option types shared by the ADaM verbs, with admiral's argument names (``dataset_add``, ``by_vars``, ``order``,
``filter_add``, ``new_var``, ``mode``, ``set_values_to``) so a spec reads like an admiral program."""
from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict

from converters.adam.columns import per_distinct
from converters.adam.where import check_where

#: a record filter (see converters.adam.where)
Filter = Annotated[dict[str, Any], AfterValidator(check_where)]
Mode = Literal["first", "last"]


class VerbOptions(BaseModel):
    """Base of every verb's options: unknown options are refused (with the spec line)."""

    model_config = ConfigDict(extra="forbid")


def words(items: list[str] | tuple[str, ...]) -> str:
    """``A, B and C`` for method text."""
    items = [str(i) for i in items]
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def sort_records(frame: pd.DataFrame, by_vars: list[str], order: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``by_vars`` then ``order`` (an order item ``-VAR`` sorts descending), nulls last, stable."""
    keys, ascending = list(by_vars), [True] * len(by_vars)
    for item in order:
        keys.append(item.lstrip("-"))
        ascending.append(not item.startswith("-"))
    if not keys:
        return frame
    return frame.sort_values(keys, ascending=ascending, kind="mergesort", na_position="last")


def pick_extreme(frame: pd.DataFrame, by_vars: list[str], order: list[str], mode: Mode) -> pd.DataFrame:
    """One record per ``by_vars`` group: the first or last by ``order``."""
    ordered = sort_records(frame, by_vars, order)
    return ordered.drop_duplicates(subset=by_vars, keep="first" if mode == "first" else "last")


def as_dates(values: pd.Series) -> pd.Series:
    """A date column as datetime64 (ISO 8601 text parsed; partial or invalid text gives NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values):  # SAS dates read back from XPT
        return pd.to_datetime(values, unit="D", origin=pd.Timestamp("1960-01-01"))
    def parse(uniques: pd.Series) -> pd.Series:
        text = uniques.astype(str).str.strip()
        full = text.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        return pd.to_datetime(text.where(full).str.slice(0, 19), errors="coerce", format="ISO8601")
    return pd.to_datetime(per_distinct(values, parse, pd.NaT))


def flag_values(mask: pd.Series, true_value: str | None, false_value: str | None) -> pd.Series:
    """A Y/N (or Y/null) flag column from a boolean mask."""
    out = np.full(len(mask), false_value, dtype=object)
    out[mask.to_numpy(dtype=bool)] = true_value
    return pd.Series(out, index=mask.index, dtype=object)
