"""Bundled SDTMIG 3.4, ADaMIG 1.3 and CDISC CT 2025-03-28, with lookups.

    from converters.standards import sdtmig, adamig, ct
    sdtmig.variables("AE")             # StandardVariable list in SDTMIG order
    ct.codelist("NY").terms            # terms with NCI codes
    ct.to_submission_value("SEX", "male")  # -> "M"

The data is package data built from the reference files by
``scripts/build_standards.py``; nothing outside the package is read.
"""
from converters.standards.ct import CT_VERSION, CodelistInfo, Term, Terminology, normalise
from converters.standards.ig import ImplementationGuide, StandardDataset, StandardVariable

sdtmig = ImplementationGuide("sdtmig-3.4")
adamig = ImplementationGuide("adamig-1.3")
ct = Terminology(CT_VERSION)

__all__ = [
    "CT_VERSION", "CodelistInfo", "ImplementationGuide", "StandardDataset", "StandardVariable", "Term",
    "Terminology", "adamig", "ct", "normalise", "sdtmig",
]
