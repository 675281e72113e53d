"""The once-a-second host sampler: feeds the measurement rings and settles energy per cluster.

`HostSampler.tick` is pure and synchronous (tests call it directly); `run_sampler` is the only
asyncio here, a loop the server starts as a task in its lifespan and cancels at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hanami_rt.telemetry.cpufreq import CpuFrequencyReader
from hanami_rt.telemetry.energy import EnergyAttributor, HostCpuTime
from hanami_rt.telemetry.rapl import RaplMeter
from hanami_rt.telemetry.rings import MeasurementRings
from hanami_rt.telemetry.thermal import TemperatureReader

__all__ = ["HostSample", "HostSampler", "cpu_temperature", "run_sampler"]

_log = logging.getLogger(__name__)

_CPU_SENSORS = ("x86_pkg_temp", "coretemp/Package", "k10temp/Tctl", "k10temp/Tdie", "cpu")
"""Label prefixes of sensors that measure the CPU package; preferred over board sensors."""


@dataclass(frozen=True)
class HostSample:
    """One second's summary: package power, mean CPU frequency, CPU temperature (or None)."""

    power_watts: float | None
    cpu_frequency_hertz: float | None
    temperature_celsius: float | None


def cpu_temperature(zones: dict[str, float]) -> float | None:
    """The hottest CPU-package sensor, else the hottest sensor of any kind, else None."""
    cpu = [v for label, v in zones.items() if label.lower().startswith(_lower(_CPU_SENSORS))]
    values = cpu or list(zones.values())
    return max(values) if values else None


def _lower(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.lower() for p in prefixes)


class HostSampler:
    """Reads the host once per tick into three `MeasurementRings` and settles energy."""

    def __init__(
        self,
        rapl: RaplMeter,
        cpu_frequency: CpuFrequencyReader,
        temperature: TemperatureReader,
        *,
        attributor: EnergyAttributor | None = None,
        host_cpu: HostCpuTime | None = None,
    ) -> None:
        self._rapl = rapl
        self._cpu_frequency = cpu_frequency
        self._temperature = temperature
        self._attributor = attributor
        self._host_cpu = host_cpu
        self._last_package: float | None = None
        self._last_busy: float | None = None
        self.rings: dict[str, MeasurementRings] = {
            "power": MeasurementRings(),
            "cpu-frequency": MeasurementRings(),
            "temperature": MeasurementRings(),
        }
        """Keyed by the measurement endpoint's last path segment."""

    def tick(self) -> HostSample:
        """Take one second's sample, append it to the rings and settle attributed energy."""
        reading = self._rapl.read()
        frequencies = self._cpu_frequency.read()
        sample = HostSample(
            power_watts=reading.package_watts,
            cpu_frequency_hertz=(
                sum(frequencies.values()) / len(frequencies) if frequencies else None
            ),
            temperature_celsius=cpu_temperature(self._temperature.read()),
        )
        self.rings["power"].add(sample.power_watts)
        self.rings["cpu-frequency"].add(sample.cpu_frequency_hertz)
        self.rings["temperature"].add(sample.temperature_celsius)
        self._settle(reading.package_joules_total)
        return sample

    def skip(self, seconds: int) -> None:
        """Record `seconds` missed ticks as gaps so the rings keep their time axis."""
        for _ in range(seconds):
            for rings in self.rings.values():
                rings.add(None)

    def _settle(self, package_total: float | None) -> None:
        busy = self._host_cpu.busy_seconds() if self._host_cpu is not None else None
        busy_delta = _delta(self._last_busy, busy)
        self._last_busy = busy
        if self._attributor is None:
            return
        if package_total is None:
            self._last_package = None
            self._attributor.settle(None, busy_delta)
            return
        previous, self._last_package = self._last_package, package_total
        joules = _delta(previous, package_total)
        if joules is not None:
            self._attributor.settle(joules, busy_delta)
        # else: first RAPL reading; CPU time stays pending and is measured on the next tick


def _delta(previous: float | None, current: float | None) -> float | None:
    if previous is None or current is None or current < previous:
        return None
    return current - previous


async def run_sampler(sampler: HostSampler, interval: float = 1.0) -> None:
    """Tick `sampler` every `interval` seconds until cancelled; overruns become gaps."""
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval}")
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    failures = 0
    while True:
        try:
            await asyncio.to_thread(sampler.tick)
        except Exception:  # a sampler bug must not kill the server; log it once an hour
            if failures % 3600 == 0:
                _log.exception("host sampler tick failed (%d failures so far)", failures + 1)
            failures += 1
        next_at += interval
        late = loop.time() - next_at
        if late > interval:
            missed = int(late // interval)
            sampler.skip(missed)
            next_at += missed * interval
        await asyncio.sleep(max(next_at - loop.time(), 0.0))
