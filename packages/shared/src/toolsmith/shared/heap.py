"""glibc malloc settings for training: keep freed activations in the heap instead of fresh pages every step.

A training step allocates and frees gigabytes of activations. By default glibc serves a block over its mmap
threshold (dynamic, at most 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``, and it trims the heap's
free top past its trim threshold, so every step faults in and zeroes much of the same memory again (lint,
batch 8 on the 270M base: 1.6 million minor page faults a step). Raising both thresholds keeps freed blocks for
the next step. Same-day step benches: lint's steps took 19% less time, test's 12%, with 56-85% fewer faults (not
all: torch's aligned allocations still fault some), at 2-4 GiB more peak memory (``make train-all``: 22.6 GiB
peak, against 19.8 before; ``docs/performance.md``, "Stop 34"). Worker threads' arenas are capped at 64 MiB a
heap, so their larger blocks are still mapped anew.
:func:`release_freed_memory` fixes both thresholds at glibc's initial 128 KiB after training (the dynamic
threshold stays off) and returns the free memory; :func:`freed_memory_reused` does both around a block.
Elsewhere (not glibc) nothing changes.
"""

from __future__ import annotations

import ctypes
import logging
import platform
from collections.abc import Iterator
from contextlib import contextmanager

from toolsmith.shared.constants import MALLOC_DEFAULT_THRESHOLD, MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD

log = logging.getLogger(__name__)

# mallopt parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _glibc() -> ctypes.CDLL | None:
    """The C library already loaded in this process (as ``isolate`` reaches it), when it is glibc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(None)


def reuse_freed_memory() -> bool:
    """Keep freed blocks (up to ``MALLOC_MMAP_THRESHOLD`` each) in the heap for reuse.

    Returns:
        True when glibc took both thresholds; False elsewhere, or when it refused one (older glibc caps the mmap
        threshold at 32 MiB; the defaults then stay as they were).
    """
    libc = _glibc()
    if libc is None:
        log.info("no glibc: malloc settings left as they are")
        return False
    if not libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD):
        log.warning(
            "expected glibc to take M_MMAP_THRESHOLD=%d, got a refusal: default thresholds", MALLOC_MMAP_THRESHOLD
        )
        return False
    if not libc.mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD):
        log.warning("expected glibc to take M_TRIM_THRESHOLD=%d, got a refusal", MALLOC_TRIM_THRESHOLD)
    return True


def release_freed_memory() -> None:
    """Fix both thresholds at glibc's initial 128 KiB and return the heap's free memory (``malloc_trim``)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_DEFAULT_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, MALLOC_DEFAULT_THRESHOLD)
        libc.malloc_trim(0)


@contextmanager
def freed_memory_reused() -> Iterator[None]:
    """:func:`reuse_freed_memory` inside; :func:`release_freed_memory` after (exceptions included) if it took."""
    taken = reuse_freed_memory()
    try:
        yield
    finally:
        if taken:
            release_freed_memory()
