"""One `Network.learn` at a time, as the realtime path calls it: with the network in cache, and
with the caches swept between calls (what a server does to it between two requests).

The workload is the one `benchmarks/ws.py` sends: MNIST-sized (784 -> 400 -> 10), raw values
0-255 with ~80 % zeros, random one-hot targets. Prints one JSON line of medians in us.
"""

import argparse
import json
import time

import numpy as np

from hanami_rt.bench import TEMPLATE
from hanami_rt.core import Network, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="learns per measurement")
    parser.add_argument("--sweep-mib", type=int, default=4, help="memory read between calls")
    args = parser.parse_args()
    warm_up()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (3 * args.count, 784)).astype(np.float32)
    x[rng.random(x.shape) < 0.8] = 0
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(x))]
    net = Network.from_template(TEMPLATE.format(cooldown=1e7, hidden=400, reduction="false"))
    net.learn_many(x[: args.count], y[: args.count])  # grown, as after a while of traffic
    sweep = np.ones(args.sweep_mib << 20, dtype=np.uint8)
    result: dict[str, object] = {"benchmark": "learn", "network": "784-400-10"}
    for name, swept in (("hot", False), ("swept", True)):
        times = []
        first = args.count if name == "hot" else 2 * args.count
        for i in range(first, first + args.count):
            if swept:
                sweep.sum()
            started = time.perf_counter()
            net.learn(x[i], y[i])
            times.append(time.perf_counter() - started)
        result[f"{name}_p50_us"] = round(float(np.median(times)) * 1e6, 1)
        result[f"{name}_p99_us"] = round(float(np.percentile(times, 99)) * 1e6, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
