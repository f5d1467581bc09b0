"""derive_param_response: a Y/N responder parameter from a best-response parameter (ORR, clinical benefit, CRc)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.adam.context import AdamContext
from converters.adam.options import VerbOptions
from converters.adam.params import append_records
from converters.algorithms.registry import Algorithm, register


class Options(VerbOptions):
    source_param: str
    responses: list[str]
    set_values_to: dict[str, str | float | int]


def derive_param_response(frame: pd.DataFrame, options: Options, context: AdamContext) -> pd.DataFrame:
    context.require(frame, ["PARAMCD", "AVALC"], "the dataset")
    source = frame[frame["PARAMCD"].eq(options.source_param)].copy()
    responder = source["AVALC"].isin(options.responses).to_numpy()
    records = source.copy()
    for name in ("AVAL", "AVALC", "ADT", "ADY"):
        if name in records:
            records[name] = None
    records["AVALC"] = np.where(responder, "Y", "N").astype(object)
    records["AVAL"] = np.where(responder, 1.0, 0.0)
    if "ADT" in source:
        records["ADT"] = source["ADT"].where(responder)
        records["ADT"] = pd.to_datetime(records["ADT"])
    for name, value in options.set_values_to.items():
        records[name] = float(value) if isinstance(value, (int, float)) else value
        context.note(name, "Assigned")
    text = (f"{options.set_values_to.get('PARAMCD', '')}: 'Y' (1) when {options.source_param} is "
            f"{' or '.join(options.responses)}, else 'N' (0).")
    context.note_parameter("AVALC", text)
    context.note_parameter("AVAL", text)
    return append_records(frame, records)


register(Algorithm(
    subject_local=True, record_order="appended",
    name="derive_param_response", standards=("ADaM",), phase="dataset", options=Options,
    fill=derive_param_response, origin="Derived",
    summary="Responder parameter (AVALC Y/N, AVAL 1/0) from a best-response parameter",
    method=("New parameter {set_values_to}: AVALC = 'Y' (AVAL 1) when the subject's {source_param} is one of "
            "{responses}, else 'N' (AVAL 0); ADT is the responder's {source_param} date.")))
