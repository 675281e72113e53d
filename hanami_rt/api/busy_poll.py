"""Keeping the event loop polling for a moment after each websocket reply, instead of sleeping.

A client streaming one request at a time sends its next request a few tens of microseconds
after our reply. If the event loop sleeps in the meantime, the kernel (and, on a VM, the
hypervisor) halts the CPU, and waking it for that next request costs more than the wait: on
the 2-core reference VM a one-at-a-time learn took ~93 us with sleeping and ~80 us with
polling (docs/realtime.md). `BusyPoll.kick` keeps one callback re-scheduling itself until the
window has passed; while a callback is ready the loop polls its sockets with a zero timeout,
so it never sleeps. A quiet server does not poll at all: the window starts at a reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

_REPORT_S = 0.01  # report polling time at least this often while a window stays open


class BusyPoll:
    """The polling window of one event loop; `window_s` 0 turns it off. `on_polled(seconds)`
    hears how long the loop polled with nothing to do (what polling costs, for the metrics):
    at the end of each window, and every `_REPORT_S` of it while a window stays open."""

    def __init__(self, window_s: float, on_polled: Callable[[float], object] | None = None) -> None:
        self._window = window_s
        self._on_polled = on_polled
        self._until = 0.0  # perf_counter() at which polling stops
        self._loop: asyncio.AbstractEventLoop | None = None
        self._polling = False
        self._last = 0.0  # when _poll last ran, or the window opened
        self._served = False  # a reply went out since then: that stretch was work, not polling
        self._idle = 0.0  # polling with nothing to do, not reported yet

    @property
    def polling(self) -> bool:
        """True while a window is open (the loop does not sleep)."""
        return self._polling

    def kick(self) -> None:
        """Open (or extend) the window: the loop polls until `window_s` from now. Call on the
        event loop, right after a reply went out."""
        if self._window <= 0:
            return
        now = time.perf_counter()
        self._until = now + self._window
        self._served = True
        if not self._polling:
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._polling, self._last, self._served = True, now, False
            self._loop.call_soon(self._poll)

    def _poll(self) -> None:
        now = time.perf_counter()
        if not self._served:
            self._idle += now - self._last
        self._served, self._last = False, now
        if now < self._until:
            assert self._loop is not None
            self._loop.call_soon(self._poll)
            if self._idle >= _REPORT_S:
                self._report()
        else:
            self._polling = False
            self._report()

    def _report(self) -> None:
        if self._on_polled is not None and self._idle > 0:
            self._on_polled(self._idle)
        self._idle = 0.0
