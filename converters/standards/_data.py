"""Load the bundled standards package data (built by ``scripts/build_standards.py``)."""
from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources

from converters.errors import StandardsError


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The parsed content of ``converters/standards/data/<name>.json.gz``."""
    resource = resources.files("converters.standards").joinpath("data", f"{name}.json.gz")
    try:
        with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise StandardsError(f"bundled standard {name!r} is missing from the installation",
                             hint="reinstall cdisc-convert, or run scripts/build_standards.py in a checkout") from exc
