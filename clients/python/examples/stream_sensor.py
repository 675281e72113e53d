"""Stream a synthetic machine sensor into a cluster, live, and watch the prediction error fall.

The machine heats and cools in cycles. Its sensor reports raw values whose zero drifts slowly
upwards (from 400 to 700 over 6,000 ticks) and that now and then jump to an absurd value (1e6
or -1e5, a loose connector). Nothing is normalised: the last 8 raw readings go straight in,
and the cluster learns whether the machine is heating up. Each learn's reply is the prediction
made *before* that sample was learned, so the rolling error printed is measured on unseen data
(on this machine it falls from about 0.36 to about 0.1).

    HANAMI_PASSWORD=... python examples/stream_sensor.py --url http://127.0.0.1:11418 \
        --user admin --project demo
"""

from __future__ import annotations

import argparse
import os
from collections import deque
from collections.abc import Iterator

import numpy as np

from hanami_client import Client, ConflictError

WINDOW = 8
TEMPLATE = f"""version: 1
settings:
    neuron_cooldown: 100000000000.0
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: false
bricks:
    1,1,1
        input: readings
        number_of_neurons: {WINDOW}
    2,1,1
        number_of_neurons: 60
    3,1,1
        output: overheating
        number_of_neurons: 1
"""


def sensor(samples: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(last WINDOW raw readings, [1.0 if heating up else 0.0]) pairs, one per tick."""
    rng = np.random.default_rng(seed)
    readings: deque[float] = deque([0.0] * WINDOW, maxlen=WINDOW)
    for tick in range(samples):
        offset = 400 + tick * 0.05  # the sensor's zero drifts upwards
        signal = 80 * np.sin(tick / 30)  # the machine's heating/cooling cycle
        heating = np.cos(tick / 30) > 0  # the slope of that cycle
        raw = offset + signal + rng.normal(0, 2)
        if rng.random() < 0.01:
            raw = rng.choice([1e6, -1e5])  # an absurd spike: a loose connector
        readings.append(float(raw))
        yield np.array(readings, dtype=np.float32), np.array([float(heating)], np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("HANAMI_URL", "http://127.0.0.1:11418"))
    parser.add_argument("--user", default="admin")
    parser.add_argument("--project", default="demo")
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--every", type=int, default=500, help="print every N samples")
    args = parser.parse_args()

    with Client(args.url) as client:
        client.login(args.user, os.environ["HANAMI_PASSWORD"])
        try:
            client.projects.create(args.project, args.project)
        except ConflictError:
            pass
        client.switch_project(args.project)
        cluster = client.clusters.create(f"sensor-{os.getpid()}", TEMPLATE)
        errors: deque[float] = deque(maxlen=args.every)
        pairs = list(sensor(args.samples, seed=1))
        with client.session(cluster.id) as session:
            for tick, prediction in enumerate(session.learn_stream(pairs), start=1):
                assert isinstance(prediction, np.ndarray)
                errors.append(float(abs(prediction[0] - pairs[tick - 1][1][0])))
                if tick % args.every == 0:
                    print(
                        f"sample {tick:6d}: mean error over the last {len(errors)}: "
                        f"{np.mean(errors):.3f}"
                    )
        client.clusters.delete(cluster.id)


if __name__ == "__main__":
    main()
