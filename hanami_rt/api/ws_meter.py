"""Websocket telemetry: requests and latency per op, open connections, requests in flight, and
where learns and infers ran.

The hook is `app.state.instruments` (a `telemetry.Instruments`): when the app has one, every
connection records into it; without one, each call is a no-op costing a None check.
"""

from __future__ import annotations

import time
from typing import Any

from hanami_rt.telemetry.instruments import Instruments

TRANSPORT = "ws"
OPS = frozenset({"learn", "infer", "ping", "auth", "invalid"})
"""The `route_or_op` label values: the protocol's ops, and `invalid` for undecodable frames."""


class WsMeter:
    """Records one connection's requests; label children are looked up once and cached."""

    def __init__(self, instruments: Instruments | None) -> None:
        self._instruments = instruments
        self._counters: dict[tuple[str, str], Any] = {}
        self._histograms: dict[str, Any] = {}
        self._routes: dict[str, Any] = {}

    @property
    def enabled(self) -> bool:
        """True when there is somewhere to record to."""
        return self._instruments is not None

    def connected(self, delta: int) -> None:
        """A connection opened (+1) or closed (-1)."""
        if self._instruments is not None:
            self._instruments.ws_connections.inc(delta)

    def received(self) -> None:
        """A request frame arrived and now awaits its reply."""
        if self._instruments is not None:
            self._instruments.ws_inflight_count += 1

    def replied(self, op: str, status: str, started: float) -> None:
        """A reply went out (`status`: "ok" or the error code) for a frame received at
        `started` (a `time.perf_counter()` reading)."""
        instruments = self._instruments
        if instruments is None:
            return
        seconds = time.perf_counter() - started
        instruments.ws_inflight_count -= 1
        counter = self._counters.get((op, status))
        if counter is None:
            counter = instruments.requests.labels(TRANSPORT, op, status)
            self._counters[(op, status)] = counter
        counter.inc()
        histogram = self._histograms.get(op)
        if histogram is None:
            histogram = instruments.request_duration.labels(TRANSPORT, op)
            self._histograms[op] = histogram
        histogram.observe(seconds)

    def routed(self, route: str) -> None:
        """A learn or infer was started `route` ("inline", "native" or "workers")."""
        if self._instruments is not None:
            child = self._routes.get(route)
            if child is None:
                child = self._routes[route] = self._instruments.ws_routes.labels(route)
            child.inc()

    def dropped(self, count: int) -> None:
        """`count` requests will get no reply (the connection closed first)."""
        if self._instruments is not None and count:
            self._instruments.ws_inflight_count -= count
