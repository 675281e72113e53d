"""CPU frequency and temperature readers: exact values, fallbacks, absent series, log once."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hanami_rt.telemetry.cpufreq import CpuFrequencyCollector, CpuFrequencyReader
from hanami_rt.telemetry.thermal import TemperatureCollector, TemperatureReader

FIXTURES = Path(__file__).parents[1] / "fixtures"
SYSFS, PROCFS = FIXTURES / "sysfs", FIXTURES / "procfs"
EMPTY_SYSFS, EMPTY_PROCFS = FIXTURES / "sysfs-empty", FIXTURES / "procfs-empty"


def test_cpufreq_in_hertz_per_cpu() -> None:
    assert CpuFrequencyReader(SYSFS, PROCFS).read() == {
        "0": 2.4e9,
        "1": 2.5e9,
        "2": 0.8e9,
        "3": 3.1e9,
    }


def test_cpufreq_falls_back_to_cpuinfo(caplog: pytest.LogCaptureFixture) -> None:
    reader = CpuFrequencyReader(EMPTY_SYSFS, PROCFS)
    with caplog.at_level(logging.INFO, logger="hanami_rt.telemetry.cpufreq"):
        assert reader.read() == {"0": 1800e6, "1": 2200.5e6}
        reader.read()
    assert len(caplog.records) == 1
    assert "cpuinfo" in caplog.records[0].getMessage()


def test_cpufreq_collector_exact_and_absent(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    registry.register(CpuFrequencyCollector(CpuFrequencyReader(SYSFS, PROCFS)))
    assert registry.get_sample_value("hanami_cpu_frequency_hertz", {"cpu": "3"}) == 3.1e9

    empty = CollectorRegistry()
    empty.register(CpuFrequencyCollector(CpuFrequencyReader(EMPTY_SYSFS, EMPTY_PROCFS)))
    with caplog.at_level(logging.WARNING, logger="hanami_rt.telemetry.cpufreq"):
        assert list(empty.collect()) == []
        assert list(empty.collect()) == []
    assert len(caplog.records) == 1
    assert "frequency series are absent" in caplog.records[0].getMessage()


def test_temperatures_from_thermal_zones_and_hwmon() -> None:
    assert TemperatureReader(SYSFS).read() == {
        "acpitz@thermal_zone0": 27.8,
        "x86_pkg_temp": 45.0,
        "acpitz@thermal_zone2": 29.8,
        "coretemp/Package id 0": 46.0,
        "coretemp/Core 0": 44.0,
        "coretemp/temp3": 43.5,
        "nvme/Composite": 38.85,
    }


def test_temperature_collector_exact_and_absent(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    registry.register(TemperatureCollector(TemperatureReader(SYSFS)))
    get = registry.get_sample_value
    assert get("hanami_cpu_temperature_celsius", {"zone": "x86_pkg_temp"}) == 45.0

    empty = CollectorRegistry()
    empty.register(TemperatureCollector(TemperatureReader(EMPTY_SYSFS)))
    with caplog.at_level(logging.WARNING, logger="hanami_rt.telemetry.thermal"):
        assert list(empty.collect()) == []
        assert list(empty.collect()) == []
    assert len(caplog.records) == 1


def test_a_broken_sensor_is_skipped_not_zeroed(tmp_path: Path) -> None:
    sysfs = Path(shutil.copytree(SYSFS, tmp_path / "sysfs"))
    (sysfs / "class" / "thermal" / "thermal_zone1" / "temp").write_text("garbage\n")
    (sysfs / "devices" / "system" / "cpu" / "cpu2" / "cpufreq" / "scaling_cur_freq").unlink()
    assert "x86_pkg_temp" not in TemperatureReader(sysfs).read()
    assert set(CpuFrequencyReader(sysfs, PROCFS).read()) == {"0", "1", "3"}
