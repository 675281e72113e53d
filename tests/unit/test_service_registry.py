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


def test_an_inline_learn_is_held_between_its_halves_until_finish() -> None:
    registry, cluster, x, y = _one_cluster()
    step = registry.learn_inline(cluster, x, y)
    assert step is not None
    outputs, finish = step
    # between the halves (where the reply goes out): lock held alone, sample not learned yet
    assert outputs["y"].shape == (2,) and cluster.lock.writer
    assert cluster.network.stats()["samples_learned"] == 0
    assert registry.learn_inline(cluster, x, y) is None  # the lock is taken: nothing done
    assert registry.infer_inline(cluster, x) is None
    finish()
    assert cluster.network.stats()["samples_learned"] == 1 and cluster.generation == 1
    assert not cluster.lock.writer and cluster.cost > 0

    twin = Network.from_template(TEMPLATE, seed=1)
    np.testing.assert_array_equal(outputs["y"], twin.learn(x, y)["y"])
    assert cluster.network.to_bytes() == twin.to_bytes()  # the halves equal one learn

    before = cluster.network.to_bytes()
    with pytest.raises(InputError):
        registry.learn_inline(cluster, x, np.array([2.0, 0.0], np.float32))
    # refused before anything changed, and the lock let go
    assert cluster.network.to_bytes() == before and cluster.generation == 1
    assert not cluster.lock.writer

    inferred = registry.infer_inline(cluster, x)
    assert inferred is not None
    np.testing.assert_array_equal(inferred["y"], twin.infer(x)["y"])
    assert cluster.lock.readers == 0 and cluster.generation == 1


def test_an_inline_learn_on_a_deleted_cluster_is_refused_and_lets_go() -> None:
    registry, cluster, x, y = _one_cluster()
    registry.add(LiveCluster("c", "p", "u", Network.from_template(TEMPLATE, seed=2)))
    with pytest.raises(NotFound):  # `cluster` was replaced under the same id
        registry.learn_inline(cluster, x, y)
    with pytest.raises(NotFound):
        registry.infer_inline(cluster, x)
    assert not cluster.lock.writer and cluster.lock.readers == 0


def test_a_second_finish_touches_nothing_the_next_holder_owns() -> None:
    registry, cluster, x, y = _one_cluster()
    first = registry.learn_inline(cluster, x, y)
    assert first is not None
    first[1]()
    second = registry.learn_inline(cluster, x, y)  # the lock is the next learn's now
    assert second is not None
    with pytest.raises(RuntimeError, match="twice"):
        first[1]()
    assert cluster.lock.writer and cluster.generation == 1  # still held, nothing counted
    second[1]()
    assert not cluster.lock.writer and cluster.generation == 2
    assert cluster.network.stats()["samples_learned"] == 2
