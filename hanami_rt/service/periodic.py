"""A background job run every few seconds on the event loop (persistence, the upload sweep)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class Periodic:
    """Awaits `job()` every `interval_s` seconds between `start` and `stop`; a failing round is
    logged (as "`what` failed") and the next one retries, so the loop never dies."""

    def __init__(self, interval_s: float, job: Callable[[], Awaitable[Any]], what: str) -> None:
        self._interval_s = interval_s
        self._job = job
        self._what = what
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self._job()
            except Exception:
                log.exception("%s failed", self._what)

    def start(self) -> None:
        """Start the loop on the running event loop (again after `stop`: a no-op if running)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
