"""Helpers shared by the verbs that add parameter records (derive_param_*): new BDS records per subject."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def new_records(template: pd.DataFrame, by_vars: list[str], keep_vars: list[str],
                set_values_to: Mapping[str, object]) -> pd.DataFrame:
    """One record per ``by_vars`` of ``template`` carrying ``keep_vars`` (first value) and the constant values."""
    cols = list(dict.fromkeys(by_vars + [v for v in keep_vars if v in template.columns]))
    out = template[cols].drop_duplicates(subset=by_vars, keep="first").reset_index(drop=True)
    for name, value in set_values_to.items():
        # pandas-stubs: any scalar fills a column
        out[name] = float(value) if isinstance(value, (int, float)) else value  # type: ignore[call-overload]
    return out


def append_records(frame: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``records`` appended (columns unioned; dtypes kept where both agree)."""
    if records.empty:
        return frame
    if frame.empty:  # the new records alone, with the frame's variables kept (null) as a concat would keep them
        out = records.reset_index(drop=True)
        kept = {name: pd.Series(index=out.index, dtype=frame[name].dtype)
                for name in frame.columns if name not in out.columns}
        if not kept:
            return out
        order = list(dict.fromkeys([*frame.columns, *out.columns]))
        return pd.concat([pd.DataFrame(kept, index=out.index), out], axis=1)[order]
    return pd.concat([frame, records], ignore_index=True, sort=False)
