"""One exception family for everything a user can get wrong.

Every error names where the problem is (spec file and line, raw file, row and
column, dataset and variable) and says what to do.  The CLI prints these
without a traceback and exits non-zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Location:
    """Where a problem sits: any of spec file/line, data file/row/column, dataset/variable."""

    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    dataset: str | None = None
    variable: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.dataset:
            parts.append(f"dataset {self.dataset}")
        if self.variable:
            parts.append(f"variable {self.variable}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass
class CdiscConvertError(Exception):
    """Base of all user-facing errors: a message, where it happened, and a hint."""

    message: str
    where: Location = field(default_factory=Location)
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        loc = str(self.where)
        text = f"{loc}: {self.message}" if loc else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class SpecError(CdiscConvertError):
    """A mapping spec or study definition is wrong (names spec file and line)."""


class DataError(CdiscConvertError):
    """Raw or SDTM data cannot be read or processed (names file, row, column)."""


class TransportError(CdiscConvertError):
    """A dataset breaks a transport-format rule (XPT v5 or Dataset-JSON)."""


class StandardsError(CdiscConvertError):
    """A lookup in the bundled standards or controlled terminology failed."""
