"""The registry's telemetry hook: thread CPU time, op and samples of every run, on any thread."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from hanami_rt.core import InputError, Network
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers
from tests.unit.test_service_registry import TEMPLATE

Record = tuple[str, str, float, int, str]


async def _scenario() -> list[Record]:
    records: list[Record] = []

    def hook(cluster: str, op: str, cpu: float, samples: int) -> None:
        records.append((cluster, op, cpu, samples, threading.current_thread().name))

    workers = Workers(1)
    registry = Registry(workers, on_work=hook)
    registry.add(LiveCluster("c", "p", "u", Network.from_template(TEMPLATE, seed=1)))
    x = np.full(16, 100.0, dtype=np.float32)
    y = np.array([1.0, 0.0], dtype=np.float32)
    await registry.learn("c", x, y)
    await registry.infer("c", x)
    cluster = registry.get("c")
    registry.infer_inline(cluster, x)
    await registry.exclusive("c", lambda net: [net.learn(x, y) for _ in range(4)], samples=4)
    await registry.stats("c")  # not work: not metered
    with pytest.raises(InputError):
        await registry.learn("c", np.zeros(3, dtype=np.float32), y)
    workers.shutdown()
    return records


def test_every_run_reports_its_cpu_time_op_and_samples() -> None:
    records = asyncio.run(_scenario())
    assert [(c, op, n) for c, op, _, n, _ in records] == [
        ("c", "learn", 1),
        ("c", "infer", 1),
        ("c", "infer", 1),
        ("c", "learn", 4),
        ("c", "learn", 0),  # refused input: its CPU time still counts, no sample does
    ]
    assert all(cpu > 0 for _, _, cpu, _, _ in records)  # measured, not a placeholder 0
    threads = [thread for *_, thread in records]
    assert threads[0].startswith("hanami-worker") and not threads[2].startswith("hanami-worker")
