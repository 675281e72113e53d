"""Calling a compiled kernel without numba's per-call type dispatch.

A call through the dispatcher works out the numba type of every argument first: for a State of
28 arrays that is about 2 of the 4 us a realtime learn spends on getting into each kernel. An
entry point is bound to one tuple of argument types, so callers must keep passing values of
exactly those types (numba does not check them again): the Network binds its one-sample
kernels once, to a table row (kernels/table.py) and to float32 rows such as it builds itself.
One difference is harmless: a read-only array is read exactly as a writable one (numba types
them apart, but unboxes both the same way), so the kernels' inputs may be read-only views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba.core.dispatcher import Dispatcher


def entry_point(kernel: Any, *example: Any) -> Callable[..., Any]:
    """`kernel`'s compiled code for arguments of the same types as `example` (compiled now if
    they are new; numba's cache makes that a load after the first run)."""
    assert isinstance(kernel, Dispatcher)
    types = tuple(kernel.typeof_pyval(value) for value in example)
    compiled: Any = kernel.overloads.get(types)
    if compiled is None:
        kernel.compile(types)
        compiled = kernel.overloads[types]
    function: Callable[..., Any] = compiled.entry_point
    return function
