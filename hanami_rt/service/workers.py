"""The worker threads that run network work, so numba kernels never block the event loop.

The hop is built for requests that cost tens of microseconds. A job is one `SimpleQueue` put
(CPython's cheapest hand-over between threads). Finished jobs wait in a per-loop inbox, and a
worker wakes the loop only when the inbox was empty, so under load one wake-up delivers many
results. `run_in_executor` paid for a concurrent Future, its condition variable, a second
asyncio future chained to it and a wake-up of the loop for every single result.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from queue import SimpleQueue
from typing import Any, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

P = ParamSpec("P")
T = TypeVar("T")


_SKIPPED = asyncio.CancelledError("the workers shut down before this job started")


class _Inbox:
    """Results for one event loop, delivered on that loop in batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.results: deque[tuple[asyncio.Future[Any], Any, BaseException | None]] = deque()
        self.woken = False  # a drain is scheduled and has not started emptying yet

    def post(self, future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        """From a worker thread: hand over a result; wake the loop unless a drain is due."""
        self.results.append((future, result, error))  # append before reading `woken`
        if not self.woken:
            self.woken = True
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """On the loop: settle every result posted so far."""
        self.woken = False  # before emptying: a result posted from now on schedules a drain
        results = self.results
        while results:
            future, result, error = results.popleft()
            if future.cancelled():
                continue
            if error is _SKIPPED:
                future.cancel()
            elif error is None:
                future.set_result(result)
            elif isinstance(error, StopIteration):  # a future refuses to carry one
                future.set_exception(RuntimeError(f"StopIteration from a worker: {error!r}"))
            else:
                future.set_exception(error)


_Job = tuple[Callable[[], Any], asyncio.Future[Any], _Inbox]


async def run_to_end(work: Awaitable[T]) -> T:
    """Await work that runs on a thread to its end even when the caller is cancelled meanwhile,
    then pass the cancellation on: a thread cannot be stopped, and the cluster lock its caller
    holds must stay held until the work has returned. Work cancelled itself (a job that never
    started, at shutdown) raises CancelledError at once."""
    future = asyncio.ensure_future(work)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.cancelled():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return future.result()


class Workers:
    """Threads sized to the cores (numba releases the GIL, so they run in parallel)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._inboxes: WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox] = WeakKeyDictionary()
        self._started: list[threading.Thread] = []
        self._closed = False

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(*args, **kwargs)` on a worker thread and await its result. Cancelling the
        await before a worker took the job skips it; a job already running runs to its end."""
        if self._closed:
            raise RuntimeError("the workers are shut down")
        loop = asyncio.get_running_loop()
        inbox = self._inboxes.get(loop)
        if inbox is None:
            inbox = self._inboxes[loop] = _Inbox(loop)
        if len(self._started) < self.threads:
            self._start_thread()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(((lambda: fn(*args, **kwargs)) if args or kwargs else fn, future, inbox))
        return await future

    def shutdown(self) -> None:
        """Wait for running work to finish, cancel work not started yet, stop the threads.
        Called on an event loop, it blocks that loop; the cancellations land once it runs."""
        self._closed = True
        for _ in self._started:
            self._jobs.put(None)
        for thread in self._started:
            thread.join()
        self._started.clear()
        while not self._jobs.empty():  # jobs queued behind the stop markers never ran
            job = self._jobs.get_nowait()
            if job is not None:
                with contextlib.suppress(RuntimeError):  # its loop is closed already
                    job[1].get_loop().call_soon_threadsafe(job[1].cancel)

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._serve, name=f"hanami-worker-{len(self._started)}", daemon=True
        )
        self._started.append(thread)
        thread.start()

    def _serve(self) -> None:
        """A worker thread: run jobs until a stop marker."""
        jobs = self._jobs
        while (job := jobs.get()) is not None:
            fn, future, inbox = job
            if future.cancelled():  # a read of one attribute: safe under the GIL
                continue
            if self._closed:
                inbox.post(future, None, _SKIPPED)
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                inbox.post(future, None, exc)
            else:
                inbox.post(future, result, None)
