"""Current CPU frequency per logical CPU: cpufreq in sysfs, else the `cpu MHz` of cpuinfo."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hanami_rt.telemetry import hostfiles
from hanami_rt.telemetry.hostfiles import OnceLog

__all__ = ["CpuFrequencyCollector", "CpuFrequencyReader"]

_log = logging.getLogger(__name__)
_CPU_DIR = re.compile(r"cpu(\d+)$")


class CpuFrequencyReader:
    """Reads `scaling_cur_freq` (kHz) per CPU; falls back to `<procfs>/cpuinfo` (MHz)."""

    def __init__(self, sysfs_root: Path | str = "/sys", procfs_root: Path | str = "/proc") -> None:
        self._cpu_base = Path(sysfs_root) / "devices" / "system" / "cpu"
        self._cpuinfo = Path(procfs_root) / "cpuinfo"
        self._once = OnceLog(_log)

    def read(self) -> dict[str, float]:
        """Frequency in hertz keyed by CPU number as a string; empty when nothing is readable."""
        found = self._read_cpufreq()
        if found:
            return found
        found = self._read_cpuinfo()
        if found:
            self._once.info(
                "fallback",
                "CPU frequency: no readable cpufreq/scaling_cur_freq under %s; using %s",
                self._cpu_base,
                self._cpuinfo,
            )
            return found
        self._once.warning(
            "none",
            "CPU frequency: neither %s/cpu*/cpufreq/scaling_cur_freq nor 'cpu MHz' in %s is "
            "readable (a VM or container without cpufreq?); frequency series are absent",
            self._cpu_base,
            self._cpuinfo,
        )
        return {}

    def _read_cpufreq(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for directory in self._cpu_base.glob("cpu*"):
            match = _CPU_DIR.match(directory.name)
            if match is None:
                continue
            try:
                khz = hostfiles.read_int(directory / "cpufreq" / "scaling_cur_freq")
            except (OSError, ValueError):
                continue
            found[match.group(1)] = khz * 1000.0
        return dict(sorted(found.items(), key=lambda kv: int(kv[0])))

    def _read_cpuinfo(self) -> dict[str, float]:
        try:
            text = hostfiles.read_text(self._cpuinfo)
        except OSError:
            return {}
        found: dict[str, float] = {}
        processor: str | None = None
        for line in text.splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "processor":
                processor = value
            elif key == "cpu MHz" and processor is not None:
                try:
                    found[processor] = float(value) * 1e6
                except ValueError:
                    continue
        return found


class CpuFrequencyCollector(Collector):
    """Exposes `hanami_cpu_frequency_hertz{cpu}`, read at scrape time."""

    def __init__(self, reader: CpuFrequencyReader) -> None:
        self._reader = reader

    def describe(self) -> Iterable[Metric]:
        """Names only, so registering does not touch the hardware."""
        yield GaugeMetricFamily("hanami_cpu_frequency_hertz", "", labels=["cpu"])

    def collect(self) -> Iterable[Metric]:
        """Read frequencies now; nothing is emitted when no source is readable."""
        values = self._reader.read()
        if not values:
            return
        family = GaugeMetricFamily(
            "hanami_cpu_frequency_hertz",
            "Current frequency of each logical CPU (cpufreq scaling_cur_freq, else cpuinfo).",
            labels=["cpu"],
        )
        for cpu, hertz in values.items():
            family.add_metric([cpu], hertz)
        yield family
