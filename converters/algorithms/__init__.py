"""The algorithms and derivations that fill SDTM and ADaM variables: one registry shared by both standards.

Each algorithm is one registered :class:`~converters.algorithms.registry.Algorithm` (its options model, the phase it
runs in, how it fills, the origin it implies and the method text it writes for the define). The spec loaders, the
JSON Schema for editors, the docs table and Define-XML method text all read the registry, so adding an algorithm
touches one module.
"""
from converters.algorithms.registry import (
    PHASES,
    Algorithm,
    algorithm,
    algorithms,
    register,
)

__all__ = ["PHASES", "Algorithm", "algorithm", "algorithms", "register"]
