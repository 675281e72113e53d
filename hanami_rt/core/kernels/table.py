"""A State by address: one int64 table row holds each array's data address and length.

Handing a kernel a State unboxes its 28 arrays on every call (~0.85 us) and makes the kernel
count references on them as it passes them on. A table row is one array; `state_at` rebuilds
the State from it as views that own nothing and count nothing. On the realtime path that took
~1.7 us off a learn's forward pass and ~1.2 us off its backward pass (MNIST-sized network).

The price is the caller's: the State a row was written from must stay alive, and keep its
arrays, for as long as a kernel may use the row. `Network.binding` keeps the State it wrote its
row from next to the row and writes a fresh row whenever its State changes; the native threads
(service/native.py) run on that same row, kept alive with their job.
"""

from __future__ import annotations

import numpy as np
from numba.np.numpy_support import carray

from hanami_rt.core.kernels.cycle import (
    checked_forward,
    infer_rows,
    learn_backward,
    learn_forward,
    learn_rows,
)
from hanami_rt.core.kernels.flags import jit
from hanami_rt.core.kernels.intrinsics import POINTERS
from hanami_rt.core.kernels.state import SLOTS, State

FIELDS = len(State._fields)
"""A table row: the data address of each State array, then each array's length."""

_f64, _f32 = POINTERS["float64"], POINTERS["float32"]
_i64, _i32, _i8 = POINTERS["int64"], POINTERS["int32"], POINTERS["int8"]
_u64, _u8 = POINTERS["uint64"], POINTERS["uint8"]


def new_table(rows: int) -> np.ndarray:
    """An empty table of `rows` rows."""
    return np.zeros((rows, 2 * FIELDS), dtype=np.int64)


def write_row(row: np.ndarray, state: State) -> None:
    """Describe `state` in a table row (the caller keeps `state` alive while it is used)."""
    for i, array in enumerate(state):
        assert array.flags.c_contiguous
        row[i], row[FIELDS + i] = array.ctypes.data, array.shape[0]


@jit
def state_at(table: np.ndarray, slot: int) -> State:
    """The State whose arrays the table row `slot` describes (views, owned elsewhere)."""
    a, n = table[slot], table[slot, FIELDS:]
    c = carray
    return State(
        c(_f64(a[0]), (n[0],), np.float64),
        c(_i64(a[1]), (n[1],), np.int64),
        c(_u64(a[2]), (n[2],), np.uint64),
        c(_i32(a[3]), (n[3],), np.int32),
        c(_i8(a[4]), (n[4],), np.int8),
        c(_i32(a[5]), (n[5],), np.int32),
        c(_i32(a[6]), (n[6],), np.int32),
        c(_i32(a[7]), (n[7],), np.int32),
        c(_f64(a[8]), (n[8],), np.float64),
        c(_f32(a[9]), (n[9],), np.float32),
        c(_f32(a[10]), (n[10],), np.float32),
        c(_i32(a[11]), (n[11],), np.int32),
        c(_f32(a[12]), (n[12],), np.float32),
        c(_i32(a[13]), (n[13],), np.int32),
        c(_i8(a[14]), (n[14],), np.int8),
        c(_i32(a[15]), (n[15],), np.int32),
        c(_i32(a[16]), (n[16],), np.int32),
        c(_i32(a[17]), (n[17],), np.int32),
        c(_i32(a[18]), (n[18],), np.int32),
        c(_f32(a[19]), (n[19],), np.float32),
        c(_i32(a[20]), (n[20],), np.int32),
        c(_i32(a[21]), (n[21],), np.int32),
        c(_i32(a[22]), (n[22],), np.int32),
        c(_i32(a[23]), (n[23],), np.int32),
        c(_f32(a[24]), (n[24], SLOTS), np.float32),
        c(_f32(a[25]), (n[25], SLOTS), np.float32),
        c(_u8(a[26]), (n[26], SLOTS), np.uint8),
        c(_u8(a[27]), (n[27], SLOTS), np.uint8),
    )


# The one-sample kernels of `Network`, each taking the first table row instead of a State.


@jit
def learn_forward_at(table: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """`learn_forward` on the State of table row 0."""
    learn_forward(state_at(table, 0), x, out)


@jit
def checked_forward_at(table: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> int:
    """`checked_forward` on the State of table row 0."""
    status: int = checked_forward(state_at(table, 0), x, y, out)
    return status


@jit
def learn_backward_at(table: np.ndarray, expected: np.ndarray) -> None:
    """`learn_backward` on the State of table row 0."""
    learn_backward(state_at(table, 0), expected)


@jit
def learn_rows_at(
    table: np.ndarray, inputs: np.ndarray, expected: np.ndarray, out: np.ndarray, first: int
) -> int:
    """`learn_rows` on the State of table row 0."""
    done: int = learn_rows(state_at(table, 0), inputs, expected, out, first)
    return done


@jit
def infer_rows_at(table: np.ndarray, inputs: np.ndarray, out: np.ndarray) -> None:
    """`infer_rows` on the State of table row 0."""
    infer_rows(state_at(table, 0), inputs, out)
