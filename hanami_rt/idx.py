"""Reading MNIST-style IDX files (plain or gzip): magic, big-endian counts, then raw bytes."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file of unsigned bytes: (count, rows, cols) images or (count,) labels.

    Raises ValueError naming the file when the magic number or the size does not fit.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for an IDX header")
    (magic,) = struct.unpack_from(">I", data)
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise ValueError(f"{path}: magic {magic} is neither IDX images (2051) nor labels (2049)")
    dims = 3 if magic == IMAGES_MAGIC else 1
    shape = struct.unpack_from(f">{dims}I", data, 4)
    header = 4 + 4 * dims
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: header promises {expected} bytes, file has {len(data)}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)
