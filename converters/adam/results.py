"""Analysis Results Metadata (ARM 1.0) of a study's key results: ``mappings/<study>/adam/results.yaml``.

    displays:
      - id: T-DLT                       # display OID RD.T-DLT; results AR.T-DLT.1, AR.T-DLT.2 ...
        name: Table 14.3.1
        title: DLT rate per arm and dose level (DLT-evaluable population)
        results:
          - description: Proportion of DLT-evaluable subjects with a DLT, by planned arm
            reason: SPECIFIED IN PROTOCOL  # ARM 1.0 AnalysisReason
            purpose: PRIMARY OUTCOME MEASURE  # ARM 1.0 AnalysisPurpose
            datasets:
              - {dataset: ADSL, variables: [DLTFL], where: {DLTEVLFL: "Y"}}
            parameter: false              # true: the result is by PARAMCD of its (BDS) dataset
            documentation: Number and percent of subjects with DLTFL = Y by TRT01P.
            code: the programming statements, or where they are

Each display becomes an ``arm:ResultDisplay`` in the ADaM define; every dataset and variable a result names must
exist in the ADaM build and every where value must occur in the data, so the metadata cannot drift from the data.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from converters.errors import Location, SpecError
from converters.metadata.model import AnalysisDataset, AnalysisResult, ResultDisplay, WhereCondition
from converters.spec.yaml_lines import load_yaml_file

RESULTS_FILE = "results.yaml"
Reason = Literal["SPECIFIED IN PROTOCOL", "SPECIFIED IN SAP", "DATA DRIVEN", "REQUESTED BY REGULATORY AGENCY"]
Purpose = Literal["PRIMARY OUTCOME MEASURE", "SECONDARY OUTCOME MEASURE", "EXPLORATORY OUTCOME MEASURE"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResultDatasetSpec(_Strict):
    dataset: str
    variables: list[str] = Field(min_length=1)
    where: dict[str, str | list[str]] = Field(default_factory=dict)


class ResultSpec(_Strict):
    description: str
    reason: Reason
    purpose: Purpose
    datasets: list[ResultDatasetSpec] = Field(min_length=1)
    parameter: bool = False
    documentation: str = ""
    code: str = ""


class DisplaySpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    title: str
    results: list[ResultSpec] = Field(min_length=1)


class ResultsSpec(_Strict):
    displays: list[DisplaySpec] = Field(min_length=1)


def load_results_spec(path: str | Path) -> ResultsSpec:
    """The study's results.yaml, checked; errors name the file and line."""
    raw = load_yaml_file(path)
    try:
        return ResultsSpec.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SpecError(f"analysis results: {where}", Location(str(path), getattr(raw, "line", 1)),
                        hint="see docs/adam.md, 'Analysis Results Metadata'") from None


def derive_analysis_results(spec: ResultsSpec, frames: dict[str, pd.DataFrame], path: str | Path
                            ) -> list[ResultDisplay]:
    """The ARM displays of ``spec``, checked against the built ADaM datasets ``frames`` (name -> frame)."""
    where_at = Location(str(path))
    displays = []
    for display in spec.displays:
        results = []
        for number, result in enumerate(display.results, start=1):
            used = []
            for ds in result.datasets:
                frame = frames.get(ds.dataset.upper())
                if frame is None:
                    raise SpecError(f"analysis result {display.id}.{number} names {ds.dataset}, which the ADaM "
                                    "build does not write", where_at, hint=f"built: {', '.join(sorted(frames))}")
                missing = [v for v in [*ds.variables, *ds.where] if v not in frame.columns]
                if missing:
                    raise SpecError(f"analysis result {display.id}.{number}: {ds.dataset} has no "
                                    f"{', '.join(missing)}", where_at)
                conditions = []
                for variable, wanted in sorted(ds.where.items()):
                    values = tuple([wanted] if isinstance(wanted, str) else wanted)
                    absent = [v for v in values if not frame[variable].astype("string").eq(v).any()]
                    if absent:
                        raise SpecError(f"analysis result {display.id}.{number}: no {ds.dataset} record has "
                                        f"{variable} = {', '.join(absent)}", where_at)
                    conditions.append(WhereCondition(ds.dataset.upper(), variable,
                                                     "EQ" if len(values) == 1 else "IN", values))
                used.append(AnalysisDataset(ds.dataset.upper(), tuple(ds.variables), tuple(conditions)))
            parameter = f"IT.{used[0].dataset}.PARAMCD" if result.parameter else None
            results.append(AnalysisResult(f"AR.{display.id}.{number}", result.description, result.reason,
                                          result.purpose, used, parameter=parameter,
                                          documentation=result.documentation, code=result.code))
        displays.append(ResultDisplay(f"RD.{display.id}", display.name, display.title, results))
    return displays
