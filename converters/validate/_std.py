"""Shared lookups for rules: the standard's variables for a dataset, codelists by code (cached)."""
from __future__ import annotations

from functools import lru_cache

from converters.errors import StandardsError
from converters.standards import CodelistInfo, StandardVariable, ct, sdtmig
from converters.validate.data import DatasetData

#: Values that stand for "no value" in flag variables that take only Y or null.
Y_OR_NULL = ("--BLFL", "--LOBXFL", "--DRVFL", "DTHFL", "--LLOQFL")


@lru_cache(maxsize=None)
def _variables(key: str) -> tuple[StandardVariable, ...]:
    return tuple(sdtmig.variables(key))


def standard_key(ds: DatasetData) -> str | None:
    """The SDTMIG dataset that describes ``ds`` (its own name, its domain for a split dataset, SUPPQUAL)."""
    for name in (ds.name, ds.domain):
        if sdtmig.has_dataset(name):
            return name
    return None


def standard_variables(ds: DatasetData) -> tuple[StandardVariable, ...]:
    """The SDTMIG variables of ``ds``'s domain in standard order (empty for a custom domain).

    For SUPP-- the generic SUPPQUAL variables; for a split dataset (e.g. QSCG) its domain's.
    """
    key = standard_key(ds)
    return _variables(key) if key else ()


@lru_cache(maxsize=None)
def codelist(code: str) -> CodelistInfo | None:
    try:
        return ct.codelist(code)
    except StandardsError:
        return None


@lru_cache(maxsize=None)
def allowed_values(codes: tuple[str, ...]) -> tuple[frozenset[str], bool, str]:
    """Union of submission values of the codelists, whether any is extensible, and their short names."""
    values: set[str] = set()
    extensible = False
    names = []
    for code in codes:
        info = codelist(code)
        if info is None:
            continue
        values |= info.submission_values
        extensible = extensible or info.extensible
        names.append(info.name)
    return frozenset(values), extensible, "/".join(names)


#: SDTMIG classes whose domains share the SDTM model's general-observation variables.
GENERAL_CLASSES = ("EVENTS", "FINDINGS", "FINDINGS ABOUT", "INTERVENTIONS")
#: Variables SDTMIG added after 3.2 (SDTMIG 3.3 DM: ARMNRS, ACTARMUD), as generic names; a folder that declares
#: an earlier version is not faulted for lacking them.
INTRODUCED = {"ARMNRS": "3.3", "ACTARMUD": "3.3"}


@lru_cache(maxsize=None)
def class_variables(dataset_class: str) -> frozenset[str]:
    """Generic names (``--DTC``) the SDTM model allows in a general-observation class, as SDTMIG 3.4 uses them.

    The union over the IG's domains of the class of their variables (a variable of one Events domain, such as
    MedDRA ``--HLT`` in AE, may be added to another, such as MH), plus the Timing and Identifier variables of
    every general class (SDTM v2.0 2.2.5: timing variables apply to all classes).  Empty for other classes.
    """
    wanted = dataset_class.upper()
    if wanted not in GENERAL_CLASSES:
        return frozenset()
    out: set[str] = set()
    for name in sdtmig.dataset_names():
        info = sdtmig.dataset(name)
        klass = info.dataset_class.upper()
        if klass not in GENERAL_CLASSES or len(name) != 2:
            continue
        for var in sdtmig.variables(name):
            if not var.name.startswith(name):
                continue
            generic = "--" + var.name[2:]
            if klass == wanted or (klass == "FINDINGS ABOUT" and wanted == "FINDINGS") or \
                    var.role in ("Timing", "Identifier"):
                out.add(generic)
    return frozenset(out)
