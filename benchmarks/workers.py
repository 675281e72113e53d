"""What the hop off the event loop costs: learns through `Registry.exclusive` (worker threads)
and `Registry.learn_native` (native threads); prints JSON.

No sockets: coroutines on one event loop each learn one sample at a time on their own cluster
(MNIST-sized, 784 -> 400 -> 10, grown on 1,000 samples first), the way websocket requests run
when they leave the loop. `direct` learns the same samples with `Network.learn` in a plain
loop, so the difference in CPU a learn is what the hop adds (future, queue, wake-ups, GIL).
`native_T_clusters_C` also reports the event loop thread's CPU a learn (`loop_cpu_us_...`).

    python benchmarks/workers.py [--learns N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import numpy as np
import workload

from hanami_rt.bench import TEMPLATE
from hanami_rt.core import Network, warm_up
from hanami_rt.service.native import NativeWorkers
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers

GROWN_ON = 1000


def _network(seed: int, x: np.ndarray, y: np.ndarray) -> Network:
    net = Network.from_template(
        TEMPLATE.format(cooldown=1e7, hidden=400, reduction="false"), seed=seed
    )
    net.learn_many(x[:GROWN_ON], y[:GROWN_ON])
    return net


def _rate(learns: int, seconds: float, cpu: float) -> dict[str, float]:
    return {
        "learns_per_s": round(learns / seconds),
        "cpu_us_per_learn": round(cpu / learns * 1e6, 1),
    }


def direct(clusters: int, learns: int, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The same learns without any hop, round-robin over the clusters on this thread."""
    nets = [_network(i, x, y) for i in range(clusters)]
    started, cpu = time.perf_counter(), time.process_time()
    for j in range(learns):
        r = GROWN_ON + j % (len(x) - GROWN_ON)
        nets[j % clusters].learn(x[r], y[r])
    return _rate(learns, time.perf_counter() - started, time.process_time() - cpu)


async def through_workers(
    clusters: int, threads: int, learns: int, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """`clusters` coroutines, each learning one sample at a time on its own cluster."""
    workers = Workers(threads)
    registry = Registry(workers)
    for i in range(clusters):
        registry.add(LiveCluster(f"c{i}", "bench", "bench", _network(i, x, y)))
    each = learns // clusters

    async def client(i: int) -> None:
        for j in range(each):
            r = GROWN_ON + (i * each + j) % (len(x) - GROWN_ON)
            await registry.learn(f"c{i}", x[r], y[r])

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(i) for i in range(clusters)))
    result = _rate(each * clusters, time.perf_counter() - started, time.process_time() - cpu)
    workers.shutdown()
    return result


async def through_native(
    clusters: int, threads: int, learns: int, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """As `through_workers`, on `threads` native threads."""
    workers = Workers(1)
    registry = Registry(workers)
    registry.native = NativeWorkers(threads)
    live = [LiveCluster(f"c{i}", "bench", "bench", _network(i, x, y)) for i in range(clusters)]
    for cluster in live:
        registry.add(cluster)
    each = learns // clusters

    async def client(i: int) -> None:
        for j in range(each):
            r = GROWN_ON + (i * each + j) % (len(x) - GROWN_ON)
            await registry.learn_native(live[i], x[r], y[r])

    started, cpu, loop = time.perf_counter(), time.process_time(), time.thread_time()
    await asyncio.gather(*(client(i) for i in range(clusters)))
    loop = time.thread_time() - loop
    result = _rate(each * clusters, time.perf_counter() - started, time.process_time() - cpu)
    result["loop_cpu_us_per_learn"] = round(loop / (each * clusters) * 1e6, 1)
    registry.native.close()
    workers.shutdown()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learns", type=int, default=16000, help="learns per measurement")
    args = parser.parse_args()
    warm_up()
    x, y = workload.samples(GROWN_ON + 4000)
    line: dict[str, object] = {"benchmark": "workers", "network": "784-400-10"}
    for clusters in (1, 8):
        line[f"direct_{clusters}"] = direct(clusters, args.learns, x, y)
        for threads in (1, 2):
            key = f"workers_{threads}_clusters_{clusters}"
            line[key] = asyncio.run(through_workers(clusters, threads, args.learns, x, y))
        line[f"native_1_clusters_{clusters}"] = asyncio.run(
            through_native(clusters, 1, args.learns, x, y)
        )
    print(json.dumps(line))


if __name__ == "__main__":
    main()
