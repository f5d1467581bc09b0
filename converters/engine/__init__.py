"""Where a build's per-batch plan runs: in this process (``local``) or on a Dask cluster (``dask``).

A build partitions its raw forms by subject (``converters.engine.batches``), runs the subject-local steps of each
batch with ``Engine.map`` and merges the batches in subject order, so the output is the same bytes whatever the
batch size and whichever engine ran the batches (``docs/scale.md``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from converters.errors import CdiscConvertError, Location

T = TypeVar("T")
R = TypeVar("R")

#: subjects per batch when none is given: measured on both example studies at 10,000 and 50,000 subjects
#: (docs/scale.md); larger batches save little time and cost memory in proportion.
DEFAULT_BATCH_SUBJECTS = 5000
ENGINES = ("local", "dask")


class Engine(Protocol):
    """Runs one function over the batches; results come back in batch order."""

    name: str

    def map(self, fn: Callable[..., R], items: Iterable[Any], *args: Any) -> Iterator[R]:
        ...

    def close(self) -> None:
        ...


class LocalEngine:
    """The batches one after the other in this process; each batch's input can be freed once it is done."""

    name = "local"

    def map(self, fn: Callable[..., R], items: Iterable[Any], *args: Any) -> Iterator[R]:
        for item in items:
            yield fn(item, *args)

    def close(self) -> None:
        return None


def get_engine(name: str = "local", scheduler: str | None = None, workers: int | None = None) -> Engine:
    """The engine called ``name``; ``scheduler`` is the address of an existing Dask cluster (dask only)."""
    if name == "local":
        if scheduler:
            raise CdiscConvertError("--scheduler is for --engine dask", Location(),
                                    hint="add --engine dask, or leave out --scheduler")
        return LocalEngine()
    if name == "dask":
        from converters.engine.dask import DaskEngine

        return DaskEngine(scheduler, workers)
    raise CdiscConvertError(f"unknown engine {name!r}", Location(), hint=f"one of: {', '.join(ENGINES)}")
