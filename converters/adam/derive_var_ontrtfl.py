"""derive_var_ontrtfl: on-treatment record flag (ONTRTFL) of a BDS record's analysis date."""
from __future__ import annotations

import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions, as_dates, flag_values
from converters.algorithms.registry import Algorithm, register
from converters.adam.columns import working_copy


class Options(VerbOptions):
    new_var: str = "ONTRTFL"
    start_date: str = "ADT"
    ref_start_date: str = "TRTSDT"
    ref_end_date: str | None = "TRTEDT"
    ref_end_window: int = 0


def derive_var_ontrtfl(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, [options.start_date, options.ref_start_date], "the dataset")
    date = as_dates(frame[options.start_date])
    start = as_dates(frame[options.ref_start_date])
    on = start.notna() & (date >= start)
    if options.ref_end_date:
        context.require(frame, [options.ref_end_date], "the dataset")
        end = as_dates(frame[options.ref_end_date]) + pd.Timedelta(days=options.ref_end_window)
        on &= end.isna() | (date <= end)
    frame = working_copy(frame)
    frame[options.new_var] = flag_values(on, "Y", None)
    return frame


register(Algorithm(
    subject_local=True,
    name="derive_var_ontrtfl", standards=("ADaM",), phase="dataset", options=Options, fill=derive_var_ontrtfl,
    origin="Derived", summary="On-treatment flag: analysis date between treatment start and end + window",
    method=("{new_var} = 'Y' when {start_date} is on or after {ref_start_date} and on or before {ref_end_date} + "
            "{ref_end_window} days; else null.")))
