"""`Telemetry`: one app's registry, instruments, host readers, work meter and regulator.

`create_app` builds one per app (never a module global, so every test gets fresh series), the
lifespan `start`s the host sampler (and the regulator) and `stop`s them; `/metrics` calls
`exposition`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, generate_latest

from hanami_rt.settings import Settings
from hanami_rt.telemetry.host import HostTelemetry, install_host_telemetry
from hanami_rt.telemetry.instruments import Instruments
from hanami_rt.telemetry.regulator import CpuFrequencyRegulator
from hanami_rt.telemetry.sampler import run_sampler
from hanami_rt.telemetry.work import ClusterSizes, WorkMeter

__all__ = ["Telemetry"]

_log = logging.getLogger(__name__)


class Telemetry:
    """Everything telemetry of one app; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self.instruments = Instruments(self.registry, max_clusters=settings.max_metric_clusters)
        self.host: HostTelemetry = install_host_telemetry(
            self.registry,
            self.instruments,
            watts_per_core=settings.watts_per_core,
            sysfs_root=settings.sysfs_root,
            procfs_root=settings.procfs_root,
        )
        self.regulator: CpuFrequencyRegulator | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.work = WorkMeter(self.instruments, self.host.attributor, self._activity)

    def _activity(self) -> None:
        if self.regulator is not None:
            self.regulator.activity()

    def _wake_regulator(self) -> None:
        """Called from any thread when work arrives while the CPUs are capped."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    async def start(self) -> None:
        """Start the host sampler and, when `cpufreq_regulation` is on, the regulator."""
        self._loop = asyncio.get_running_loop()
        interval = self.settings.sample_interval_s
        self._tasks.append(self._loop.create_task(run_sampler(self.host.sampler, interval)))
        if self.settings.cpufreq_regulation:
            self._wake = asyncio.Event()
            regulator = CpuFrequencyRegulator(
                self.settings.sysfs_root,
                idle_after_s=self.settings.cpufreq_idle_after_s,
                idle_khz=self.settings.cpufreq_idle_khz,
                instruments=self.instruments,
                wake=self._wake_regulator,
            )
            await asyncio.to_thread(regulator.restore)  # a previous process may have died idle
            self.regulator = regulator
            self._tasks.append(self._loop.create_task(self._regulate(regulator, self._wake)))

    async def _regulate(self, regulator: CpuFrequencyRegulator, wake: asyncio.Event) -> None:
        interval = self.settings.sample_interval_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval)
            wake.clear()
            try:
                await asyncio.to_thread(regulator.tick)
            except Exception:  # never let regulation take the server down
                _log.exception("cpufreq regulation failed")

    async def stop(self) -> None:
        """Stop the sampler and regulator; lift any frequency cap."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.regulator is not None:
            await asyncio.to_thread(self.regulator.restore)
            self.regulator = None

    def exposition(self, sizes: Mapping[str, ClusterSizes]) -> bytes:
        """The text format of every metric, after setting the live clusters' sizes (blocking:
        collectors read sysfs; run it off the event loop)."""
        self.work.refresh_clusters(sizes)
        return generate_latest(self.registry)
