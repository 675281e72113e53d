"""Opt-in CPU-frequency regulation: cap `scaling_max_freq` while idle, lift the cap under load.

Pure and synchronous: the clock and the sysfs root are parameters, `tick` decides. Work calls
`activity()` (one clock read); `tick()` (once per sample interval, and at once when `activity`
wakes it) lowers every regulated CPU's `scaling_max_freq` to the idle frequency after
`idle_after_s` without work, and writes `cpuinfo_max_freq` back as soon as work is seen again.
Only CPUs whose `scaling_max_freq` is writable are regulated; `restore()` lifts every cap (the
server calls it at startup, in case a previous process died while idle, and at shutdown).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hanami_rt.telemetry import hostfiles
from hanami_rt.telemetry.instruments import Instruments

__all__ = ["CpuFrequencyRegulator", "RegulatedCpu"]

_log = logging.getLogger(__name__)
_CPU_DIR = re.compile(r"cpu(\d+)$")


@dataclass(frozen=True)
class RegulatedCpu:
    """One CPU's cpufreq directory and its idle and full `scaling_max_freq` in kHz."""

    cpu: str
    directory: Path
    idle_khz: int
    max_khz: int


class CpuFrequencyRegulator:
    """Lowers and restores `scaling_max_freq` of the CPUs under `<sysfs>/devices/system/cpu`."""

    def __init__(
        self,
        sysfs_root: Path | str = "/sys",
        *,
        idle_after_s: float = 30.0,
        idle_khz: int = 0,
        instruments: Instruments | None = None,
        clock: Callable[[], float] = time.monotonic,
        wake: Callable[[], None] | None = None,
    ) -> None:
        if idle_after_s <= 0:
            raise ValueError(f"idle_after_s must be positive, got {idle_after_s}")
        self._base = Path(sysfs_root) / "devices" / "system" / "cpu"
        self._idle_after_s = idle_after_s
        self._clock = clock
        self._instruments = instruments
        self._wake = wake
        self._last_active = clock()
        self._woken = False
        self.lowered = False
        """True while the idle caps are written."""
        self.cpus = self._discover(idle_khz)
        """The CPUs being regulated (empty: nothing writable, regulation does nothing)."""
        if not self.cpus:
            _log.warning(
                "cpufreq regulation is on but no %s/cpu*/cpufreq/scaling_max_freq is writable "
                "(not root, or no cpufreq driver); it does nothing",
                self._base,
            )

    def _discover(self, idle_khz: int) -> list[RegulatedCpu]:
        found: list[RegulatedCpu] = []
        for directory in self._base.glob("cpu*"):
            match = _CPU_DIR.match(directory.name)
            cpufreq = directory / "cpufreq"
            if match is None or not os.access(cpufreq / "scaling_max_freq", os.W_OK):
                continue
            try:
                max_khz = hostfiles.read_int(cpufreq / "cpuinfo_max_freq")
                min_khz = hostfiles.read_int(cpufreq / "scaling_min_freq")
            except (OSError, ValueError):
                continue
            idle = min(max(idle_khz, min_khz), max_khz) if idle_khz else min_khz
            found.append(RegulatedCpu(match.group(1), cpufreq, idle, max_khz))
        return sorted(found, key=lambda c: int(c.cpu))

    def activity(self) -> None:
        """Learn, infer or task work just ran; cheap enough for every request."""
        self._last_active = self._clock()
        if self.lowered and not self._woken and self._wake is not None:
            self._woken = True
            self._wake()

    def tick(self) -> None:
        """Lower the caps after `idle_after_s` without work; lift them once work is seen."""
        self._woken = False
        idle_for = self._clock() - self._last_active
        if self.lowered and idle_for < self._idle_after_s:
            self._write_all(lambda cpu: cpu.max_khz, lowered=False, why="work resumed")
        elif not self.lowered and idle_for >= self._idle_after_s and self.cpus:
            self._write_all(
                lambda cpu: cpu.idle_khz, lowered=True, why=f"idle for {idle_for:.0f} s"
            )

    def restore(self) -> None:
        """Write `cpuinfo_max_freq` back to every regulated CPU (startup and shutdown)."""
        self._write_all(lambda cpu: cpu.max_khz, lowered=False, why="restore", count=self.lowered)

    def _write_all(
        self, khz: Callable[[RegulatedCpu], int], *, lowered: bool, why: str, count: bool = True
    ) -> None:
        written: list[str] = []
        for cpu in self.cpus:
            try:
                (cpu.directory / "scaling_max_freq").write_text(f"{khz(cpu)}\n")
            except OSError as exc:
                _log.warning("cpufreq: cannot write cpu%s scaling_max_freq: %s", cpu.cpu, exc)
                continue
            written.append(cpu.cpu)
            if self._instruments is not None:
                self._instruments.cpufreq_regulated.labels(cpu.cpu).set(1 if lowered else 0)
        self.lowered = lowered
        if not written:
            return
        if self._instruments is not None and count:
            direction = "lowered" if lowered else "restored"
            self._instruments.cpufreq_changes.labels(direction).inc()
        _log.info(
            "cpufreq: %s; scaling_max_freq %s on cpu %s (%s kHz)",
            why,
            "lowered" if lowered else "restored",
            ",".join(written),
            ",".join(str(khz(cpu)) for cpu in self.cpus if cpu.cpu in written),
        )
