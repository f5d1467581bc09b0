"""Imports every module that registers built-in algorithms, so the registry is whole once it is first read.

Each SDTM algorithm and each ADaM derivation lives in a module of its own name and calls ``register`` on import;
add the new module's import here.
"""
