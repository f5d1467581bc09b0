"""Give the memory a stage has freed back to the operating system.

pandas and numpy free a column's array when the last frame holding it goes, but glibc's allocator keeps most of
that memory in the process's heap for reuse (arrays of a few MB are served from the heap once a freed one raised
its mmap threshold), so the resident size stays at its high mark and the next dataset's peak stacks on top.  The
ADaM build lets go of each SDTM dataset after its last reader and of each ADaM dataset once written, the validator
of each dataset once checked; only ``malloc_trim`` makes that visible to the machine.  Dask's workers trim the
same way.  Elsewhere (macOS, Windows, musl) this does nothing.
"""
from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # no glibc (musl has no malloc_trim)
        return None
    return trim


def release_free_memory() -> bool:
    """Return the heap's free memory to the operating system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
