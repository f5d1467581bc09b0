"""Implementation-guide metadata (SDTMIG 3.4, ADaMIG 1.3): datasets and their variables in standard order."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from converters.errors import StandardsError
from converters.metadata.model import Variable
from converters.standards import _data

#: Numeric variables whose values are whole numbers by definition.
_INTEGER_NAME = re.compile(r"(SEQ|DY|REPNUM|BEATNO|TAETORD|TDORDER|TDNUMRPT|LLTCD|PTCD|HLTCD|HLGTCD|SOCCD|BDSYCD)$")
#: Described value domains that fix the Define-XML data type of a character variable.
_VALUE_DOMAIN_TYPES = {
    "ISO 8601 datetime or interval": "datetime",
    "ISO 8601 duration": "durationDatetime",
    "ISO 8601 duration or interval": "durationDatetime",
}


@dataclass(frozen=True)
class StandardVariable:
    """A variable as the implementation guide defines it."""

    dataset: str
    order: int
    name: str
    label: str
    type: str  # Char or Num
    role: str  # SDTM role, or the ADaM variable set
    core: str  # Req, Exp, Perm (SDTM); Req, Cond, Perm (ADaM)
    codelist_codes: tuple[str, ...]
    value_domain: str
    value_list: str

    @property
    def data_type(self) -> str:
        """The Define-XML data type the standard implies (numbers: integer where whole by definition)."""
        if self.type == "Num":
            return "integer" if _INTEGER_NAME.search(self.name) else "float"
        return _VALUE_DOMAIN_TYPES.get(self.value_domain, "text")

    @property
    def codelist(self) -> str | None:
        """Short name of the first CT codelist the guide names (e.g. ``NY``), if any."""
        if not self.codelist_codes:
            return None
        from converters.standards import ct

        try:
            return ct.codelist(self.codelist_codes[0]).name
        except StandardsError:
            return self.codelist_codes[0]

    def to_variable(self) -> Variable:
        """This standard variable as a metadata-model Variable (no origin, no length yet)."""
        return Variable(name=self.name, label=self.label, data_type=self.data_type, core=self.core,
                        role=self.role, codelist=self.codelist, order=self.order)


@dataclass(frozen=True)
class StandardDataset:
    name: str
    label: str
    dataset_class: str
    structure: str


class ImplementationGuide:
    """Lookups over one bundled implementation guide."""

    def __init__(self, resource: str) -> None:
        self._resource = resource

    @cached_property
    def _raw(self) -> dict:
        return _data.load(self._resource)

    @property
    def name(self) -> str:
        return self._raw["name"]

    @property
    def version(self) -> str:
        return self._raw["version"]

    def dataset_names(self) -> list[str]:
        """Names of the datasets (ADaM: data structures) the guide defines."""
        return sorted(self._raw["datasets"])

    def _key(self, domain: str) -> str:
        """The guide's dataset key for ``domain``: SUPPxx -> SUPPQUAL, ADaM names -> ADSL or BDS."""
        name = domain.upper()
        table = self._raw["variables"]
        if name in table:
            return name
        if name.startswith("SUPP") and "SUPPQUAL" in table:
            return "SUPPQUAL"
        if self.name == "ADaMIG":
            return "ADSL" if name == "ADSL" else "BDS"
        raise StandardsError(f"{self.name} {self.version} has no dataset {domain!r}",
                             hint=f"known datasets: {', '.join(self.dataset_names())}")

    def has_dataset(self, domain: str) -> bool:
        try:
            self._key(domain)
        except StandardsError:
            return False
        return True

    def dataset(self, domain: str) -> StandardDataset:
        """Label, class and structure of ``domain`` (SUPP-- datasets are SUPPQUAL with their own label)."""
        key = self._key(domain)
        info = self._raw["datasets"].get(key, {})
        label = info.get("label", "")
        if key == "SUPPQUAL" and domain.upper() != "SUPPQUAL":
            label = f"Supplemental Qualifiers for {domain.upper()[4:]}"
        return StandardDataset(domain.upper(), label, info.get("class", ""), info.get("structure", ""))

    def variables(self, domain: str) -> list[StandardVariable]:
        """Variables of ``domain`` in the guide's order."""
        key = self._key(domain)
        return [StandardVariable(key, r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), r[7], r[8])
                for r in self._raw["variables"][key]]

    def variable(self, domain: str, name: str) -> StandardVariable:
        """One variable of ``domain``; StandardsError naming the domain if the guide has none."""
        for var in self.variables(domain):
            if var.name == name.upper():
                return var
        raise StandardsError(f"{self.name} {self.version} defines no variable {name!r} in {domain.upper()}")

    def find_variable(self, name: str) -> list[StandardVariable]:
        """Every dataset's definition of a variable called ``name``."""
        name = name.upper()
        return [StandardVariable(key, r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), r[7], r[8])
                for key, rows in sorted(self._raw["variables"].items()) for r in rows if r[1] == name]
