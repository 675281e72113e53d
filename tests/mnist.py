"""The committed MNIST subset (tests/fixtures/mnist), as float32 pixels and int labels."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from hanami_rt.idx import read_idx

FOLDER = Path(__file__).parent / "fixtures" / "mnist"
TEMPLATE = """version: 1
settings:
    neuron_cooldown: 10000000.0
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: {reduction}
bricks:
    1,1,1
        input: pixels
        number_of_neurons: 784
    2,1,1
        number_of_neurons: 400
    3,1,1
        output: digit
        number_of_neurons: 10
"""


@cache
def subset(part: str) -> tuple[np.ndarray, np.ndarray]:
    """`part` is "train" (6,000 images) or "t10k" (1,000): (images (n, 784) float32, labels)."""
    images = read_idx(FOLDER / f"{part}-images-idx3-ubyte.gz").reshape(-1, 784)
    labels = read_idx(FOLDER / f"{part}-labels-idx1-ubyte.gz")
    images.setflags(write=False)
    return images.astype(np.float32), labels


def one_hot(labels: np.ndarray) -> np.ndarray:
    """Labels as float32 one-hot rows of 10."""
    return np.eye(10, dtype=np.float32)[labels]


def template(reduction: bool = False) -> str:
    """The MNIST template 784 -> 400 -> 10 of the benchmark."""
    return TEMPLATE.format(reduction=str(reduction).lower())
