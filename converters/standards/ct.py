"""CDISC Controlled Terminology (bundled release): codelists, terms, and collected-value mapping."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from converters.errors import StandardsError
from converters.standards import _data

CT_VERSION = "2025-03-28"
#: Search order when a codelist is named without its package.
PACKAGES = ("sdtm", "adam", "define")
_SPACES = re.compile(r"\s+")


def normalise(value: str) -> str:
    """The key collected values are matched on: upper case, trimmed, inner white space folded."""
    return _SPACES.sub(" ", str(value).strip()).upper()


@dataclass(frozen=True)
class Term:
    code: str
    submission_value: str
    synonyms: tuple[str, ...]
    preferred_term: str


@dataclass(frozen=True)
class CodelistInfo:
    """A codelist of the bundled CT release."""

    code: str
    name: str  # CDISC submission value of the codelist, e.g. NY
    label: str
    extensible: bool
    package: str
    terms: tuple[Term, ...] = field(repr=False)

    @cached_property
    def submission_values(self) -> frozenset[str]:
        return frozenset(t.submission_value for t in self.terms)

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised submission value, synonym or NCI preferred term -> submission value.

        Submission values win over synonyms; a synonym shared by two terms is left out
        rather than guessed.
        """
        table: dict[str, str] = {}
        ambiguous: set[str] = set()
        for term in self.terms:
            for alias in (*term.synonyms, term.preferred_term):
                key = normalise(alias)
                if key in table and table[key] != term.submission_value:
                    ambiguous.add(key)
                table.setdefault(key, term.submission_value)
        for key in ambiguous:
            table.pop(key, None)
        table.update({normalise(t.submission_value): t.submission_value for t in self.terms})
        return table

    def term(self, submission_value: str) -> Term | None:
        for t in self.terms:
            if t.submission_value == submission_value:
                return t
        return None


class Terminology:
    """Lookups over the bundled CT release (SDTM, ADaM and Define-XML packages)."""

    def __init__(self, version: str = CT_VERSION) -> None:
        self.version = version
        #: one CodelistInfo per (package, code): its lookup tables (cached properties) are built once per process
        self._infos: dict[tuple[str, str], CodelistInfo] = {}

    @cached_property
    def _raw(self) -> dict:
        return _data.load(f"ct-{self.version}")

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], str]:
        return {(pkg, cl["name"].upper()): code
                for pkg in PACKAGES for code, cl in self._raw["packages"][pkg].items()}

    def _info(self, package: str, code: str) -> CodelistInfo:
        info = self._infos.get((package, code))
        if info is None:
            cl = self._raw["packages"][package][code]
            terms = tuple(Term(t[0], t[1], tuple(t[2]), t[3]) for t in cl["terms"])
            info = self._infos[(package, code)] = CodelistInfo(code, cl["name"], cl["label"], cl["extensible"],
                                                               package, terms)
        return info

    def codelist(self, key: str, package: str | None = None) -> CodelistInfo:
        """A codelist by NCI code (``C66742``) or short name (``NY``); SDTM first unless ``package`` is given."""
        wanted = key.strip()
        packages = (package,) if package else PACKAGES
        for pkg in packages:
            if wanted in self._raw["packages"][pkg]:
                return self._info(pkg, wanted)
            code = self._by_name.get((pkg, wanted.upper()))
            if code:
                return self._info(pkg, code)
        raise StandardsError(f"CDISC CT {self.version} has no codelist {key!r}",
                             hint="name a codelist by its short name (e.g. NY, AESEV) or NCI code (e.g. C66742); "
                                  "'cdisc-convert standards codelists' lists them")

    def has_codelist(self, key: str, package: str | None = None) -> bool:
        try:
            self.codelist(key, package)
        except StandardsError:
            return False
        return True

    def codelists(self, package: str | None = None) -> list[CodelistInfo]:
        """Every codelist of one package, or of all packages, by short name."""
        packages = (package,) if package else PACKAGES
        return sorted((self._info(pkg, code) for pkg in packages for code in self._raw["packages"][pkg]),
                      key=lambda c: (c.name, c.package))

    def to_submission_value(self, codelist: str, value: str) -> str | None:
        """The submission value a collected value or synonym stands for, or None when it maps to none."""
        return self.codelist(codelist).lookup.get(normalise(value))
