"""CPU and board temperatures from sysfs thermal zones and hwmon sensors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hanami_rt.telemetry import hostfiles
from hanami_rt.telemetry.hostfiles import OnceLog

__all__ = ["TemperatureCollector", "TemperatureReader"]

_log = logging.getLogger(__name__)
_TEMP_INPUT = re.compile(r"temp(\d+)_input$")
_NUMBER = re.compile(r"(\d+)$")


def _natural(path: Path) -> tuple[str, int]:
    match = _NUMBER.search(path.name)
    return (path.name.rstrip("0123456789"), int(match.group(1)) if match else -1)


class TemperatureReader:
    """Reads `thermal_zone*/temp` (label: its `type`) and hwmon `temp*_input` (label:
    "<hwmon name>/<temp*_label>"), all in millidegrees; colliding labels get "@<source>"."""

    def __init__(self, sysfs_root: Path | str = "/sys") -> None:
        self._thermal = Path(sysfs_root) / "class" / "thermal"
        self._hwmon = Path(sysfs_root) / "class" / "hwmon"
        self._once = OnceLog(_log)

    def read(self) -> dict[str, float]:
        """Degrees Celsius keyed by zone label; empty when no sensor is readable."""
        pairs: list[tuple[str, str]] = []
        values: list[float] = []
        for label, source, celsius in [*self._read_thermal(), *self._read_hwmon()]:
            pairs.append((label, source))
            values.append(celsius)
        if not values:
            self._once.warning(
                "none",
                "Temperature: no readable thermal_zone*/temp under %s nor hwmon temp*_input "
                "under %s (a VM or container?); temperature series are absent",
                self._thermal,
                self._hwmon,
            )
            return {}
        return dict(zip(hostfiles.unique_labels(pairs), values, strict=True))

    def _read_thermal(self) -> list[tuple[str, str, float]]:
        found: list[tuple[str, str, float]] = []
        for zone in sorted(self._thermal.glob("thermal_zone*"), key=_natural):
            try:
                millis = hostfiles.read_int(zone / "temp")
            except (OSError, ValueError):
                continue
            try:
                label = hostfiles.read_text(zone / "type") or zone.name
            except OSError:
                label = zone.name
            found.append((label, zone.name, millis / 1000.0))
        return found

    def _read_hwmon(self) -> list[tuple[str, str, float]]:
        found: list[tuple[str, str, float]] = []
        for device in sorted(self._hwmon.glob("hwmon*"), key=_natural):
            try:
                name = hostfiles.read_text(device / "name") or device.name
            except OSError:
                name = device.name
            for sensor in sorted(device.glob("temp*_input"), key=_sensor_number):
                try:
                    millis = hostfiles.read_int(sensor)
                except (OSError, ValueError):
                    continue
                prefix = sensor.name.removesuffix("_input")
                try:
                    label = hostfiles.read_text(device / f"{prefix}_label") or prefix
                except OSError:
                    label = prefix
                found.append((f"{name}/{label}", f"{device.name}/{prefix}", millis / 1000.0))
        return found


def _sensor_number(path: Path) -> int:
    match = _TEMP_INPUT.match(path.name)
    return int(match.group(1)) if match else -1


class TemperatureCollector(Collector):
    """Exposes `hanami_cpu_temperature_celsius{zone}`, read at scrape time."""

    def __init__(self, reader: TemperatureReader) -> None:
        self._reader = reader

    def describe(self) -> Iterable[Metric]:
        """Names only, so registering does not touch the hardware."""
        yield GaugeMetricFamily("hanami_cpu_temperature_celsius", "", labels=["zone"])

    def collect(self) -> Iterable[Metric]:
        """Read sensors now; nothing is emitted when no sensor is readable."""
        values = self._reader.read()
        if not values:
            return
        family = GaugeMetricFamily(
            "hanami_cpu_temperature_celsius",
            "Temperature per thermal zone (its type) or hwmon sensor (<chip>/<label>).",
            labels=["zone"],
        )
        for zone, celsius in values.items():
            family.add_metric([zone], celsius)
        yield family
