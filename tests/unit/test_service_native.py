"""NativeWorkers: learns and infers on GIL-free threads give what Network gives, bit for bit,
in order per network, through growth and cancellation; bad input never reaches a thread."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hanami_rt.core import Network
from hanami_rt.core.errors import InputError
from hanami_rt.core.kernels.state import SAMPLES_LEARNED
from hanami_rt.service.native import NativeWorkers, NoRoom

TEMPLATE = """version: 1
settings:
    neuron_cooldown: 10000000
    refractory_time: 1
    max_connection_distance: 1
bricks:
    1,1,1
        input: pixels
        number_of_neurons: 50
    2,1,1
        number_of_neurons: 40
    3,1,1
        output: digit
        number_of_neurons: 4
"""


def _samples(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # values rising from sample to sample: each sets a new maximum, so chains keep growing
    # until they need a second section and the arrays grow (a new State)
    x = np.repeat(np.arange(1, count + 1, dtype=np.float32)[:, None], 50, axis=1)
    x[rng.random(x.shape) < 0.3] = 0
    return x, np.eye(4, dtype=np.float32)[rng.integers(0, 4, count)]


def test_learns_and_infers_match_network_bit_for_bit_through_growth() -> None:
    """Four networks on two threads, fed concurrently (one coroutine each, so each network's
    jobs stay in order): outputs and every final array equal the same calls made directly.
    The networks start small, so their arrays grow (a new State) while they learn."""
    native = NativeWorkers(2)
    nets = [Network.from_template(TEMPLATE, seed=s) for s in range(4)]
    twins = [Network.from_template(TEMPLATE, seed=s) for s in range(4)]
    capacity = [net.state.sec_source.shape[0] for net in nets]
    data = [_samples(300, 10 + s) for s in range(4)]

    async def feed(net: Network, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        got = []
        for i in range(len(x)):
            if i % 3 == 2:
                outputs, seconds = await native.infer(net, net.prepare_infer(x[i]))
            else:
                outputs, seconds = await native.learn(net, *net.prepare_learn(x[i], y[i]))
            assert seconds > 0
            got.append(outputs["digit"])
        return got

    async def scenario() -> list[list[np.ndarray]]:
        return await asyncio.gather(*(feed(n, *d) for n, d in zip(nets, data, strict=True)))

    results = asyncio.run(scenario())
    native.close()
    for net, twin, (x, y), got in zip(nets, twins, data, results, strict=True):
        want = [
            twin.infer(x[i])["digit"] if i % 3 == 2 else twin.learn(x[i], y[i])["digit"]
            for i in range(len(x))
        ]
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        for mine, theirs in zip(net.state, twin.state, strict=True):
            assert np.array_equal(mine, theirs)
    assert any(n.state.sec_source.shape[0] > c for n, c in zip(nets, capacity, strict=True))


def test_bad_input_raises_before_anything_reaches_a_thread() -> None:
    native = NativeWorkers(1)
    net = Network.from_template(TEMPLATE)
    before = net.to_bytes()
    x, y = _samples(1, 0)
    with pytest.raises(InputError):
        net.prepare_learn(x[0][:10], y[0])
    with pytest.raises(InputError):
        net.prepare_learn(np.full(50, np.nan, np.float32), y[0])
    with pytest.raises(InputError):
        net.prepare_infer({"nope": x[0]})
    assert net.to_bytes() == before
    native.close()


def test_a_cancelled_caller_still_waits_for_its_job_and_is_bound_to_one_loop() -> None:
    native = NativeWorkers(1)
    net = Network.from_template(TEMPLATE)
    x, y = _samples(50, 1)

    async def scenario() -> None:
        assert native.usable()
        task = asyncio.create_task(native.learn(net, *net.prepare_learn(x[0], y[0])))
        await asyncio.sleep(0)  # published
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert int(net.state.counters[SAMPLES_LEARNED]) == 1  # learned all the same

    asyncio.run(scenario())

    async def elsewhere() -> bool:
        return native.usable()

    assert asyncio.run(elsewhere()) is False  # another loop: a ring has one producer
    native.close()
    assert not native.usable()


def test_closed_threads_take_no_more_jobs() -> None:
    native = NativeWorkers(1)
    net = Network.from_template(TEMPLATE)
    x, y = _samples(2, 2)

    async def scenario() -> None:
        await native.learn(net, *net.prepare_learn(x[0], y[0]))
        native.close()
        with pytest.raises(NoRoom):  # Registry then runs it on a worker thread
            await native.learn(net, *net.prepare_learn(x[1], y[1]))

    asyncio.run(scenario())
    assert int(net.state.counters[SAMPLES_LEARNED]) == 1


def test_the_registry_runs_a_job_on_a_worker_when_no_native_thread_can_take_it() -> None:
    from hanami_rt.service.registry import LiveCluster, Registry
    from hanami_rt.service.workers import Workers

    workers = Workers(1)
    registry = Registry(workers)
    registry.native = NativeWorkers(1)
    registry.native.close()
    cluster = LiveCluster("c", "p", "o", Network.from_template(TEMPLATE, seed=5))
    registry.add(cluster)
    twin = Network.from_template(TEMPLATE, seed=5)
    x, y = _samples(2, 3)

    async def scenario() -> None:
        outputs = await registry.learn_native(cluster, x[0], y[0])
        assert np.array_equal(outputs["digit"], twin.learn(x[0], y[0])["digit"])
        assert cluster.cost > 0  # the worker's CPU seconds were measured and recorded
        outputs = await registry.infer_native(cluster, x[1])
        assert np.array_equal(outputs["digit"], twin.infer(x[1])["digit"])

    asyncio.run(scenario())
    workers.shutdown()
    assert cluster.generation == 1 and cluster.network.to_bytes() == twin.to_bytes()


_OUT_OF_MEMORY = """
import asyncio, resource, sys
import numpy as np
from hanami_rt.core import Network
from hanami_rt.service.native import NativeWorkers
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers

TEMPLATE = sys.argv[1]

def address_space() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise SystemExit("no VmSize")

async def main() -> None:
    workers = Workers(1)
    registry = Registry(workers)
    registry.native = NativeWorkers(1)
    cluster = LiveCluster("c", "p", "o", Network.from_template(TEMPLATE, seed=1))
    registry.add(cluster)
    x = np.full(50, 100.0, np.float32)
    await registry.infer_native(cluster, x)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    # 1 MiB to spare: less than the 3.6 MB an infer copies of the neuron state
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + (1 << 20), hard))
    try:
        await asyncio.wait_for(registry.infer_native(cluster, x), 20)
        print("no error")
    except RuntimeError as exc:
        print("error:", exc)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print("readers:", cluster.lock.readers)
    outputs = await registry.infer_native(cluster, x)
    print("after:", outputs["digit"].shape)
    registry.native.close()
    workers.shutdown()

asyncio.run(main())
"""


def test_a_kernel_failing_on_a_native_thread_is_an_error_not_a_hang() -> None:
    """An allocation that fails inside a kernel (the address space capped just above what the
    process uses, in a child process) comes back as an error; the lock is free again and the
    thread takes the next job."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MALLOC_ARENA_MAX": "1"}
    big = TEMPLATE.replace("number_of_neurons: 40", "number_of_neurons: 300000")
    done = subprocess.run(
        [sys.executable, "-c", _OUT_OF_MEMORY, big],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("error: a kernel failed on a native thread"), done.stdout
    assert lines[1:] == ["readers: 0", "after: (4,)"], done.stdout
