"""The workload of the realtime benchmarks (ws.py, learn.py, workers.py): MNIST-sized samples
(784 raw values 0-255, ~80 % zeros; one-hot targets over 10) and their msgpack frames."""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np


def samples(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` inputs and their one-hot targets, float32."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (count, 784)).astype(np.float32)
    x[rng.random(x.shape) < 0.8] = 0
    return x, np.eye(10, dtype=np.float32)[rng.integers(0, 10, count)]


def frames(op: str, cluster: str, x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """One `op` request per row (`id` = the row), inputs as bin float32; targets for a learn."""
    out = []
    for rid in range(len(x)):
        msg: dict[str, Any] = {"op": op, "id": rid, "cluster": cluster}
        msg["inputs"] = {"pixels": x[rid].tobytes()}
        if op == "learn":
            msg["expected"] = {"digit": y[rid].tobytes()}
        out.append(msgpack.packb(msg))
    return out
