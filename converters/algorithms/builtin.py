"""Imports every module that registers built-in algorithms, so the registry is whole once it is first read.

Each SDTM algorithm and each ADaM derivation lives in a module of its own name and calls ``register`` on import;
add the new module's import here.
"""
from converters.sdtm import derivations  # noqa: F401  (the SDTM named derivations, used through ``derive``)
