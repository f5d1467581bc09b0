"""Codelists of ADaM variables: which CT codelist each variable takes, and the codelists the define lists.

A variable's codelist is, in order: the one its spec names; the one ADaMIG 1.3 gives it (date and time imputation
flags, DTYPE, EOSSTT, SEX, RACE ...); its SDTM predecessor's when it is a copy under the same name (the SDTM
dataset's metadata, else SDTMIG 3.4: AESEV, AEOUT, ...; AVALC from RSSTRESC is not a copy: its values differ by
parameter); and for a flag (``*FL``) holding only Y and N, NY. The define then lists each codelist in use with the
terms that occur, under the CT package (SDTM or ADaM) it comes from, so a reviewer sees the same controlled values
in the ADaM define as in the SDTM one.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from converters.adam.metadata import standard_variable
from converters.adam.sources import SdtmFolder
from converters.metadata.model import Codelist, Dataset, Standard, Study
from converters.standards import ct, sdtmig
from converters.errors import StandardsError
from converters.writers.text_facts import TextFacts

#: the Y/N values a flag may hold to take the NY codelist
_YES_NO = frozenset({"Y", "N"})


def predecessor_codelist(predecessor: str | None, sdtm: SdtmFolder) -> str | None:
    """The codelist of an SDTM predecessor ``DS.VAR``: the SDTM metadata's, else SDTMIG 3.4's, else None."""
    if not predecessor or "." not in predecessor or predecessor.startswith("SUPP"):
        return None
    dataset, variable = predecessor.split(" ")[0].split(".", 1)
    meta = sdtm.metas.get(dataset.upper())
    if meta is not None:
        for var in meta.variables:
            if var.name == variable and var.codelist:
                return var.codelist
    try:
        return sdtmig.variable(dataset, variable).codelist
    except Exception:  # noqa: BLE001 - not an SDTMIG variable of that domain
        return None


def assign_codelist(name: str, structure: str, predecessor: str | None, values: pd.Series,
                    sdtm: SdtmFolder) -> str | None:
    """The CT codelist (short name) variable ``name`` takes, or None (see the module notes for the order)."""
    std = standard_variable(name, structure)
    if std is not None and std.codelist_codes and ct.has_codelist(std.codelist_codes[0]):
        return ct.codelist(std.codelist_codes[0]).name
    copied = predecessor is not None and predecessor.split(" ")[0].endswith(f".{name}")
    found = predecessor_codelist(predecessor, sdtm) if copied else None
    if found and ct.has_codelist(found):
        return ct.codelist(found).name
    if name.endswith("FL") and not pd.api.types.is_numeric_dtype(values):  # text of either pandas dtype
        present = set(values.dropna().astype(str).unique())
        if present and present <= _YES_NO:
            return "NY"
    return None


def describe_codelists(study: Study, frames: dict[str, pd.DataFrame],
                       facts: Mapping[str, Mapping[str, TextFacts]] | None = None) -> None:
    """Set ``study.codelists`` to the codelists in use with their terms, and the CT standards they come from.

    ``facts``: per dataset, the text facts of its columns (terms then read from distinct values, not records).
    """
    from converters.sdtm.finalize import codelists_in_use

    pairs: list[tuple[pd.DataFrame, Dataset]] = [(frames[ds.name], ds) for ds in study.datasets if ds.name in frames]
    codelists: list[Codelist] = codelists_in_use(pairs, {}, facts)
    standards = {package: Standard("CDISC/NCI", ct.version, "CT", package) for package in ("SDTM", "ADaM")}
    used: set[str] = set()
    for codelist in codelists:
        try:
            package = "ADaM" if ct.codelist(codelist.nci_code or codelist.name).package == "adam" else "SDTM"
        except StandardsError:
            continue
        codelist.standard = standards[package].oid
        used.add(package)
    study.codelists = codelists
    study.standards = [s for s in study.standards if s.type != "CT"] + [standards[p] for p in ("SDTM", "ADaM")
                                                                      if p in used]
