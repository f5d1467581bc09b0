"""ADaMIG 1.3 metadata for ADaM variables: placeholder names resolved, labels, types, Core and date formats.

ADaMIG names variable families with placeholders: ``xx`` a two-digit period (TRT01P), ``y`` a one-digit group index
(AGEGR1), ``zz`` a two-digit index (ANL01FL), ``w`` a one-digit index (PxxSw). :func:`standard_variable` finds the
ADaMIG entry a concrete name instantiates and puts the digits into its label ("Planned Treatment for Period 01").
The bundled ADaMIG holds the ADSL and BDS (with TTE) variable sets; OCCDS variables copied from SDTM take their
SDTM predecessor's label, and variables the guide does not define take the label the spec gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from converters.standards import StandardVariable, adamig

#: class and subclass per spec structure (ADaMIG 1.3 / OCCDS 1.1 class names).
CLASSES = {
    "ADSL": ("SUBJECT LEVEL ANALYSIS DATASET", None),
    "BDS": ("BASIC DATA STRUCTURE", None),
    "TTE": ("BASIC DATA STRUCTURE", "TIME-TO-EVENT"),
    "OCCDS": ("OCCURRENCE DATA STRUCTURE", None),
}
#: default dataset labels for the common ADaM datasets (a spec's label wins).
LABELS = {
    "ADSL": "Subject-Level Analysis Dataset",
    "ADAE": "Adverse Events Analysis Dataset",
    "ADEX": "Exposure Analysis Dataset",
    "ADRS": "Response Analysis Dataset",
    "ADTTE": "Time-to-Event Analysis Dataset",
    "ADLB": "Laboratory Analysis Dataset",
}
#: SAS display formats of numeric timing variables by name suffix (ADaMIG 3.1.3: *DT, *DTM, *TM).
_DATE_SUFFIX = re.compile(r"^(?!.*DTF$)(?!.*TMF$).*?(DTM|DT|TM)$")
FORMATS = {"DT": "DATE9.", "DTM": "DATETIME20.", "TM": "TIME8."}
_PLACEHOLDER = re.compile(r"xx|zz|y|w")


@dataclass(frozen=True)
class AdamVariable:
    """An ADaMIG variable as a concrete name instantiates it."""

    name: str
    label: str
    type: str
    core: str
    codelist_codes: tuple[str, ...]
    table: str  # ADSL or BDS


@cache
def _patterns(table: str) -> list[tuple[re.Pattern[str], StandardVariable]]:
    out = []
    for var in adamig.variables(table):
        if var.name.startswith("*"):
            continue
        regex = "^" + _PLACEHOLDER.sub(lambda m: r"(\d{2})" if len(m.group()) == 2 else r"(\d)", var.name) + "$"
        out.append((re.compile(regex), var))
    return out


def standard_variable(name: str, structure: str) -> AdamVariable | None:
    """The ADaMIG 1.3 variable ``name`` instantiates, looked up in the structure's own set first, then ADSL and BDS."""
    tables = ["ADSL", "BDS"] if structure == "ADSL" else ["BDS", "ADSL"]
    for table in tables:
        for pattern, var in _patterns(table):
            match = pattern.match(name)
            if not match:
                continue
            label = var.label
            digits = list(match.groups())
            for placeholder in _PLACEHOLDER.findall(var.name):
                value = digits.pop(0) if digits else placeholder
                label = label.replace(f" {placeholder}", f" {value}", 1)
            return AdamVariable(name, label, var.type, var.core, var.codelist_codes, table)
    return None


def display_format(name: str) -> str | None:
    """DATE9. / DATETIME20. / TIME8. for a numeric timing variable by its name, else None."""
    match = _DATE_SUFFIX.match(name)
    return FORMATS[match.group(1)] if match else None
