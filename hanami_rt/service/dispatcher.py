"""Where a realtime learn or infer runs: inline on the event loop when cheap, else on a worker.

Measured on the 2-core reference machine (MNIST-sized cluster, 784 in, 400 hidden, 10 out):
a learn costs ~37 us and an infer ~21 us in `Network`, while the hop to a worker thread and
back adds ~65 us to a round trip (benchmarks/workers.py). So a lone request runs inline (no
hop, no thread wake-up); as soon as anything else runs on the workers, requests go there too,
so different clusters use both cores and the loop keeps serving other connections. A request
also goes to the workers when its cluster's measured cost passes `inline_max_s` (a grown
network), so the loop is never blocked for long. The cost is an exponential average measured
around every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hanami_rt.core import Network
from hanami_rt.core.network import Outputs
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.wire import Bricks

T = TypeVar("T")
_SMOOTHING = 0.2  # weight of the newest sample in the cost average
_CROWDED_S = 1e-3  # another connection's request this recent: requests are crowding in


class Dispatcher:
    """Runs websocket learns and infers through the registry (its lock rules and its one path
    from "learn applied" to the caller), choosing inline or a worker per request."""

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
        native = self._registry.native
        if crowded and native is not None and native.usable():
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
        """Learn one sample on a worker (exclusive); await it for the outputs of its forward
        pass.

        Not a coroutine function on purpose: work bound for the workers is counted the moment
        it is submitted, so a later request to the same cluster cannot run inline before it.
        A native thread takes it when there is one for this loop, else a worker thread."""
        self.on_workers += 1  # counted now, while the caller still runs
        if self.off_loop() == "native":
            return self._on_workers(self._native(cluster, "learn", inputs, expected))
        fn = self._timed(cluster, lambda net: net.learn(inputs, expected))
        return self._on_workers(self._registry.exclusive(cluster.id, fn))

    def infer(self, cluster: LiveCluster, inputs: Bricks) -> Coroutine[Any, Any, Outputs]:
        """Infer one sample off the loop (shared with other infers, after every earlier
        learn): on a native thread when there is one for this loop, else on a worker."""
        self.on_workers += 1
        if self.off_loop() == "native":
            return self._on_workers(self._native(cluster, "infer", inputs, None))
        fn = self._timed(cluster, lambda net: net.infer(inputs))
        return self._on_workers(self._registry.shared(cluster.id, fn))

    async def _native(
        self, cluster: LiveCluster, op: str, inputs: Bricks, expected: Bricks | None
    ) -> Outputs:
        if expected is not None:
            outputs, took = await self._registry.learn_native(cluster, inputs, expected)
        else:
            outputs, took = await self._registry.infer_native(cluster, inputs)
        self._record(cluster, took)
        return outputs

    async def learn_inline(
        self,
        cluster: LiveCluster,
        inputs: Bricks,
        expected: Bricks,
        answer: Callable[[Outputs], Coroutine[Any, Any, None]],
    ) -> None:
        """Learn on the loop, answering between the forward and backward pass (callers check
        `can_inline` first): the reply leaves while the weights update (Registry.learn_inline)."""
        took = await self._registry.learn_inline(cluster, inputs, expected, answer)
        self._record(cluster, took)

    async def infer_inline(self, cluster: LiveCluster, inputs: Bricks) -> Outputs:
        """Infer on the loop (callers check `can_inline` first)."""
        outputs, took = await self._registry.infer_inline(cluster, inputs)
        self._record(cluster, took)
        return outputs

    def _record(self, cluster: LiveCluster, took: float) -> None:
        """Fold one measured cost into the cluster's average."""
        old = cluster.cost
        cluster.cost = took if old == 0.0 else old + _SMOOTHING * (took - old)

    async def _on_workers(self, work: Coroutine[Any, Any, Outputs]) -> Outputs:
        """Await work counted in `on_workers`; uncount it when done (callers must await)."""
        try:
            return await work
        finally:
            self.on_workers -= 1

    def _timed(self, cluster: LiveCluster, fn: Callable[[Network], T]) -> Callable[[Network], T]:
        """`fn`, updating the cluster's cost average (safe from a worker thread: one float)."""

        def run(network: Network) -> T:
            started = time.perf_counter()
            try:
                return fn(network)
            finally:
                self._record(cluster, time.perf_counter() - started)

        return run
