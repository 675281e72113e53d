"""Starting a coroutine now instead of on the next turn of the event loop (3.12's eager tasks).

An inline learn sends its reply between the forward and the backward pass while it holds the
cluster lock. The send finishes at once unless the client stopped reading (uvicorn then waits
for its write buffer to drain), and a lock must never wait on a client: the learn runs the send
eagerly, finishes its update and lets go of the lock, and only then waits for a stalled send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Started(Awaitable[T]):
    """A coroutine run up to its first real wait; awaiting this finishes it (if need be)."""

    __slots__ = ("_coro", "_waiting_on", "_done", "_value")

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self._coro = coro
        self._waiting_on: Any = None
        self._done = False
        self._value: Any = None
        self._step()  # exceptions before the first wait raise here

    @property
    def done(self) -> bool:
        """True when the coroutine finished without waiting (or has been awaited to the end)."""
        return self._done

    def _step(self) -> None:
        """Resume the coroutine up to its next wait (or its end)."""
        try:
            self._waiting_on = self._coro.send(None)
        except StopIteration as stop:
            self._done, self._value = True, stop.value

    def __await__(self) -> Any:
        if not self._done:  # the usual case skips making a coroutine for nothing
            yield from self._finish().__await__()
        return self._value

    async def _finish(self) -> T:
        """Wait for whatever the coroutine waits on, resume it, repeat; cancellation is
        delivered where it waits, as a task would deliver it."""
        while not self._done:
            waiting_on = self._waiting_on
            try:
                if waiting_on is None:  # a bare yield (asyncio.sleep(0)): one turn of the loop
                    await asyncio.sleep(0)
                else:
                    waiting_on._asyncio_future_blocking = False
                    await asyncio.wait([waiting_on])  # its result or error is the coroutine's
            except BaseException:
                if waiting_on is not None:
                    waiting_on.cancel()  # the coroutine sees CancelledError where it waits
                self._step()
                if not self._done:
                    raise
                continue
            self._step()
        value: T = self._value
        return value
