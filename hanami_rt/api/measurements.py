"""/v1/measurements/{power,cpu-frequency,temperature} and /v1/system: the host, for dashboards.

A measurement answers four rings, oldest first: the last 60 seconds (one host sample each),
60 minutes, 24 hours and 365 days (each entry the mean of the finer ring's full period). An
entry is null where nothing could be measured (no RAPL, no sensor, a missed second).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import rule
from hanami_rt.telemetry.hub import Telemetry
from hanami_rt.telemetry.system import CpuTopology, Memory, read_system_info


def _ring(unit: str, span: str) -> Any:
    return field(metadata=rule(f"{span}, oldest first, in {unit}; null where not measured"))


@dataclass(frozen=True)
class PowerSeries:
    """CPU package power in watts (RAPL, all packages summed), oldest first."""

    seconds: list[float | None] = _ring("watts", "up to 60 one-second samples")
    minutes: list[float | None] = _ring("watts", "up to 60 one-minute means")
    hours: list[float | None] = _ring("watts", "up to 24 one-hour means")
    days: list[float | None] = _ring("watts", "up to 365 one-day means")


@dataclass(frozen=True)
class CpuFrequencySeries:
    """Mean frequency over all logical CPUs in hertz (cpufreq, else cpuinfo), oldest first."""

    seconds: list[float | None] = _ring("hertz", "up to 60 one-second samples")
    minutes: list[float | None] = _ring("hertz", "up to 60 one-minute means")
    hours: list[float | None] = _ring("hertz", "up to 24 one-hour means")
    days: list[float | None] = _ring("hertz", "up to 365 one-day means")


@dataclass(frozen=True)
class TemperatureSeries:
    """Hottest CPU-package sensor in degrees Celsius (else the hottest sensor), oldest first."""

    seconds: list[float | None] = _ring("degrees Celsius", "up to 60 one-second samples")
    minutes: list[float | None] = _ring("degrees Celsius", "up to 60 one-minute means")
    hours: list[float | None] = _ring("degrees Celsius", "up to 24 one-hour means")
    days: list[float | None] = _ring("degrees Celsius", "up to 365 one-day means")


@dataclass(frozen=True)
class SystemOut:
    """The host and the software serving: CPU topology, memory, versions, numba threading."""

    hostname: str
    kernel: str
    cpu: CpuTopology
    memory: Memory
    versions: dict[str, str] = field(metadata=rule("hanami_rt, python, numpy, numba"))
    numba_threading_layer: str | None = field(
        metadata=rule("the active layer; null until a parallel kernel has run")
    )
    numba_threading_layer_configured: str = field(metadata=rule("NUMBA_THREADING_LAYER"))
    numba_threads: int = field(metadata=rule("NUMBA_NUM_THREADS"))


def _telemetry(call: Call) -> Telemetry:
    return cast(Telemetry, call.request.app.state.telemetry)


def _series(call: Call, name: str) -> dict[str, list[float | None]]:
    return _telemetry(call).host.sampler.rings[name].snapshot()


async def power(call: Call) -> dict[str, list[float | None]]:
    """Package power rings (watts)."""
    return _series(call, "power")


async def cpu_frequency(call: Call) -> dict[str, list[float | None]]:
    """Mean CPU frequency rings (hertz)."""
    return _series(call, "cpu-frequency")


async def temperature(call: Call) -> dict[str, list[float | None]]:
    """CPU temperature rings (degrees Celsius)."""
    return _series(call, "temperature")


async def system(call: Call) -> dict[str, Any]:
    """Host facts, read now."""
    settings = call.runtime.settings
    info = await asyncio.to_thread(read_system_info, settings.sysfs_root, settings.procfs_root)
    return info.as_dict()


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/measurements/power",
        power,
        "CPU package power in watts: seconds, minutes, hours, days",
        "measurements",
        response=PowerSeries,
    ),
    Endpoint(
        "GET",
        "/v1/measurements/cpu-frequency",
        cpu_frequency,
        "Mean CPU frequency in hertz: seconds, minutes, hours, days",
        "measurements",
        response=CpuFrequencySeries,
    ),
    Endpoint(
        "GET",
        "/v1/measurements/temperature",
        temperature,
        "CPU temperature in degrees Celsius: seconds, minutes, hours, days",
        "measurements",
        response=TemperatureSeries,
    ),
    Endpoint(
        "GET",
        "/v1/system",
        system,
        "Host name, CPU topology, memory, versions, numba threading layer",
        "system",
        response=SystemOut,
    ),
]
