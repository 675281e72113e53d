"""MNIST-style IDX pairs (images + labels, plain or gzip) -> `images` and one-hot `labels`.

Read in blocks, never whole: an images file of any size costs a block of memory. Pixel values
stay raw (0-255, no normalisation); labels become one-hot rows as wide as the largest label + 1.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from hanami_rt.datasets.npy import NpyWriter
from hanami_rt.errors import ValidationError
from hanami_rt.idx import IMAGES_MAGIC, LABELS_MAGIC

_BLOCK_ITEMS = 4096


def open_maybe_gzip(path: Path) -> BinaryIO:
    """The file, decompressed on the fly when it starts with the gzip magic bytes."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")  # type: ignore[return-value]


def _read_exact(handle: BinaryIO, size: int, what: str) -> bytes:
    try:
        return handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValidationError(
            f"{what} is not a valid gzip stream ({exc}); upload it again"
        ) from None


def _header(handle: BinaryIO, what: str, magic: int, dims: int) -> tuple[int, ...]:
    head = _read_exact(handle, 4 + 4 * dims, what)
    if len(head) < 4:
        raise ValidationError(f"{what} is too short for an IDX header ({len(head)} bytes)")
    (found,) = struct.unpack_from(">I", head)
    if found != magic:
        kind = "images (2051)" if magic == IMAGES_MAGIC else "labels (2049)"
        raise ValidationError(
            f"{what}: IDX magic number is {found}, expected {kind}; "
            "is it the right file (images and labels swapped?)"
        )
    if len(head) < 4 + 4 * dims:
        raise ValidationError(f"{what}: the IDX header is cut short")
    return struct.unpack_from(f">{dims}I", head, 4)


def _check_end(handle: BinaryIO, what: str, count: int) -> None:
    if _read_exact(handle, 1, what):
        raise ValidationError(
            f"{what} has more bytes than its header's {count} items; the count is wrong"
        )


def read_labels(path: Path) -> np.ndarray:
    """The labels of an IDX labels file (one byte per item)."""
    what = "the labels file"
    with open_maybe_gzip(path) as handle:
        (count,) = _header(handle, what, LABELS_MAGIC, 1)
        data = _read_exact(handle, count, what)
        if len(data) < count:
            raise ValidationError(
                f"{what} ends after {len(data)} of the {count} labels its header promises "
                "(truncated upload?)"
            )
        _check_end(handle, what, count)
    return np.frombuffer(data, dtype=np.uint8)


def import_idx(
    images: Path, labels: Path, images_out: BinaryIO, labels_out: BinaryIO
) -> tuple[int, int, int]:
    """Validate and convert an IDX pair; returns (rows, pixels per image, classes)."""
    classes_of = read_labels(labels)
    what = "the images file"
    with open_maybe_gzip(images) as handle:
        count, height, width = _header(handle, what, IMAGES_MAGIC, 3)
        if count != classes_of.shape[0]:
            raise ValidationError(
                f"the images file holds {count} images but the labels file {classes_of.shape[0]} "
                "labels; they must be the same length"
            )
        pixels = height * width
        if pixels == 0:
            raise ValidationError(f"{what}: images of {height}x{width} pixels hold nothing")
        classes = int(classes_of.max()) + 1 if count else 1
        one_hot = np.eye(classes, dtype=np.float32)
        image_writer = NpyWriter(images_out, pixels)
        label_writer = NpyWriter(labels_out, classes)
        done = 0
        while done < count:
            n = min(_BLOCK_ITEMS, count - done)
            block = _read_exact(handle, n * pixels, what)
            if len(block) < n * pixels:
                got = done + len(block) // pixels
                raise ValidationError(
                    f"{what} ends after {got} of the {count} images its header promises "
                    "(truncated upload?)"
                )
            image_writer.append(np.frombuffer(block, dtype=np.uint8).reshape(n, pixels))
            label_writer.append(one_hot[classes_of[done : done + n]])
            done += n
        _check_end(handle, what, count)
    if count == 0:
        raise ValidationError("the IDX files hold no images; upload a non-empty pair")
    image_writer.finish()
    label_writer.finish()
    return count, pixels, classes
