"""Registry: work runs on worker threads under the cluster lock; deletion drains it first."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hanami_rt.core import InputError, Network
from hanami_rt.errors import NotFound
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers

TEMPLATE = (
    "version: 1\nsettings:\n    neuron_cooldown: 100000000000.0\n    refractory_time: 1\n"
    "    max_connection_distance: 1\n    enable_reduction: false\nbricks:\n    1,1,1\n"
    "        input: x\n        number_of_neurons: 16\n    2,1,1\n        number_of_neurons: 8\n"
    "    3,1,1\n        output: y\n        number_of_neurons: 2\n"
)


async def _scenario() -> None:
    workers = Workers(2)
    registry = Registry(workers)
    registry.add(LiveCluster("c", "p", "u", Network.from_template(TEMPLATE, seed=1)))
    x = np.full(16, 100.0, dtype=np.float32)
    y = np.array([1.0, 0.0], dtype=np.float32)
    learns = [asyncio.create_task(registry.learn("c", x, y)) for _ in range(5)]
    infers = [asyncio.create_task(registry.infer("c", x)) for _ in range(5)]
    removal = asyncio.create_task(registry.remove("c"))
    await asyncio.gather(*learns, *infers)
    assert await removal is not None
    assert registry.find("c") is None
    with pytest.raises(NotFound):
        await registry.learn("c", x, y)
    workers.shutdown()


def test_work_drains_before_removal() -> None:
    asyncio.run(_scenario())


async def _generations() -> None:
    workers = Workers(1)
    registry = Registry(workers)
    live = LiveCluster("c", "p", "u", Network.from_template(TEMPLATE, seed=1))
    registry.add(live)
    x = np.full(16, 100.0, dtype=np.float32)
    await registry.infer("c", x)
    assert not live.dirty
    with pytest.raises(InputError):
        await registry.learn("c", x[:3], np.zeros(2, dtype=np.float32))
    assert not live.dirty  # bad input changes nothing
    await registry.learn("c", x, np.array([0.0, 1.0], dtype=np.float32))
    assert live.dirty and (await registry.stats("c"))["samples_learned"] == 1
    fresh = Network.from_template(TEMPLATE, seed=2)
    await registry.replace("c", fresh)
    assert registry.get("c").network is fresh
    workers.shutdown()


def test_only_changes_make_a_cluster_dirty() -> None:
    asyncio.run(_generations())


def _one_cluster() -> tuple[Registry, LiveCluster, np.ndarray, np.ndarray]:
    """A registry with one live cluster, and a sample for it."""
    registry = Registry(Workers(1))
    cluster = LiveCluster("c", "p", "u", Network.from_template(TEMPLATE, seed=1))
    registry.add(cluster)
    return registry, cluster, np.full(16, 100.0, np.float32), np.array([1.0, 0.0], np.float32)


async def _inline_scenario() -> None:
    registry, cluster, x, y = _one_cluster()
    seen: list[tuple[bool, int]] = []

    async def answer(outputs: dict[str, np.ndarray]) -> None:
        assert outputs["y"].shape == (2,)
        seen.append((cluster.lock.writer, cluster.network.stats()["samples_learned"]))

    await registry.learn_inline(cluster, x, y, answer)
    # the answer came between the halves: lock held, the sample not yet counted as learned
    assert seen == [(True, 0)]
    assert cluster.network.stats()["samples_learned"] == 1 and cluster.generation == 1
    assert not cluster.lock.writer

    before = cluster.network.to_bytes()
    with pytest.raises(InputError):
        await registry.learn_inline(cluster, x, np.array([2.0, 0.0], np.float32), answer)
    assert len(seen) == 1 and cluster.network.to_bytes() == before and cluster.generation == 1

    async def vanished(outputs: dict[str, np.ndarray]) -> None:
        raise ConnectionError("the client left")

    with pytest.raises(ConnectionError):
        await registry.learn_inline(cluster, x, y, vanished)
    # answered or not, a learn whose forward pass ran is finished and the lock released
    assert cluster.network.stats()["samples_learned"] == 2 and cluster.generation == 2
    assert not cluster.lock.writer


def test_an_inline_learn_answers_between_its_halves() -> None:
    asyncio.run(_inline_scenario())


async def _stalled_reader_scenario() -> None:
    registry, cluster, x, y = _one_cluster()
    drained = asyncio.Event()  # a client that does not read: its send waits

    async def stalled(outputs: dict[str, np.ndarray]) -> None:
        await drained.wait()

    async def quick(outputs: dict[str, np.ndarray]) -> None:
        pass

    first = asyncio.create_task(registry.learn_inline(cluster, x, y, stalled))
    await asyncio.sleep(0)
    # the stalled send holds no lock: the update is applied and others learn meanwhile
    assert not first.done() and not cluster.lock.writer
    assert cluster.network.stats()["samples_learned"] == 1
    await asyncio.wait_for(registry.learn_inline(cluster, x, y, quick), timeout=5)
    assert cluster.network.stats()["samples_learned"] == 2 and cluster.generation == 2
    drained.set()
    await asyncio.wait_for(first, timeout=5)


def test_a_client_not_reading_its_reply_never_holds_the_cluster() -> None:
    asyncio.run(_stalled_reader_scenario())
