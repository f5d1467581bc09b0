"""The command-line options of the per-batch plan, shared by ``sdtm`` and ``run`` (``docs/scale.md``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from converters.engine import DEFAULT_BATCH_SUBJECTS, ENGINES, Engine, get_engine

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class BatchOptions:
    """Subjects per batch and where the batches run; the output is the same bytes whatever they are."""

    batch_subjects: int = DEFAULT_BATCH_SUBJECTS
    engine: str = "local"
    scheduler: str | None = None

    def start(self) -> Engine:
        """The engine (a Dask client connects or a local cluster starts here); close it when done."""
        return get_engine(self.engine, self.scheduler)


def batch_options(command: F) -> F:
    """``--batch-subjects``, ``--engine`` and ``--scheduler`` on a command (arguments of the same names)."""
    command = click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) for --engine dask; default a "
             "local cluster on this machine.")(command)
    command = click.option(
        "--engine", type=click.Choice(list(ENGINES)), default="local", show_default=True,
        help="Where the batches run: this process, or Dask (needs pip install 'cdisc-convert[dask]').")(command)
    command = click.option(
        "--batch-subjects", type=click.IntRange(min=1), default=DEFAULT_BATCH_SUBJECTS, show_default=True,
        metavar="N", help="Subjects per batch: memory follows the batch size, not the study; the output is the "
                          "same whatever N is.")(command)
    return command
