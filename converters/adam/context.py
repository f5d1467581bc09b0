"""What a verb sees besides its frame: the SDTM folder, the ADaM datasets built so far, and the provenance log."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from converters.adam.sources import SdtmFolder
from converters.errors import DataError, Location


@dataclass
class Provenance:
    """Where one ADaM variable comes from: its Define-XML origin, predecessor, method text and source variables."""

    origin: str  # Predecessor, Derived, Assigned
    predecessor: str | None = None
    method: str | None = None
    sources: tuple[str, ...] = ()


@dataclass
class AdamContext:
    """The inputs of a dataset's derivations and what they say about the variables they make."""

    sdtm: SdtmFolder
    built: dict[str, pd.DataFrame] = field(default_factory=dict)
    dataset_name: str = ""
    spec_file: str = ""
    line: int | None = None
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def dataset(self, name: str) -> pd.DataFrame:
        """An ADaM dataset built earlier in this run, else the SDTM domain with its SUPP-- merged.

        The frame is shared: verbs select and merge from it but never modify it in place.
        """
        key = name.upper()
        if key in self.built:
            return self.built[key]
        if self.sdtm.has(key):
            return self.sdtm.dataset(key)
        raise DataError(f"{self.dataset_name} reads {key}, which is neither in the SDTM folder nor an ADaM dataset "
                        "built before it", Location(self.spec_file, self.line),
                        hint=f"SDTM datasets found: {', '.join(sorted(self.sdtm.frames))}")

    def require(self, frame: pd.DataFrame, names: list[str] | tuple[str, ...], where: str) -> None:
        """DataError naming the spec line when ``frame`` (``where``) lacks a variable a step needs."""
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise DataError(f"{self.dataset_name}: {where} has no variable {', '.join(missing)}",
                            Location(self.spec_file, self.line),
                            hint="derive it in an earlier step or correct the variable name")

    def note_parameter(self, variable: str, text: str) -> None:
        """Add one parameter's derivation of ``variable`` to its method text (BDS variables derived per PARAMCD)."""
        before = self.provenance.get(variable)
        if before is not None and before.origin == "Derived" and before.method:
            text = f"{before.method} {text}"
        self.note(variable, "Derived", method=text)

    def note(self, variable: str, origin: str, *, predecessor: str | None = None, method: str | None = None,
             sources: tuple[str, ...] = ()) -> None:
        """Record where ``variable`` comes from (a later note for the same variable replaces an earlier one)."""
        self.provenance[variable] = Provenance(origin, predecessor, method, sources)
