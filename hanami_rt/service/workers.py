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
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

P = ParamSpec("P")
T = TypeVar("T")


_SKIPPED = asyncio.CancelledError("skipped: cancelled or shut down before it started")


class _Inbox:
    """Results for one event loop, delivered on that loop in batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.results: deque[_Result] = deque()
        self.woken = False  # a drain is scheduled and has not started emptying yet

    def post(
        self,
        future: asyncio.Future[Any],
        ended: asyncio.Future[None],
        result: Any,
        error: BaseException | None,
    ) -> None:
        """From a worker thread: hand over a result; wake the loop unless a drain is due."""
        self.results.append((future, ended, result, error))  # append before reading `woken`
        if not self.woken:
            self.woken = True
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """On the loop: settle every result posted so far."""
        self.woken = False  # before emptying: a result posted from now on schedules a drain
        results = self.results
        while results:
            future, ended, result, error = results.popleft()
            _settle(ended, None, None)
            if error is _SKIPPED:
                future.cancel()
            else:
                _settle(future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Give a future its result or error unless it is done already (cancelled, say)."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    elif isinstance(error, StopIteration):  # a future refuses to carry one
        future.set_exception(RuntimeError(f"StopIteration from a worker: {error!r}"))
    else:
        future.set_exception(error)


_Result = tuple[asyncio.Future[Any], asyncio.Future[None], Any, BaseException | None]
_Job = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.Future[None], _Inbox]


async def run_to_end(future: asyncio.Future[T]) -> T:
    """Await a thread's job to its end even when the caller is cancelled meanwhile, and only
    then pass the cancellation on: a thread cannot be stopped, and whatever the caller holds
    (a cluster lock) must stay held until the job has returned. A job cancelled itself
    raises CancelledError at once."""
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
        """Run `fn(*args, **kwargs)` on a worker thread and await its result. A caller
        cancelled meanwhile waits until the job has run (or was skipped: a job no worker has
        started yet is), then sees the cancellation; so nothing it holds, such as a cluster
        lock, is let go while a thread still works under it."""
        if self._closed:
            raise RuntimeError("the workers are shut down")
        loop = asyncio.get_running_loop()
        inbox = self._inboxes.get(loop)
        if inbox is None:
            inbox = self._inboxes[loop] = _Inbox(loop)
        if len(self._started) < self.threads:
            self._start_thread()
        future: asyncio.Future[T] = loop.create_future()  # a cancelled caller cancels it
        ended: asyncio.Future[None] = loop.create_future()  # a worker skipped or ran the job
        call = (lambda: fn(*args, **kwargs)) if args or kwargs else fn
        self._jobs.put((call, future, ended, inbox))
        try:
            return await future
        except asyncio.CancelledError:
            await run_to_end(ended)  # a worker already on the job runs it to its end
            raise

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
                job[3].post(job[1], job[2], None, _SKIPPED)

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
            fn, future, ended, inbox = job
            if future.cancelled() or self._closed:  # one read of a future's state: GIL-safe
                inbox.post(future, ended, None, _SKIPPED)
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                inbox.post(future, ended, None, exc)
            else:
                inbox.post(future, ended, result, None)
