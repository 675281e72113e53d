"""Realtime learns and infers on native threads that never take the GIL.

The thread side is `core/kernels/native._serve`. This side, on the event loop, publishes jobs
on each thread's ring, each with the address of its network's table row (`Network.binding`,
kept alive with the job together with the State it describes), and settles their futures when
the thread's done eventfd wakes the loop. One hand-over costs the loop a few microseconds and
the thread nothing else but the kernel: no GIL to wait for. Each network always runs on the
same thread, and its cluster's lock decides what may be in flight for it (one learn, or
infers) as for every other path.

Used by one event loop (each ring has a single producer): the first to submit binds it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
from collections import deque
from typing import Any

import numpy as np

from hanami_rt.core import Network
from hanami_rt.core.kernels.direct import entry_point
from hanami_rt.core.kernels.native import (
    CONTROL,
    CPU_NS,
    DONE_FD,
    DRAINED,
    EXITED,
    FAILED,
    INFER,
    JOB,
    JOB_FD,
    JOBS,
    LEARN,
    RING,
    STATUS,
    STOP,
    publish,
    rearm,
    serve,
)
from hanami_rt.core.network import Outputs
from hanami_rt.service.workers import run_to_end

_libc = ctypes.CDLL(None, use_errno=True)
_libc.pthread_create.argtypes = [ctypes.c_void_p] * 4
_libc.pthread_create.restype = ctypes.c_int
_libc.pthread_join.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
_libc.pthread_join.restype = ctypes.c_int

Done = tuple[int, float]
"""A finished job: its status (1 = done; 0 = a learn found too few free rows and did nothing;
FAILED = a kernel raised) and the CPU seconds the thread spent on it."""


class NoRoom(Exception):
    """A thread's ring is full, the threads are closed, or the caller's event loop is not the
    one they serve; the caller runs the work another way."""


class _Thread:
    """One native thread: its control block, job ring and eventfds, and the futures of its
    published jobs in ring order (with the arrays each job reads or writes, kept alive)."""

    def __init__(self, ring: int) -> None:
        self.control = np.zeros(CONTROL, dtype=np.int64)
        self.jobs = np.zeros((ring, JOB), dtype=np.int64)
        self.job_fd = os.eventfd(0, os.EFD_CLOEXEC)  # blocking: the thread sleeps in read()
        self.done_fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        c = self.control
        c[JOB_FD], c[DONE_FD], c[RING] = self.job_fd, self.done_fd, ring
        c[JOBS] = self.jobs.ctypes.data
        self.pending: deque[tuple[asyncio.Future[Done] | None, tuple[Any, ...]]] = deque()
        self.drained = 0
        # bound (and compiled or loaded) now: the loop's first job must not wait for numba
        self._publish = entry_point(publish, c, self.jobs, *(0,) * 7)
        self._rearm = entry_point(rearm, c)
        self._id = ctypes.c_ulong(0)
        failed = _libc.pthread_create(ctypes.byref(self._id), None, serve(), c.ctypes.data)
        if failed:
            os.close(self.job_fd)
            os.close(self.done_fd)
            raise OSError(failed, f"pthread_create failed: {os.strerror(failed)}")
        self.running = True

    def submit(
        self, loop: asyncio.AbstractEventLoop, job: tuple[int, ...], keep: tuple[Any, ...]
    ) -> asyncio.Future[Done]:
        """Publish one job (row, kind, x, y, out addresses, n_in, n_out)."""
        if self._publish(self.control, self.jobs, *job) < 0:
            raise NoRoom
        future: asyncio.Future[Done] = loop.create_future()
        self.pending.append((future, keep))
        return future

    def drain(self) -> None:
        """On the loop, when the done eventfd is readable: settle every finished job."""
        with contextlib.suppress(BlockingIOError):
            os.eventfd_read(self.done_fd)
        done = self._rearm(self.control)
        ring, jobs = self.jobs.shape[0], self.jobs
        while self.drained < done:
            record = jobs[self.drained % ring]
            result = (int(record[STATUS]), int(record[CPU_NS]) * 1e-9)
            self.drained += 1
            self.control[DRAINED] = self.drained
            future, _ = self.pending.popleft()
            if future is not None and not future.done():  # None: the stop job
                future.set_result(result)

    def stop(self) -> None:
        """Let the thread finish every published job, then end it (blocks until then)."""
        if not self.running:
            return
        self.running = False
        while self._publish(self.control, self.jobs, 0, STOP, 0, 0, 0, 0, 0) < 0:
            self.drain()  # a full ring: room appears as jobs finish
        self.pending.append((None, ()))
        _libc.pthread_join(self._id.value, None)  # ctypes lets go of the GIL meanwhile
        assert self.control[EXITED] == 1
        self.drain()
        os.close(self.job_fd)
        os.close(self.done_fd)


class NativeWorkers:
    """`threads` native threads for one event loop; see the module docstring."""

    def __init__(self, threads: int, *, ring: int = 256) -> None:
        self._threads: list[_Thread] = []
        try:
            for _ in range(threads):
                self._threads.append(_Thread(ring))
        except BaseException:
            for started in self._threads:  # they must not outlive the arrays they read
                started.stop()
            raise
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        atexit.register(self.close)  # a thread must not outlive the arrays it reads

    @property
    def jobs_done(self) -> int:
        """Jobs finished and settled so far (all threads)."""
        return sum(thread.drained for thread in self._threads)

    def usable(self) -> bool:
        """True on the loop this is bound to (any loop before the first job) until closed."""
        if self.closed:
            return False
        return self._loop is None or self._loop is asyncio.get_running_loop()

    async def learn(self, network: Network, x: np.ndarray, y: np.ndarray) -> tuple[Outputs, float]:
        """Learn the prepared rows (`Network.prepare_learn`); the outputs and CPU seconds.
        Runs to its end even when the awaiting task is cancelled (the caller holds the
        cluster lock until then); NoRoom before anything started."""
        out = np.empty(network.output_width, dtype=np.float32)
        status, seconds = await self._run(network, LEARN, x, y, out)
        if status == FAILED:
            raise RuntimeError("a kernel failed on a native thread (out of memory?)")
        if status != 1:  # prepare_learn made room to grow: a kernel that did nothing is a bug
            raise RuntimeError("the native learn found too few free section rows")
        return network.outputs_of(out), seconds

    async def infer(self, network: Network, x: np.ndarray) -> tuple[Outputs, float]:
        """Infer the prepared row (`Network.prepare_infer`); the outputs and CPU seconds."""
        out = np.empty(network.output_width, dtype=np.float32)
        status, seconds = await self._run(network, INFER, x, x, out)
        if status == FAILED:
            raise RuntimeError("a kernel failed on a native thread (out of memory?)")
        return network.outputs_of(out), seconds

    async def _run(
        self, network: Network, kind: int, x: np.ndarray, y: np.ndarray, out: np.ndarray
    ) -> Done:
        loop = asyncio.get_running_loop()
        if self.closed or (self._loop is not None and self._loop is not loop):
            raise NoRoom  # nobody would run it, or a second producer would break the ring
        if self._loop is None:
            self._loop = loop
            for thread in self._threads:
                loop.add_reader(thread.done_fd, thread.drain)
        state, row = network.binding()  # kept with the job: the row's arrays stay alive
        thread = self._threads[hash(network) % len(self._threads)]
        job = (row.ctypes.data, kind, x.ctypes.data, y.ctypes.data, out.ctypes.data)
        future = thread.submit(loop, (*job, x.size, out.size), (x, y, out, state, row))
        return await run_to_end(future)

    def close(self) -> None:
        """Finish published jobs and end the threads (blocks the caller until then)."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.close)
        for thread in self._threads:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(thread.done_fd)
            thread.stop()
