"""The few LLVM-level operations numba has no spelling for: the one place for them.

A cache prefetch (forward/backward), atomic loads, stores and exchanges on int64 arrays (the
rings of kernels/native.py, shared with the event loop), raw pointers to arrays, and the libc
calls a native thread makes without the GIL (eventfd reads and writes, its CPU clock). libc's
functions are declared by symbol name, so compiled code holds no ctypes globals and numba can
still cache it; LLVM's JIT resolves them in the running process, which always has libc loaded.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_BYTE_PTR = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def _prefetch(typingctx: Any, array: Any, row: Any, col: Any) -> tuple[Any, Any]:
    """prefetch(array, row, col) starts loading the cache line of a 2-d C-contiguous
    array[row, col] into L1 (x86 prefetcht0). A hint only: it changes no value and cannot
    fault, whatever the address."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0])
        row, col = (context.cast(builder, args[i], sig.args[i], types.intp) for i in (1, 2))
        offset = builder.add(
            builder.mul(row, builder.extract_value(data.strides, 0)),
            builder.mul(col, builder.extract_value(data.strides, 1)),
        )
        fnty = ir.FunctionType(ir.VoidType(), [_BYTE_PTR, _I32, _I32, _I32])
        function = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")  # type: ignore[no-untyped-call]
        address = builder.gep(builder.bitcast(data.data, _BYTE_PTR), [offset])
        builder.call(function, [address, _I32(0), _I32(3), _I32(1)])  # read, keep close, data
        return context.get_dummy_value()

    return types.void(array, row, col), codegen


def _slot(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    """The address of int64 array[index] (1-d, no wraparound)."""
    array = context.make_array(sig.args[0])(context, builder, args[0])
    index = context.cast(builder, args[1], sig.args[1], types.intp)
    return cgutils.get_item_pointer(context, builder, sig.args[0], array, [index], False)  # type: ignore[no-untyped-call]


def _atomic_load(typingctx: Any, array: Any, index: Any) -> tuple[Any, Any]:
    """array[index] read with acquire order: what was written before the matching release
    store is visible after it, and the load is never hoisted out of a loop."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.load_atomic(_slot(context, builder, sig, args), "acquire", 8)

    return types.int64(array, index), codegen


def _atomic_store(typingctx: Any, array: Any, index: Any, value: Any) -> tuple[Any, Any]:
    """array[index] = value with release order: every earlier write is visible first."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        value = context.cast(builder, args[2], sig.args[2], types.int64)
        builder.store_atomic(value, _slot(context, builder, sig, args), "release", 8)
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


def _atomic_swap(typingctx: Any, array: Any, index: Any, value: Any) -> tuple[Any, Any]:
    """Set array[index] = value and return the old value, sequentially consistent (a locked
    xchg on x86: a full barrier, which a store followed by a load of another word needs)."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        value = context.cast(builder, args[2], sig.args[2], types.int64)
        pointer = _slot(context, builder, sig, args)
        return builder.atomic_rmw("xchg", pointer, value, "seq_cst")

    return types.int64(array, index, value), codegen


def _pointer_to(kind: Any) -> Any:
    """An intrinsic turning an integer address into a numba pointer to `kind` (for carray)."""

    def typer(typingctx: Any, address: Any) -> tuple[Any, Any]:
        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            target = context.get_value_type(types.CPointer(kind))  # type: ignore[no-untyped-call]
            return builder.inttoptr(args[0], target)

        pointer = types.CPointer(kind)  # type: ignore[no-untyped-call]
        return pointer(address), codegen

    return intrinsic(typer)


def _libc_codegen(name: str, returns: Any) -> Any:
    """Code calling libc `name`(int, void *[, int64]) -> `returns` (an LLVM int type), widened
    to int64; the address arrives as an integer."""

    def codegen(context: Any, builder: Any, sig: Any, values: Any) -> Any:
        fnty = ir.FunctionType(returns, [_I32, _BYTE_PTR] + [_I64] * (len(values) - 2))
        function = cgutils.get_or_insert_function(builder.module, fnty, name)  # type: ignore[no-untyped-call]
        pairs = zip(values, sig.args, strict=True)
        ints = [context.cast(builder, v, t, types.int64) for v, t in pairs]
        call = [builder.trunc(ints[0], _I32), builder.inttoptr(ints[1], _BYTE_PTR), *ints[2:]]
        result = builder.call(function, call)
        return builder.sext(result, _I64) if returns is not _I64 else result

    return codegen


def _libc_io(name: str) -> Any:
    """read or write(fd, address, count) -> ssize_t."""

    def typer(typingctx: Any, fd: Any, address: Any, count: Any) -> tuple[Any, Any]:
        return types.int64(fd, address, count), _libc_codegen(name, _I64)

    return intrinsic(typer)


def _clock_gettime(typingctx: Any, clock: Any, address: Any) -> tuple[Any, Any]:
    """clock_gettime(clock id, address of two int64: seconds, nanoseconds) -> int."""
    return types.int64(clock, address), _libc_codegen("clock_gettime", _I32)


prefetch: Any = intrinsic(_prefetch)
atomic_load: Any = intrinsic(_atomic_load)
atomic_store: Any = intrinsic(_atomic_store)
atomic_swap: Any = intrinsic(_atomic_swap)
POINTERS: dict[str, Any] = {
    name: _pointer_to(getattr(types, name))
    for name in ("float64", "float32", "int64", "int32", "int8", "uint8", "uint64")
}
"""Address -> pointer intrinsics by numpy dtype name."""
libc_read: Any = _libc_io("read")
"""read(fd, address, count): blocks on a blocking fd; called only without the GIL."""
libc_write: Any = _libc_io("write")
"""write(fd, address, count)."""
libc_clock_gettime: Any = intrinsic(_clock_gettime)
