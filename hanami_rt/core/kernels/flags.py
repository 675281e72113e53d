"""The one place for numba flags: every kernel is compiled with `jit` (or `jit_short`) from here.

nogil lets the server run kernels of different clusters on worker threads at once (`jit_short`
keeps the GIL, for kernels too short to be worth handing it over); cache keeps the compiled code
on disk so a restart pays no JIT; fastmath stays off so the same seed, template and inputs give
the same network bit for bit on every machine.

numba stamps a function's cached code with a hash of the function's own file, yet a kernel
compiles the kernels it calls into itself: after an edit to forward.py, a cached `learn_rows`
(cycle.py) would still run the old forward pass. Here every kernel's cache is stamped with one
hash of all kernel files (and numba's version) instead, so editing any of them recompiles all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
from numba.core import caching

F = TypeVar("F", bound=Callable[..., Any])

FLAGS: dict[str, Any] = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}


def jit(function: F) -> F:
    """Compile `function` in nopython mode with the project's flags."""
    compiled: F = numba.njit(**FLAGS)(function)
    return compiled


def jit_short(function: F) -> F:
    """`jit` for kernels of about a microsecond, which keep the GIL: releasing it lets a
    waiting thread in, and taking it back can then cost more than the kernel itself."""
    compiled: F = numba.njit(**{**FLAGS, "nogil": False})(function)
    return compiled


KERNELS = Path(__file__).parent
"""The directory of every kernel source file."""


def fingerprint(directory: Path) -> bytes:
    """A hash of every `*.py` file in `directory` (names and contents) and numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


@functools.cache
def _stamp() -> bytes:
    return fingerprint(KERNELS)  # once a process: what it compiled, it compiled from these


class _KernelStamp:
    """A numba cache locator, for kernel files only, whose source stamp covers every kernel
    file (numba's stamps one file)."""

    def get_source_stamp(self) -> bytes:
        return _stamp()

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if Path(py_file).absolute().parent.resolve() != KERNELS.resolve():  # file links kept
            return None  # not a kernel: numba's own locators, unchanged
        return super().from_function(py_func, py_file)  # type: ignore[misc]


class KernelCacheInUserDir(_KernelStamp, caching.UserProvidedCacheLocator):
    """Under NUMBA_CACHE_DIR, when it is set (the container and the ansible role set it)."""


class KernelCacheInTree(_KernelStamp, caching.InTreeCacheLocator):
    """In __pycache__ next to the kernel files, when that is writable."""


class KernelCacheUserWide(_KernelStamp, caching.UserWideCacheLocator):
    """In the user's cache directory otherwise."""


# Ahead of numba's own locators in its default list, which it uses unless
# NUMBA_CACHE_LOCATOR_CLASSES is set (then the user's list stands). Not through numba.config:
# numba reloads its config when a NUMBA_* variable changed and would drop the setting, and
# other libraries' caches keep their own lists.
_DEFAULTS: list[Any] = caching.CacheImpl._locator_classes
_DEFAULTS[:0] = [cls for cls in _KernelStamp.__subclasses__() if cls not in _DEFAULTS]
