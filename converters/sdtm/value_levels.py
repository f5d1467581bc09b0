"""Value-level metadata of a variable whose meaning depends on a supplemental qualifier of the record, from
study.yaml ``value_level``:

```yaml
value_level:
  - {dataset: AE, variable: AETOXGR, by: AEDECOD, qualifier: AETOXSCL}
```

AETOXGR holds grades on two scales (ASTCT 2019 for CRS and ICANS, CTCAE v5.0 for the rest) and SUPPAE AETOXSCL
names the scale of each record. Define-XML where-clauses test variables of the dataset itself, so each scale
becomes one value-level entry of AETOXGR: ``AEDECOD IN (<the terms graded on it>)``, described by a comment
``<variable> on the <scale> scale`` (def:CommentDef, OID ``COM.<dataset>.<variable>.<n>``). The variable gets the
value list ``VL.<dataset>.<variable>``. Runs as a built-in builder after the domains; builds no dataset.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from converters.errors import Location, SpecError
from converters.metadata.model import Comment, ValueLevel, WhereCondition
from converters.sdtm.trial_design._common import rows


def _scale_terms(parent: pd.DataFrame, supp: pd.DataFrame, by: str, qualifier: str, seq: str) -> dict[str, list[str]]:
    """Qualifier value -> sorted distinct ``by`` values of the records that carry it."""
    q = supp[supp["QNAM"] == qualifier]
    linked = parent[["USUBJID", seq, by]].assign(_k=pd.to_numeric(parent[seq], errors="coerce")).merge(
        pd.DataFrame({"USUBJID": q["USUBJID"].to_numpy(), "_k": pd.to_numeric(q["IDVARVAL"], errors="coerce"),
                      "QVAL": q["QVAL"].to_numpy()}), on=["USUBJID", "_k"])
    linked = linked.dropna(subset=[by, "QVAL"])
    return {str(k): sorted(set(g[by].astype(str))) for k, g in linked.groupby("QVAL", sort=True)}


def add_value_levels(context: Any) -> list[Any]:
    """Add the value-level entries study.yaml ``value_level`` asks for to the built datasets' metadata."""
    study = context.study
    for node, line in rows(study, "value_level"):
        try:
            dataset, variable, by, qualifier = (str(node[k]) for k in ("dataset", "variable", "by", "qualifier"))
        except KeyError as exc:
            raise SpecError(f"value_level: each row needs dataset, variable, by and qualifier (missing {exc})",
                            Location(str(study.path), line)) from None
        built, supp = context.domains.get(dataset), context.domains.get(f"SUPP{dataset}")
        if built is None or supp is None or variable not in built.frame or by not in built.frame:
            continue
        var = next((v for v in built.dataset.variables if v.name == variable), None)
        if var is None:
            continue
        terms = _scale_terms(built.frame, supp.frame, by, qualifier, f"{dataset}SEQ")
        entries = []
        for n, (scale, values) in enumerate(terms.items(), start=1):
            oid = f"COM.{dataset}.{variable}.{n}"
            context.comments[oid] = Comment(oid, f"{variable} on the {scale} scale ({dataset}.{by} of the records "
                                                 f"whose SUPP{dataset}.{qualifier} is {scale})")
            item = dataclasses.replace(var, comment=oid, value_list=None, key_sequence=None)
            entries.append(ValueLevel(variable, (WhereCondition(dataset, by, "IN", tuple(values)),), item))
        if entries:
            built.dataset.value_level = [*built.dataset.value_level, *entries]
            var.value_list = f"VL.{dataset}.{variable}"
    return []
