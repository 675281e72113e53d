"""The committed MNIST subset (tests/fixtures/mnist), as float32 pixels and int labels."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from hanami_rt.bench import TEMPLATE
from hanami_rt.idx import read_idx

FOLDER = Path(__file__).parent / "fixtures" / "mnist"


@cache
def subset(part: str) -> tuple[np.ndarray, np.ndarray]:
    """`part` is "train" (6,000 images) or "t10k" (1,000): (images (n, 784) float32, labels)."""
    images = read_idx(FOLDER / f"{part}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    images.setflags(write=False)  # cached and shared: no test may change it for the next
    labels = read_idx(FOLDER / f"{part}-labels-idx1-ubyte.gz")  # read-only already (a view)
    return images, labels


def one_hot(labels: np.ndarray) -> np.ndarray:
    """Labels as float32 one-hot rows of 10."""
    return np.eye(10, dtype=np.float32)[labels]


def template(reduction: bool = False) -> str:
    """The MNIST template 784 -> 400 -> 10 of the benchmark."""
    return TEMPLATE.format(cooldown=1e7, hidden=400, reduction=str(reduction).lower())
