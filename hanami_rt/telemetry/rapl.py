"""RAPL energy counters from powercap sysfs: joules accumulated across wraps, and watts.

Zones are the `intel-rapl:N` packages (plus `psys` where present) and their `intel-rapl:N:M`
sub-zones (core, uncore, dram). A package already contains its core, so zones are kept apart
and labelled "package-0", "package-0/core", ...; only top-level "package-*" zones are summed
into the package energy used for attribution. `intel-rapl-mmio:*` mirrors the same package
counter through another interface and is skipped so nothing is counted twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hanami_rt.telemetry import hostfiles
from hanami_rt.telemetry.hostfiles import OnceLog

__all__ = ["RaplCollector", "RaplMeter", "RaplReading"]

_log = logging.getLogger(__name__)
_UJ_PER_J = 1_000_000.0


@dataclass(frozen=True)
class _Zone:
    label: str
    directory: Path
    is_package: bool


@dataclass
class _ZoneState:
    raw_uj: int
    total_uj: int
    base_time: float
    base_total_uj: int
    watts: float | None = None


@dataclass(frozen=True)
class RaplReading:
    """One read of every readable zone; zones that could not be read are simply missing."""

    joules_total: dict[str, float] = field(default_factory=dict)
    watts: dict[str, float] = field(default_factory=dict)
    package_joules_total: float | None = None
    """Sum over the top-level package zones (what attribution splits); None without any."""
    package_watts: float | None = None
    """Sum of the package zones' power over the last interval; None until there is one."""


class RaplMeter:
    """Reads RAPL zones under `sysfs_root`, turning wrapping `energy_uj` into monotonic joules.

    Power is the energy difference over the last interval of at least `min_interval` seconds,
    so a scrape right after a sampler tick does not divide by a millisecond. A wrap is only
    seen if reads come more often than the counter's range lasts (tens of minutes at full
    power); the sampler reads every second. Thread-safe.
    """

    def __init__(
        self,
        sysfs_root: Path | str = "/sys",
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = 0.5,
    ) -> None:
        self._base = Path(sysfs_root) / "class" / "powercap"
        self._clock = clock
        self._min_interval = min_interval
        self._state: dict[str, _ZoneState] = {}
        self._lock = threading.Lock()
        self._once = OnceLog(_log)

    def read(self) -> RaplReading:
        """Read every zone now and update totals and power; unreadable zones are left out."""
        with self._lock:
            now = self._clock()
            totals: dict[str, float] = {}
            watts: dict[str, float] = {}
            package: float | None = None
            package_watts: float | None = None
            for zone in self._zones():
                state = self._advance(zone, now)
                if state is None:
                    continue
                totals[zone.label] = state.total_uj / _UJ_PER_J
                if state.watts is not None:
                    watts[zone.label] = state.watts
                if zone.is_package:
                    package = (package or 0.0) + state.total_uj / _UJ_PER_J
                    if state.watts is not None:
                        package_watts = (package_watts or 0.0) + state.watts
            return RaplReading(totals, watts, package, package_watts)

    def _zones(self) -> list[_Zone]:
        dirs = sorted(self._base.glob("intel-rapl:*"), key=lambda p: _zone_key(p.name))
        if not dirs:
            self._once.warning(
                "none",
                "RAPL: no intel-rapl zones under %s (no powercap driver, a VM, or not x86); "
                "power and energy series are absent",
                self._base,
            )
            return []
        names = {d.name: _zone_name(d) for d in dirs}
        raw: list[tuple[str, str]] = []
        for d in dirs:
            parts = d.name.split(":")
            parent = ":".join(parts[:2])
            if len(parts) > 2:
                raw.append((f"{names.get(parent, parent)}/{names[d.name]}", d.name))
            else:
                raw.append((names[d.name], d.name))
        labels = hostfiles.unique_labels(raw)
        return [
            _Zone(label, d, len(d.name.split(":")) == 2 and names[d.name].startswith("package"))
            for label, d in zip(labels, dirs, strict=True)
        ]

    def _advance(self, zone: _Zone, now: float) -> _ZoneState | None:
        path = zone.directory / "energy_uj"
        try:
            raw = hostfiles.read_int(path)
        except PermissionError:
            self._once.warning(
                "perm",
                "RAPL: %s is readable only by root since Linux 5.10 (CVE-2020-8694); its "
                "series and those of any other zone denied are absent (run as root or grant "
                "read access to energy_uj, e.g. with a udev rule)",
                path,
            )
            return None
        except (OSError, ValueError) as exc:
            self._once.warning(
                f"read:{zone.label}",
                "RAPL: cannot read %s (%s); zone %s is absent",
                path,
                exc,
                zone.label,
            )
            return None
        state = self._state.get(zone.label)
        if state is None:
            state = _ZoneState(raw, raw, now, raw)
            self._state[zone.label] = state
            return state
        state.total_uj += self._delta(zone, state.raw_uj, raw)
        state.raw_uj = raw
        elapsed = now - state.base_time
        if elapsed >= self._min_interval and elapsed > 0:
            state.watts = (state.total_uj - state.base_total_uj) / _UJ_PER_J / elapsed
            state.base_time, state.base_total_uj = now, state.total_uj
        return state

    def _delta(self, zone: _Zone, previous: int, current: int) -> int:
        if current >= previous:
            return current - previous
        try:
            max_range = hostfiles.read_int(zone.directory / "max_energy_range_uj")
        except (OSError, ValueError):
            self._once.warning(
                f"range:{zone.label}",
                "RAPL: zone %s went backwards and max_energy_range_uj is unreadable; "
                "counting from zero after the reset",
                zone.label,
            )
            return current
        return max(max_range - previous, 0) + current


def _zone_key(name: str) -> tuple[int, ...]:
    """Sort "intel-rapl:10" after "intel-rapl:2" and sub-zones right after their package."""
    return tuple(int(p) if p.isdigit() else -1 for p in name.split(":")[1:])


def _zone_name(directory: Path) -> str:
    try:
        return hostfiles.read_text(directory / "name") or directory.name
    except OSError:
        return directory.name


class RaplCollector(Collector):
    """Exposes `hanami_rapl_energy_joules_total{zone}` and `hanami_power_watts{zone}`."""

    def __init__(self, meter: RaplMeter) -> None:
        self._meter = meter

    def describe(self) -> Iterable[Metric]:
        """Names only, so registering does not touch the hardware."""
        yield CounterMetricFamily("hanami_rapl_energy_joules", "", labels=["zone"])
        yield GaugeMetricFamily("hanami_power_watts", "", labels=["zone"])

    def collect(self) -> Iterable[Metric]:
        """Read RAPL now; a family with no readable zone is not emitted at all."""
        reading = self._meter.read()
        if reading.joules_total:
            energy = CounterMetricFamily(
                "hanami_rapl_energy_joules",
                "Energy measured by RAPL per zone since the counter's origin, across wraps. "
                "Package zones already contain their sub-zones (core, uncore, dram).",
                labels=["zone"],
            )
            for zone, joules in reading.joules_total.items():
                energy.add_metric([zone], joules)
            yield energy
        if reading.watts:
            power = GaugeMetricFamily(
                "hanami_power_watts",
                "Mean RAPL power per zone over the last interval between readings.",
                labels=["zone"],
            )
            for zone, value in reading.watts.items():
                power.add_metric([zone], value)
            yield power
