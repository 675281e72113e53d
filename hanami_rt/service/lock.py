"""A first-come-first-served readers-writer lock for asyncio: one per cluster.

Learns take it exclusively, infers share it; waiters are served strictly in arrival order, so
requests to one cluster apply in the order they came and a learn is never starved by infers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ClusterLock:
    """FIFO shared/exclusive lock; not thread-safe (use from the event loop only)."""

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._waiters: deque[tuple[bool, asyncio.Future[None]]] = deque()

    @property
    def readers(self) -> int:
        """How many shared holders there are now."""
        return self._readers

    @property
    def writer(self) -> bool:
        """True while an exclusive holder has it."""
        return self._writer

    def _free_for(self, exclusive: bool) -> bool:
        return not self._writer and (self._readers == 0 if exclusive else True)

    def _grant(self, exclusive: bool) -> None:
        if exclusive:
            self._writer = True
        else:
            self._readers += 1

    def _wake(self) -> None:
        while self._waiters:
            exclusive, future = self._waiters[0]
            if future.done():  # cancelled while waiting
                self._waiters.popleft()
                continue
            if not self._free_for(exclusive):
                return
            self._waiters.popleft()
            self._grant(exclusive)
            future.set_result(None)

    def try_acquire(self, exclusive: bool) -> bool:
        """Take the lock now if nobody holds it against us or waits for it; no await, for
        the realtime path's hot case."""
        if not self._waiters and self._free_for(exclusive):
            self._grant(exclusive)
            return True
        return False

    async def acquire(self, exclusive: bool) -> None:
        """Wait until granted; arrival order is kept across shared and exclusive waiters."""
        if self.try_acquire(exclusive):
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((exclusive, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(exclusive)  # granted just as we were cancelled: hand it on
            else:
                self._wake()
            raise

    def release(self, exclusive: bool) -> None:
        """Give back a grant obtained with the same `exclusive` flag."""
        if exclusive:
            self._writer = False
        else:
            self._readers -= 1
        self._wake()

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        """Hold the lock together with other shared holders (infer, snapshot, stats)."""
        await self.acquire(False)
        try:
            yield
        finally:
            self.release(False)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the lock alone (learn, restore, delete)."""
        await self.acquire(True)
        try:
            yield
        finally:
            self.release(True)
