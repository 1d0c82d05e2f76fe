"""The trainer's malloc settings: freed blocks are reused instead of faulted in again (glibc only)."""

from __future__ import annotations

import platform
import resource
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc malloc settings")

# In a fresh process: malloc, touch and free 256 MiB 3 times; print the minor page faults of the last 2.
SCRIPT = """
import ctypes, resource, sys
from toolsmith.shared.heap import release_freed_memory, reuse_freed_memory
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] != "default":
    assert reuse_freed_memory()
if sys.argv[1] == "released":
    release_freed_memory()
def once():
    block = libc.malloc(256 << 20)
    ctypes.memset(block, 1, 256 << 20)
    libc.free(block)
once()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
once()
once()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
PAGES = 2 * (256 << 20) // resource.getpagesize()  # the pages of the last 2 blocks


def faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


def test_freed_blocks_are_reused_instead_of_faulted_in_again() -> None:
    if faults("default") < PAGES * 0.9:  # e.g. transparent huge pages always on, or malloc tuned by environment
        pytest.skip("this machine's malloc does not fault a freed 256 MiB block in again: nothing to show")
    assert faults("reuse") < PAGES * 0.05
    assert faults("released") > PAGES * 0.9  # after training: glibc's thresholds again
