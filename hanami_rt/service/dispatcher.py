"""Where a realtime learn or infer runs: inline on the event loop when cheap, else off it.

Measured on the 2-core reference machine (MNIST-sized cluster, 784 in, 400 hidden, 10 out):
a learn costs ~28 us in `Network`, while a hop to another thread and back costs a lone
request ~40-65 us of wake-ups (benchmarks/workers.py). So a lone request runs inline. Off the
loop go requests crowding in from several connections (the kernels then run on a native
thread while the loop serves the protocol), requests behind work already off the loop (so
arrival order holds), and requests to a cluster whose measured cost passes `inline_max_s` (a
grown network never blocks the loop for long). Off the loop means a native thread when there
is one for this loop, else a worker (Registry.learn_native). The cost is an exponential
average of the kernels' time, measured around every call (`LiveCluster.cost`, kept by the
registry)."""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any

from hanami_rt.core.network import Outputs
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.wire import Bricks

_CROWDED_S = 1e-3  # another connection's request this recent: requests are crowding in


class Dispatcher:
    """Chooses where each websocket learn and infer runs: inline (`can_inline`; the caller then
    runs it with `Registry.learn_inline`/`infer_inline`) or off the loop (`learn`/`infer`),
    always through the registry's lock rules."""

    def __init__(self, registry: Registry, inline_max_s: float) -> None:
        self._registry = registry
        self._inline_max_s = inline_max_s
        self.on_workers = 0
        """Requests submitted for worker or native threads and not finished (any cluster)."""
        self._last_source: object = None  # the connection of the latest request
        self._last_at = 0.0

    def can_inline(self, cluster: LiveCluster, source: object) -> bool:
        """True when running inline cannot wait on the lock, delay queued work or block long,
        and, with native threads, when requests are not crowding in from several connections
        (`source`: the caller's connection): then the kernels go to a native thread, which
        leaves the event loop only the protocol."""
        now = time.perf_counter()
        crowded = source is not self._last_source and now - self._last_at < _CROWDED_S
        self._last_source, self._last_at = source, now
        if crowded and self.off_loop() == "native":
            return False
        lock = cluster.lock
        return (
            self._inline_max_s > 0
            and self.on_workers == 0
            and not lock.writer
            and lock.readers == 0
            and cluster.cost <= self._inline_max_s
        )

    def off_loop(self) -> str:
        """Where `learn` and `infer` send work now: "native" when there are native threads for
        this event loop, else "workers"."""
        native = self._registry.native
        return "native" if native is not None and native.usable() else "workers"

    def learn(
        self, cluster: LiveCluster, inputs: Bricks, expected: Bricks
    ) -> Coroutine[Any, Any, Outputs]:
        """Learn one sample off the loop (exclusive): on a native thread when there is one for
        this loop, else on a worker (Registry.learn_native); await it for the outputs of its
        forward pass.

        Not a coroutine function on purpose: work sent off the loop is counted the moment it
        is submitted, so a later request to the same cluster cannot run inline before it."""
        self.on_workers += 1  # counted now, while the caller still runs
        return self._off_loop(cluster, inputs, expected)

    def infer(self, cluster: LiveCluster, inputs: Bricks) -> Coroutine[Any, Any, Outputs]:
        """Infer one sample off the loop (shared with other infers, after every earlier
        learn), as `learn` does."""
        self.on_workers += 1
        return self._off_loop(cluster, inputs, None)

    async def _off_loop(
        self, cluster: LiveCluster, inputs: Bricks, expected: Bricks | None
    ) -> Outputs:
        """Run a counted learn (or, without `expected`, infer) off the loop; uncount it when
        done."""
        try:
            if expected is not None:
                outputs = await self._registry.learn_native(cluster, inputs, expected)
            else:
                outputs = await self._registry.infer_native(cluster, inputs)
        finally:
            self.on_workers -= 1
        return outputs
