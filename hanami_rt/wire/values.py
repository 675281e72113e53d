"""Value arrays <-> msgpack payloads: bin of little-endian float32, or an array of numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hanami_rt.wire.codes import ErrorCode, WireError
from hanami_rt.wire.messages import Values

F32 = np.dtype("<f4")
"""The one value type on the wire: IEEE 754 binary32, little-endian, 4 bytes a value."""

_NUMBER_TYPES = frozenset((int, float))


def bin_to_values(data: bytes, where: str, id: int | None = None) -> Values:
    """View a bin as float32 without copying; the array is read-only and shares `data`."""
    if len(data) % 4:
        raise WireError(
            ErrorCode.INVALID_MESSAGE,
            f"{where}: bin of {len(data)} bytes is not whole float32 values (4 bytes each)",
            id,
        )
    return np.frombuffer(data, dtype=F32)


def list_to_values(items: list[Any], where: str, id: int | None = None) -> Values:
    """Convert an array of msgpack numbers to float32 (nearest; out-of-range becomes infinity)."""
    if not _NUMBER_TYPES.issuperset(map(type, items)):
        raise WireError(
            ErrorCode.INVALID_MESSAGE,
            f"{where}: an array of values may hold only numbers (send bin float32 instead)",
            id,
        )
    with np.errstate(over="ignore"):
        return np.array(items, dtype=F32)


def values_to_bin(values: ArrayLike) -> bytes:
    """Pack any array of numbers as little-endian float32 bytes, flattened in C order."""
    if isinstance(values, np.ndarray) and values.dtype == F32:
        return values.tobytes()
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=F32).tobytes()
