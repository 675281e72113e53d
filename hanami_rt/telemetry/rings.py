"""Seconds/minutes/hours/days rings, each rolling the mean of a full period into the next.

Pure and clock-free: one `add` is one second. The sampler decides when a second has passed.
"""

from __future__ import annotations

import threading
from collections import deque

__all__ = ["RING_SIZES", "MeasurementRings"]

RING_SIZES: dict[str, int] = {"seconds": 60, "minutes": 60, "hours": 24, "days": 365}
"""Ring name -> capacity; a ring rolls into the next every time it gathers `capacity` entries
(the days ring rolls nowhere)."""


class MeasurementRings:
    """One measured quantity (e.g. package power) kept at four resolutions, oldest first.

    A missing sample is None; a rolled mean ignores Nones and is None only when all were.
    Thread-safe: the sampler adds from a worker thread while a request takes a snapshot.
    """

    def __init__(self) -> None:
        self._names = list(RING_SIZES)
        self._rings: list[deque[float | None]] = [deque(maxlen=n) for n in RING_SIZES.values()]
        self._periods = list(RING_SIZES.values())[:-1]
        self._pending: list[list[float | None]] = [[] for _ in self._periods]
        self._lock = threading.Lock()

    def add(self, value: float | None) -> None:
        """Record the sample of one second and roll full periods into the coarser rings."""
        with self._lock:
            self._add(value)

    def _add(self, value: float | None) -> None:
        level = 0
        carried: float | None = value
        while True:
            self._rings[level].append(carried)
            if level == len(self._periods):
                return
            pending = self._pending[level]
            pending.append(carried)
            if len(pending) < self._periods[level]:
                return
            carried = _mean(pending)
            pending.clear()
            level += 1

    def snapshot(self) -> dict[str, list[float | None]]:
        """`{"seconds": [...], "minutes": [...], "hours": [...], "days": [...]}`, oldest first."""
        with self._lock:
            return {name: list(ring) for name, ring in zip(self._names, self._rings, strict=True)}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
