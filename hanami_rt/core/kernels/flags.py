"""The one place for numba flags: every kernel is compiled with `jit` (or `jit_short`) from here.

nogil lets the server run kernels of different clusters on worker threads at once (`jit_short`
keeps the GIL, for kernels too short to be worth handing it over); cache keeps the compiled code
on disk so a restart pays no JIT; fastmath stays off so the same seed, template and inputs give
the same network bit for bit on every machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

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
