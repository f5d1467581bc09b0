"""The per-batch plan on Dask: each batch of subjects (a partition keyed by USUBJID) is one task.

Uses ``dask.distributed``: a ``LocalCluster`` on this machine by default, or the scheduler at ``--scheduler``
(its workers need this version of cdisc-convert installed). Results come back in batch order, so the merged
build is the same bytes as the local engine's.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from converters.errors import CdiscConvertError, Location

R = TypeVar("R")
#: batches handed to the cluster ahead of the one being merged (bounds what waits in memory)
AHEAD = 4


def missing_dask() -> CdiscConvertError:
    return CdiscConvertError("--engine dask needs Dask, which is not installed", Location(),
                             hint="pip install 'cdisc-convert[dask]' (dask and distributed), or use --engine local")


class DaskEngine:
    """Batches as tasks on a Dask cluster (a local one when no scheduler address is given)."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise missing_dask() from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise CdiscConvertError(f"cannot reach the Dask scheduler at {scheduler}: {exc}", Location(),
                                        hint="check the address (tcp://host:8786) and that the scheduler runs"
                                        ) from None
        else:
            count = workers or min(4, os.cpu_count() or 1)
            self.cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        self.name = f"dask ({self.client.scheduler.address})" if self.client.scheduler else "dask"

    def map(self, fn: Callable[..., R], items: Iterable[Any], *args: Any) -> Iterator[R]:
        """``fn(item, *args)`` for each item as a Dask task; results in item order, a few tasks ahead."""
        shared = [self.client.scatter(a, broadcast=True) for a in args]
        pending = []
        for item in items:
            pending.append(self.client.submit(fn, item, *shared, pure=False))
            if len(pending) > AHEAD:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
