"""The MNIST benchmark: one online pass over 60,000 raw images, then the 10,000 test images.

Prints one JSON line; `benchmarks/mnist.py` and `hanami-rt bench mnist` both run it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(os.environ.get("HANAMI_MNIST", "../shared/datasets/mnist"))

TEMPLATE = """version: 1
settings:
    neuron_cooldown: {cooldown}
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: {reduction}
bricks:
    1,1,1
        input: pixels
        number_of_neurons: 784
    2,1,1
        number_of_neurons: {hidden}
    3,1,1
        output: digit
        number_of_neurons: 10
"""


def add_mnist_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options, shared by the script and the CLI."""
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder with the MNIST IDX files (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=400, help="hidden neurons")
    parser.add_argument("--cooldown", type=float, default=1e7, help="neuron_cooldown")
    parser.add_argument("--reduction", action="store_true", help="enable_reduction: true")
    parser.add_argument(
        "--train-limit", type=int, default=None, help="learn only the first N training images"
    )


def idx_file(data: Path, name: str) -> Path:
    """The IDX file `name` in `data`, plain or gzipped; exits with a hint when it is missing."""
    for candidate in (data / name, data / f"{name}.gz"):
        if candidate.exists():
            return candidate
    raise SystemExit(f"{name}(.gz) not found in {data}; pass --data")


def _load(data: Path, name: str) -> np.ndarray:
    from hanami_rt.idx import read_idx

    return read_idx(idx_file(data, name))


def run_mnist(args: argparse.Namespace) -> int:
    """Run the benchmark described by `args` and print its JSON line."""
    print(json.dumps(measure_mnist(args)))
    return 0


def measure_mnist(args: argparse.Namespace) -> dict[str, object]:
    """One benchmark run: learn the training set once, then classify the test set."""
    started = time.perf_counter()
    from hanami_rt.core.network import Network, warm_up

    warm_up()
    compile_seconds = time.perf_counter() - started
    train_x = _load(args.data, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32)
    train_y = _load(args.data, "train-labels-idx1-ubyte")
    test_x = _load(args.data, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32)
    test_y = _load(args.data, "t10k-labels-idx1-ubyte")
    if args.train_limit:
        train_x, train_y = train_x[: args.train_limit], train_y[: args.train_limit]
    one_hot = np.eye(10, dtype=np.float32)[train_y]
    template = TEMPLATE.format(
        cooldown=args.cooldown, hidden=args.hidden, reduction=str(args.reduction).lower()
    )
    net = Network.from_template(template, seed=args.seed)

    t0 = time.perf_counter()
    net.learn_many(train_x, one_hot)
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    outputs = net.infer_many(test_x)["digit"]
    test_seconds = time.perf_counter() - t0
    stats = net.stats()
    result = {
        "benchmark": "mnist",
        "seed": args.seed,
        "hidden": args.hidden,
        "train_samples": int(train_x.shape[0]),
        "train_seconds": round(train_seconds, 4),
        "train_samples_per_s": round(train_x.shape[0] / train_seconds),
        "test_seconds": round(test_seconds, 4),
        "test_accuracy": round(float((outputs.argmax(axis=1) == test_y).mean()), 4),
        "synapses": stats["synapses"],
        "sections": stats["sections"],
        "model_bytes": len(net.to_bytes()),
        "memory_bytes": stats["bytes"],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "compile_seconds": round(compile_seconds, 3),
    }
    return result
