"""One call that builds the host readers, registers their collectors and returns the sampler."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from hanami_rt.telemetry.cpufreq import CpuFrequencyCollector, CpuFrequencyReader
from hanami_rt.telemetry.energy import EnergyAttributor, HostCpuTime
from hanami_rt.telemetry.instruments import Instruments
from hanami_rt.telemetry.rapl import RaplCollector, RaplMeter
from hanami_rt.telemetry.sampler import HostSampler
from hanami_rt.telemetry.thermal import TemperatureCollector, TemperatureReader

__all__ = ["HostTelemetry", "install_host_telemetry"]


@dataclass(frozen=True)
class HostTelemetry:
    """The host side of telemetry: readers (shared by scrape and sampler) and the sampler."""

    rapl: RaplMeter
    cpu_frequency: CpuFrequencyReader
    temperature: TemperatureReader
    attributor: EnergyAttributor
    sampler: HostSampler


def install_host_telemetry(
    registry: CollectorRegistry,
    instruments: Instruments,
    *,
    watts_per_core: float,
    sysfs_root: Path | str = "/sys",
    procfs_root: Path | str = "/proc",
    clock: Callable[[], float] = time.monotonic,
) -> HostTelemetry:
    """Register RAPL, CPU-frequency and temperature collectors on `registry`, wire energy
    attribution into `instruments.cluster_energy`, and return the pieces the server keeps.
    `clock` times the power intervals; tests pass a hand-moved one."""
    rapl = RaplMeter(sysfs_root, clock=clock)
    cpu_frequency = CpuFrequencyReader(sysfs_root, procfs_root)
    temperature = TemperatureReader(sysfs_root)
    registry.register(RaplCollector(rapl))
    registry.register(CpuFrequencyCollector(cpu_frequency))
    registry.register(TemperatureCollector(temperature))
    attributor = EnergyAttributor(
        instruments.cluster_energy,
        watts_per_core=watts_per_core,
        cluster_label=instruments.cluster_label,
    )
    sampler = HostSampler(
        rapl,
        cpu_frequency,
        temperature,
        attributor=attributor,
        host_cpu=HostCpuTime(procfs_root),
    )
    return HostTelemetry(rapl, cpu_frequency, temperature, attributor, sampler)
