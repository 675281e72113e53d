"""Energy per cluster and op: package energy split by CPU-time share, or an honest estimate.

Worker threads report the `time.thread_time()` their kernels used with `record`; once a tick
the sampler calls `settle` with the package energy and host busy CPU time of the interval.
With RAPL, a (cluster, op) gets package joules x its CPU seconds / host busy CPU seconds, so
other processes keep their share (source="rapl"). Without RAPL, it gets CPU seconds x the
configured watts per core (source="estimated"), which nobody should mistake for a measurement.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from prometheus_client import Counter

from hanami_rt.telemetry import hostfiles

__all__ = ["DEFAULT_WATTS_PER_CORE", "EnergyAttributor", "HostCpuTime"]

DEFAULT_WATTS_PER_CORE = 10.0
"""A rough figure for one busy server core; settings should let operators replace it."""

_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal (guest is in user)


class EnergyAttributor:
    """Accumulates CPU time per (cluster, op) between ticks and turns it into joules."""

    def __init__(
        self,
        counter: Counter,
        *,
        watts_per_core: float,
        cluster_label: Callable[[str], str] = str,
    ) -> None:
        if watts_per_core <= 0:
            raise ValueError(f"watts_per_core must be positive, got {watts_per_core}")
        self._counter = counter
        self._watts_per_core = watts_per_core
        self._cluster_label = cluster_label
        self._pending: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._lock = threading.Lock()

    def record(self, cluster_id: str, op: str, cpu_seconds: float) -> None:
        """Add CPU time spent on `op` (learn, infer, ...) for a cluster; safe from any thread."""
        if cpu_seconds <= 0:
            return
        key = (self._cluster_label(cluster_id), op)
        with self._lock:
            self._pending[key] += cpu_seconds

    def forget(self, cluster_id: str) -> None:
        """Drop CPU time still pending for a cluster that is gone (its series are dropped)."""
        with self._lock:  # "_other" time stays: it belongs to other clusters too
            for key in [key for key in self._pending if key[0] == cluster_id]:
                del self._pending[key]

    def settle(
        self, package_joules: float | None, host_busy_seconds: float | None = None
    ) -> dict[tuple[str, str], float]:
        """Attribute the interval's energy, increment the counter and return joules per key.

        `package_joules` None means no RAPL: estimate instead. `host_busy_seconds` is the CPU
        time every process used in the interval; when unknown, the recorded work gets it all.
        """
        with self._lock:
            pending, self._pending = self._pending, defaultdict(float)
        work = sum(pending.values())
        if work <= 0:
            return {}
        if package_joules is None:
            source = "estimated"
            shares = {key: cpu * self._watts_per_core for key, cpu in pending.items()}
        else:
            source = "rapl"
            total = max(work, host_busy_seconds or 0.0)
            joules = max(package_joules, 0.0)
            shares = {key: joules * cpu / total for key, cpu in pending.items()}
        for (cluster, op), value in shares.items():
            self._counter.labels(cluster, op, source).inc(value)
        return shares


class HostCpuTime:
    """Busy CPU seconds of the whole host since boot, from the first line of `<procfs>/stat`."""

    def __init__(
        self, procfs_root: Path | str = "/proc", ticks_per_second: int | None = None
    ) -> None:
        self._stat = Path(procfs_root) / "stat"
        self._hz = ticks_per_second or os.sysconf("SC_CLK_TCK")

    def busy_seconds(self) -> float | None:
        """User+nice+system+irq+softirq+steal over all CPUs in seconds; None if unreadable."""
        try:
            first = hostfiles.read_text(self._stat).splitlines()[0].split()
        except (OSError, IndexError):
            return None
        if not first or first[0] != "cpu":
            return None
        try:
            ticks = [int(value) for value in first[1:]]
        except ValueError:
            return None
        return sum(ticks[i] for i in _BUSY_FIELDS if i < len(ticks)) / self._hz
