"""The live networks of every project, in memory, each behind its own ClusterLock.

All work on a network goes through `shared` (infer, stats, snapshot) or `exclusive` (learn,
learn_many, restore), their on-the-loop forms `infer_inline` and `learn_inline`, or their
native-thread forms `infer_native` and `learn_native`, so the lock rules hold for REST, the
websocket and dataset tasks alike. Work handed to a thread is awaited to its end even when its
caller is cancelled (`Workers.run`, `NativeWorkers`): the lock is let go only after that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hanami_rt.core import CoreError, Network
from hanami_rt.core.network import Outputs
from hanami_rt.errors import NotFound
from hanami_rt.service.lock import ClusterLock
from hanami_rt.service.native import NativeWorkers, NoRoom
from hanami_rt.service.workers import Workers

T = TypeVar("T")
_SMOOTHING = 0.2  # weight of the newest sample in LiveCluster.cost
Values = Mapping[str, Any] | Any
WorkHook = Callable[[str, str, float, int], None]
"""Called on the thread that ran the work: (cluster id, op, CPU seconds, samples); CPU seconds
are the thread's CPU time on a worker, the kernels' wall time inline (they never wait)."""


@dataclass(eq=False)
class LiveCluster:
    """A cluster's network and bookkeeping; `generation` counts changes since creation."""

    id: str
    project_id: str
    owner_id: str
    network: Network
    lock: ClusterLock = field(default_factory=ClusterLock)
    generation: int = 0
    saved_generation: int = 0
    cost: float = 0.0
    """Seconds a realtime request's kernels take, averaged (service/dispatcher.py); 0 until
    the first."""

    def record_cost(self, seconds: float) -> None:
        """Fold one realtime request's kernel seconds into `cost` (an exponential average)."""
        old = self.cost
        self.cost = seconds if old == 0.0 else old + _SMOOTHING * (seconds - old)

    @property
    def dirty(self) -> bool:
        """True when the network changed since it was last persisted."""
        return self.generation != self.saved_generation


class Registry:
    """Cluster id -> LiveCluster, and the only way to run work on a network."""

    def __init__(self, workers: Workers, on_work: WorkHook | None = None) -> None:
        self._workers = workers
        self._clusters: dict[str, LiveCluster] = {}
        self.on_work = on_work
        """Telemetry's hook (energy, samples, activity); None records nothing."""
        self.native: NativeWorkers | None = None
        """The GIL-free threads for single learns and infers, once started (Runtime)."""

    def add(self, cluster: LiveCluster) -> None:
        """Make a cluster live (replacing any with the same id)."""
        self._clusters[cluster.id] = cluster

    def get(self, cluster_id: str) -> LiveCluster:
        """The live cluster; NotFound when it is not loaded."""
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            raise NotFound(f"no cluster with id {cluster_id!r}; list yours with GET /v1/clusters")
        return cluster

    def find(self, cluster_id: str) -> LiveCluster | None:
        """The live cluster or None."""
        return self._clusters.get(cluster_id)

    def all(self) -> list[LiveCluster]:
        """Every live cluster."""
        return list(self._clusters.values())

    async def remove(self, cluster_id: str) -> LiveCluster | None:
        """Take a cluster out once work on it has drained; returns it (or None)."""
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            return None
        async with cluster.lock.exclusive():
            self._clusters.pop(cluster_id, None)
        return cluster

    def _still_live(self, cluster: LiveCluster) -> None:
        if self._clusters.get(cluster.id) is not cluster:  # deleted while we waited
            raise NotFound(f"cluster {cluster.id!r} was deleted; list yours with GET /v1/clusters")

    def _metered(
        self, fn: Callable[[Network], T], op: str | None, samples: int, cluster_id: str
    ) -> Callable[[Network], T]:
        """`fn`, reporting its thread CPU time to `on_work` (unchanged without a hook or op)."""
        hook = self.on_work
        if hook is None or op is None:
            return fn

        def run(network: Network) -> T:
            started = time.thread_time()
            done = 0
            try:
                result = fn(network)
                done = samples
                return result
            finally:
                hook(cluster_id, op, time.thread_time() - started, done)

        return run

    async def shared(
        self,
        cluster_id: str,
        fn: Callable[[Network], T],
        *,
        op: str | None = "infer",
        samples: int = 1,
    ) -> T:
        """Run `fn(network)` on a worker while holding the cluster's lock shared. `op` and
        `samples` label the work for telemetry (op None: not metered, e.g. stats)."""
        cluster = self.get(cluster_id)
        fn = self._metered(fn, op, samples, cluster_id)
        async with cluster.lock.shared():
            self._still_live(cluster)
            return await self._workers.run(fn, cluster.network)

    async def exclusive(
        self,
        cluster_id: str,
        fn: Callable[[Network], T],
        *,
        op: str | None = "learn",
        samples: int = 1,
    ) -> T:
        """Run `fn(network)` on a worker with the lock held alone; counts as a change.
        `op`/`samples` label it for telemetry (see shared)."""
        cluster = self.get(cluster_id)
        fn = self._metered(fn, op, samples, cluster_id)
        async with cluster.lock.exclusive():
            self._still_live(cluster)
            try:
                result = await self._workers.run(fn, cluster.network)
            except CoreError:
                raise  # the core's contract: bad input raises and changes nothing
            except BaseException:
                cluster.generation += 1  # unknown failure: assume the state moved
                raise
            # The durable-learning log entry will be appended here, before the caller replies.
            cluster.generation += 1
            return result

    def learn_inline(
        self, cluster: LiveCluster, inputs: Values, expected: Values
    ) -> tuple[Outputs, Callable[[], None]] | None:
        """The forward half of one learn, run on this thread with the lock taken alone, if it
        is free now (None: it is not, and nothing was done). Returns the outputs to answer with
        and `finish`, which applies the weight update and lets go of the lock. The caller
        starts its reply first (service/eager.py) and then calls `finish`, also when replying
        failed: the reply travels while the weights update, nothing sees the network between
        the halves, and a send waiting for a client that does not read is awaited only after
        the lock is free. Bad input raises before anything changed (the lock let go)."""
        lock = cluster.lock
        if not lock.try_acquire(True):
            return None
        try:
            self._still_live(cluster)
            started = time.perf_counter()
            try:
                outputs, update = cluster.network.learn_split(inputs, expected)
            except CoreError:
                raise  # nothing changed
            except BaseException:
                cluster.generation += 1  # unknown failure: assume the state moved
                raise
        except BaseException:
            lock.release(True)
            raise
        forward_s = time.perf_counter() - started
        finished = False

        def finish() -> None:
            nonlocal finished
            if finished:  # the lock may be someone else's by now: touch nothing
                raise RuntimeError("finish() of an inline learn called twice")
            finished = True
            begun = time.perf_counter()
            try:
                update()
            finally:
                cluster.generation += 1
                lock.release(True)
            self._ran(cluster, "learn", forward_s + time.perf_counter() - begun)

        return outputs, finish

    def infer_inline(self, cluster: LiveCluster, inputs: Values) -> Outputs | None:
        """Infer one sample on this thread with the lock shared, if it is free of learns now
        (None: it is not, and nothing was done)."""
        lock = cluster.lock
        if not lock.try_acquire(False):
            return None
        try:
            self._still_live(cluster)
            started = time.perf_counter()
            outputs = cluster.network.infer(inputs)
            took = time.perf_counter() - started
        finally:
            lock.release(False)
        self._ran(cluster, "infer", took)
        return outputs

    def _ran(self, cluster: LiveCluster, op: str, took: float) -> None:
        """A realtime learn or infer is done: fold its kernel seconds into the cluster's cost
        and tell `on_work`. Inline, the kernels' wall time stands for CPU time (they never
        wait); off the loop it is the thread's CPU time."""
        cluster.record_cost(took)
        if self.on_work is not None:
            self.on_work(cluster.id, op, took, 1)

    async def learn_native(self, cluster: LiveCluster, inputs: Values, expected: Values) -> Outputs:
        """Learn one sample on a native thread (service/native.py) with the lock held alone
        until it is done; the outputs of its forward pass (its CPU seconds go to the cluster's
        cost and `on_work`). Bad input raises before anything changed. Without a native thread
        that can take it (none, a full ring, another event loop) a worker runs it."""
        if not cluster.lock.try_acquire(True):
            await cluster.lock.acquire(True)
        try:
            self._still_live(cluster)
            network = cluster.network
            x, y = network.prepare_learn(inputs, expected)
            try:
                if self.native is None:
                    raise NoRoom
                outputs, took = await self.native.learn(network, x, y)
            except NoRoom:
                outputs, took = await self._workers.run(_timed, network.learn, x, y)
            except BaseException:
                cluster.generation += 1  # unknown failure: assume the state moved
                raise
            cluster.generation += 1
        finally:
            cluster.lock.release(True)
        self._ran(cluster, "learn", took)
        return outputs

    async def infer_native(self, cluster: LiveCluster, inputs: Values) -> Outputs:
        """Infer one sample on a native thread (lock shared), or a worker as in
        `learn_native`."""
        if not cluster.lock.try_acquire(False):
            await cluster.lock.acquire(False)
        try:
            self._still_live(cluster)
            network = cluster.network
            x = network.prepare_infer(inputs)
            try:
                if self.native is None:
                    raise NoRoom
                outputs, took = await self.native.infer(network, x)
            except NoRoom:
                outputs, took = await self._workers.run(_timed, network.infer, x)
        finally:
            cluster.lock.release(False)
        self._ran(cluster, "infer", took)
        return outputs

    async def replace(self, cluster_id: str, network: Network) -> None:
        """Swap in another network (a restored checkpoint) once running work has finished."""
        cluster = self.get(cluster_id)
        async with cluster.lock.exclusive():
            self._still_live(cluster)
            cluster.network = network
            cluster.generation += 1

    async def learn(self, cluster_id: str, inputs: Values, expected: Values) -> Outputs:
        """Learn one sample; returns the outputs of its forward pass."""
        return await self.exclusive(cluster_id, lambda net: net.learn(inputs, expected))

    async def infer(self, cluster_id: str, inputs: Values) -> Outputs:
        """Infer one sample (may run alongside other infers on the same cluster)."""
        return await self.shared(cluster_id, lambda net: net.infer(inputs))

    async def stats(self, cluster_id: str) -> dict[str, Any]:
        """The network's `stats()`."""
        return await self.shared(cluster_id, lambda net: net.stats(), op=None)


def _timed(run: Callable[..., Outputs], *args: Any) -> tuple[Outputs, float]:
    """`run(*args)` and the CPU seconds this thread spent on it."""
    started = time.thread_time()
    outputs = run(*args)
    return outputs, time.thread_time() - started
