"""A streaming .npy writer: rows are appended as they are parsed, the header is fixed at the end.

The header gets a fixed, padded length up front, so the file is written in one pass without
knowing the row count in advance and without holding the array in memory.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

import numpy as np

MAGIC = b"\x93NUMPY\x01\x00"
HEADER_BYTES = 128  # magic + length + dict text, padded: room for any 2-D float32 shape


def _header(rows: int, width: int) -> bytes:
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {width}), }}"
    room = HEADER_BYTES - len(MAGIC) - 2
    return MAGIC + struct.pack("<H", room) + text.ljust(room - 1).encode("latin1") + b"\n"


class NpyWriter:
    """Appends float32 rows of a fixed width to `handle`; `finish` writes the real header."""

    def __init__(self, handle: BinaryIO, width: int) -> None:
        self._handle = handle
        self.width = width
        self.rows = 0
        handle.write(_header(0, width))

    def append(self, rows: np.ndarray) -> None:
        """Write `rows` (n, width), converted to little-endian float32."""
        block = np.ascontiguousarray(rows, dtype="<f4").reshape(-1, self.width)
        self._handle.write(block.tobytes())
        self.rows += block.shape[0]

    def finish(self) -> int:
        """Write the header with the final row count; returns the file's size in bytes."""
        self._handle.seek(0)
        self._handle.write(_header(self.rows, self.width))
        self._handle.seek(0, 2)
        return self._handle.tell()
