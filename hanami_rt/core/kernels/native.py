"""A worker thread that never takes the GIL: the loop `_serve` runs on a pthread of its own.

A Python worker thread needs the GIL to pick up every job and to hand back every result, and
a busy event loop holds it most of the time, so each hand-over waited for the loop (or woke a
halted core to take the GIL back and forth). `_serve`, compiled as a numba cfunc (`serve()`
gives its address), is started with `pthread_create` (service/native.py): it reads jobs from
a ring of int64 records in memory it shares with the event loop, runs `learn_rows` or
`infer_rows` on the State that the job's table row describes (the network's own row,
kernels/table.py), and marks the job done, all without touching a Python object.

Hand-over rules (single producer, the event loop; single consumer, the thread), with the
atomics of kernels/intrinsics.py:
- the loop fills a job record, then publishes it by raising TAIL (a swap: a full barrier),
  then reads SLEEPING and writes the job eventfd only when the thread is asleep;
- the thread sets SLEEPING (a swap) and looks at TAIL once more before it blocks in read(), so
  a job published meanwhile is never missed;
- the thread raises DONE (release) after a job's results, and writes the done eventfd only
  when NOTIFIED was 0; the loop resets NOTIFIED (a swap) before it reads DONE, so one wake-up
  settles every job done so far and none is left without one.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from numba import types
from numba.np.numpy_support import carray

from hanami_rt.core.kernels.cycle import infer_rows, learn_rows
from hanami_rt.core.kernels.intrinsics import (
    POINTERS,
    atomic_load,
    atomic_store,
    atomic_swap,
    libc_clock_gettime,
    libc_read,
    libc_write,
)
from hanami_rt.core.kernels.table import FIELDS, state_at

# the control block: int64[CONTROL]
TAIL, SLEEPING, DONE, NOTIFIED = 0, 1, 2, 3  # jobs published / thread asleep / jobs done / woken
JOB_FD, DONE_FD, JOBS, RING = 4, 5, 6, 7
SCRATCH, CLOCK = 8, 10  # 8 bytes for eventfd reads and writes; 16 for a timespec
DRAINED = 12  # jobs whose results the loop has taken (the loop's own count)
EXITED = 13  # 1 once the thread has ended
CONTROL = 14

# a job record: int64[JOB]
ROW, KIND, X, Y, OUT, N_IN, N_OUT, STATUS, CPU_NS = range(9)  # ROW: a table row's address
JOB = 9
LEARN, INFER, STOP = 0, 1, 2
FAILED = -1  # a job's status when its kernel raised (an allocation failed, say)

_CLOCK_THREAD_CPUTIME_ID = 3  # Linux

_f32, _i64 = POINTERS["float32"], POINTERS["int64"]


@numba.njit(cache=True, nogil=True)
def _thread_cpu_ns(control: np.ndarray, address: int) -> int:
    libc_clock_gettime(_CLOCK_THREAD_CPUTIME_ID, address + 8 * CLOCK)
    return int(control[CLOCK] * 1_000_000_000 + control[CLOCK + 1])


@numba.njit(cache=True, nogil=True)
def _run(job: np.ndarray) -> int:
    """Run one job; its status: 1 done, 0 a learn that found too few free rows (it did
    nothing), FAILED when a kernel raised. An exception must not leave the thread: numba would
    print it and end the thread, and every job behind it would wait forever."""
    try:
        st = state_at(carray(_i64(job[ROW]), (1, 2 * FIELDS), np.int64), 0)
        x = carray(_f32(job[X]), (1, job[N_IN]), np.float32)
        out = carray(_f32(job[OUT]), (1, job[N_OUT]), np.float32)
        if job[KIND] == LEARN:
            y = carray(_f32(job[Y]), (1, job[N_OUT]), np.float32)
            learned: int = learn_rows(st, x, y, out, 0)
            return learned
        infer_rows(st, x, out)
        return 1
    except Exception:  # noqa: BLE001 - reported to the loop as the job's status
        return FAILED


def _serve(address: int) -> int:
    """The thread's whole life: run jobs in ring order until a STOP job. `address` is the
    control block's (a pthread start routine's void * argument has this ABI on x86-64)."""
    control = carray(_i64(address), (CONTROL,), np.int64)
    ring = control[RING]
    jobs = carray(_i64(control[JOBS]), (ring, JOB), np.int64)
    scratch = address + 8 * SCRATCH
    head = 0
    while True:
        if atomic_load(control, TAIL) == head:
            atomic_swap(control, SLEEPING, 1)
            if atomic_load(control, TAIL) == head:
                libc_read(control[JOB_FD], scratch, 8)  # until the loop writes the eventfd
            atomic_store(control, SLEEPING, 0)
            continue
        job = jobs[head % ring]
        if job[KIND] == STOP:
            atomic_store(control, DONE, head + 1)
            atomic_store(control, EXITED, 1)
            return 0
        started = _thread_cpu_ns(control, address)
        job[STATUS] = _run(job)
        job[CPU_NS] = _thread_cpu_ns(control, address) - started
        head += 1
        atomic_store(control, DONE, head)
        if atomic_swap(control, NOTIFIED, 1) == 0:
            control[SCRATCH] = 1
            libc_write(control[DONE_FD], scratch, 8)


@functools.cache
def serve() -> int:
    """The address of `_serve` compiled as a C function: a pthread start routine. Compiled on
    first use (a cached load takes ~0.3 s, a first compile ~1.5 s), not at import."""
    compiled = numba.cfunc(types.int64(types.int64), cache=True)(_serve)
    address = compiled.address
    assert address is not None
    return address


@numba.njit(cache=True)
def publish(
    control: np.ndarray,
    jobs: np.ndarray,
    row: int,
    kind: int,
    x: int,
    y: int,
    out: int,
    n_in: int,
    n_out: int,
) -> int:
    """On the loop: append a job (row: a table row's address; x, y, out: addresses of float32
    rows); its sequence number, or -1 when every record is still in use."""
    tail = control[TAIL]
    ring = jobs.shape[0]
    if tail - control[DRAINED] >= ring:  # a record is reused only once its results are taken
        return -1
    job = jobs[tail % ring]
    job[ROW], job[KIND], job[X], job[Y], job[OUT] = row, kind, x, y, out
    job[N_IN], job[N_OUT], job[STATUS], job[CPU_NS] = n_in, n_out, 0, 0
    atomic_swap(control, TAIL, tail + 1)
    if atomic_load(control, SLEEPING) == 1:
        control[SCRATCH + 1] = 1
        libc_write(control[JOB_FD], control.ctypes.data + 8 * (SCRATCH + 1), 8)
    return int(tail)


@numba.njit(cache=True)
def rearm(control: np.ndarray) -> int:
    """On the loop, at a wake-up: let the next finished job write the done eventfd again, then
    return how many jobs are done."""
    atomic_swap(control, NOTIFIED, 0)
    done: int = atomic_load(control, DONE)
    return done
