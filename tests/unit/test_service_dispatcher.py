"""Dispatcher: inline only while nothing else is submitted and the cluster is cheap."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hanami_rt.core import Network
from hanami_rt.service.dispatcher import Dispatcher
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers

TEMPLATE = """version: 1
bricks:
    1,1,1
        input: x
        number_of_neurons: 4
    2,1,1
        number_of_neurons: 4
    3,1,1
        output: y
        number_of_neurons: 2
"""
X = {"x": np.array([1.0, 200.0, 0.0, 50.0], dtype=np.float32)}
Y = {"y": np.array([1.0, 0.0], dtype=np.float32)}


def _setup(inline_max_s: float) -> tuple[Registry, LiveCluster, Dispatcher]:
    registry = Registry(Workers(2))
    cluster = LiveCluster("c", "p", "o", Network.from_template(TEMPLATE, seed=3))
    registry.add(cluster)
    return registry, cluster, Dispatcher(registry, inline_max_s)


def test_submitted_work_blocks_inline_until_it_is_done() -> None:
    async def scenario() -> None:
        _, cluster, dispatcher = _setup(1.0)
        work = dispatcher.learn(cluster, X, Y)
        assert dispatcher.on_workers == 1 and not dispatcher.can_inline(cluster, None)
        await work
        assert dispatcher.on_workers == 0 and dispatcher.can_inline(cluster, None)

    asyncio.run(scenario())


def test_bad_input_on_the_workers_is_refused_and_uncounted() -> None:
    async def scenario() -> None:
        _, cluster, dispatcher = _setup(1.0)
        before = cluster.network.to_bytes()
        with pytest.raises(ValueError):  # NaN input
            await dispatcher.learn(cluster, {"x": np.full(4, np.nan, np.float32)}, Y)
        assert dispatcher.on_workers == 0 and cluster.generation == 0
        assert cluster.network.to_bytes() == before

    asyncio.run(scenario())


def test_inline_and_off_the_loop_learns_give_the_same_network_and_outputs() -> None:
    async def run(inline: bool) -> tuple[bytes, list[np.ndarray]]:
        registry, cluster, dispatcher = _setup(1.0)
        outputs: list[np.ndarray] = []
        for _ in range(5):
            if inline:
                assert dispatcher.can_inline(cluster, None)
                step = registry.learn_inline(cluster, X, Y)
                assert step is not None
                outputs.append(step[0]["y"])
                step[1]()
            else:
                outputs.append((await dispatcher.learn(cluster, X, Y))["y"])
        assert cluster.generation == 5
        return cluster.network.to_bytes(), outputs

    inline, off = asyncio.run(run(True)), asyncio.run(run(False))
    assert inline[0] == off[0]
    for a, b in zip(inline[1], off[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_cluster_measured_above_the_threshold_goes_to_the_workers() -> None:
    registry, cluster, dispatcher = _setup(1e-9)  # every real call costs more than 1 ns
    assert dispatcher.can_inline(cluster, None)  # not measured yet
    step = registry.learn_inline(cluster, X, Y)
    assert step is not None
    step[1]()
    assert not dispatcher.can_inline(cluster, None)  # measured above the tiny threshold
    registry, cluster, dispatcher = _setup(1e-9)
    assert registry.infer_inline(cluster, X) is not None
    assert not dispatcher.can_inline(cluster, None)


def test_crowding_connections_send_work_to_the_native_threads() -> None:
    """Requests from one connection stay inline; requests from two within a millisecond go to
    the native threads, which learn exactly what Network.learn would (bad input refused there
    too, unchanged); without native threads nothing changes."""
    from hanami_rt.service.native import NativeWorkers

    async def scenario() -> None:
        registry, cluster, dispatcher = _setup(1.0)
        native = NativeWorkers(1)
        one, other = object(), object()
        assert dispatcher.can_inline(cluster, one) and dispatcher.can_inline(cluster, one)
        assert dispatcher.can_inline(cluster, other)  # crowded, but no native threads yet
        registry.native = native
        try:
            assert not dispatcher.can_inline(cluster, one)  # `other` came just before
            assert dispatcher.can_inline(cluster, one)  # the same one again: not crowded
            twin = Network.from_template(TEMPLATE, seed=3)
            for _ in range(5):
                got = await dispatcher.learn(cluster, X, Y)
                assert np.array_equal(got["y"], twin.learn(X, Y)["y"])
            assert np.array_equal((await dispatcher.infer(cluster, X))["y"], twin.infer(X)["y"])
            assert cluster.generation == 5 and dispatcher.on_workers == 0
            assert cluster.network.to_bytes() == twin.to_bytes()
            with pytest.raises(ValueError):  # NaN input, refused before any thread sees it
                await dispatcher.learn(cluster, {"x": np.full(4, np.nan, np.float32)}, Y)
            assert cluster.generation == 5 and cluster.network.to_bytes() == twin.to_bytes()
        finally:
            native.close()

    asyncio.run(scenario())
