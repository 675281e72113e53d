"""RAPL: exact joules from the fixture tree, power from two readings, the wrap, absent series."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hanami_rt.telemetry import hostfiles
from hanami_rt.telemetry.rapl import RaplCollector, RaplMeter

FIXTURES = Path(__file__).parents[1] / "fixtures"
MAX_RANGE = 262143328850  # max_energy_range_uj of every fixture zone

# The second reading, two seconds after the fixture's: package-0 +60 J, its core +20 J, and
# package-1 wraps from 262143000000 (328_850 uJ short of its range) to 39_671_150: +40 J.
SECOND = {
    "intel-rapl:0": 123456789012 + 60_000_000,
    "intel-rapl:0:0": 45678901234 + 20_000_000,
    "intel-rapl:1": 39_671_150,
}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    """A writable copy of the fixture sysfs, so a test can write the second reading."""
    return Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))


def write_second_reading(sysfs: Path) -> None:
    for zone, value in SECOND.items():
        (sysfs / "class" / "powercap" / zone / "energy_uj").write_text(f"{value}\n")


def test_first_reading_is_the_raw_counter_in_joules_and_has_no_power(sysfs: Path) -> None:
    reading = RaplMeter(sysfs, clock=Clock()).read()
    assert reading.joules_total == {
        "package-0": 123456.789012,
        "package-0/core": 45678.901234,
        "package-1": 262143.0,
    }
    assert reading.watts == {}
    assert reading.package_joules_total == pytest.approx(123456.789012 + 262143.0)


def test_power_from_two_readings_and_the_wrap(sysfs: Path) -> None:
    clock = Clock()
    meter = RaplMeter(sysfs, clock=clock)
    meter.read()
    write_second_reading(sysfs)
    clock.now += 2.0
    reading = meter.read()
    wrapped = (MAX_RANGE - 262143000000) + 39_671_150
    assert wrapped == 40_000_000
    assert reading.joules_total["package-1"] == pytest.approx(262143.0 + 40.0)
    assert reading.watts == pytest.approx(
        {"package-0": 30.0, "package-0/core": 10.0, "package-1": 20.0}
    )
    assert reading.package_watts == pytest.approx(50.0)  # the core is inside package-0


def test_counter_keeps_accumulating_across_the_wrap(sysfs: Path) -> None:
    clock = Clock()
    meter = RaplMeter(sysfs, clock=clock)
    meter.read()
    write_second_reading(sysfs)
    clock.now += 1.0
    meter.read()
    zone = sysfs / "class" / "powercap" / "intel-rapl:1" / "energy_uj"
    zone.write_text(f"{39_671_150 + 5_000_000}\n")
    clock.now += 1.0
    reading = meter.read()
    assert reading.joules_total["package-1"] == pytest.approx(262143.0 + 45.0)
    assert reading.watts["package-1"] == pytest.approx(5.0)


def test_a_reading_sooner_than_min_interval_keeps_the_last_power(sysfs: Path) -> None:
    clock = Clock()
    meter = RaplMeter(sysfs, clock=clock, min_interval=0.5)
    meter.read()
    write_second_reading(sysfs)
    clock.now += 2.0
    meter.read()
    clock.now += 0.001
    assert meter.read().watts["package-0"] == pytest.approx(30.0)


def test_collector_exposes_counter_and_gauge(sysfs: Path) -> None:
    clock = Clock()
    registry = CollectorRegistry()
    registry.register(RaplCollector(RaplMeter(sysfs, clock=clock)))
    get = registry.get_sample_value
    assert get("hanami_rapl_energy_joules_total", {"zone": "package-0"}) == 123456.789012
    assert get("hanami_power_watts", {"zone": "package-0"}) is None  # one reading: no interval
    write_second_reading(sysfs)
    clock.now += 2.0
    assert get("hanami_power_watts", {"zone": "package-1"}) == pytest.approx(20.0)
    assert get("hanami_rapl_energy_joules_total", {"zone": "package-0/core"}) == pytest.approx(
        45698.901234
    )


def test_empty_tree_gives_absent_series_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    registry.register(RaplCollector(RaplMeter(FIXTURES / "sysfs-empty")))
    with caplog.at_level(logging.WARNING, logger="hanami_rt.telemetry.rapl"):
        for _ in range(3):
            families = list(registry.collect())
    assert families == []
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "no intel-rapl zones" in messages[0]


def test_unreadable_zone_is_absent_and_says_root_since_5_10(
    sysfs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = hostfiles.read_text

    def deny_packages(path: Path) -> str:
        if path.parent.name in ("intel-rapl:0", "intel-rapl:1") and path.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(hostfiles, "read_text", deny_packages)
    meter = RaplMeter(sysfs, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="hanami_rt.telemetry.rapl"):
        meter.read()
        reading = meter.read()
    assert set(reading.joules_total) == {"package-0/core"}
    assert reading.package_joules_total is None
    assert len(caplog.records) == 1  # two zones denied, two reads: still one line
    assert "root since Linux 5.10" in caplog.records[0].getMessage()


def test_backwards_counter_without_range_counts_from_zero(sysfs: Path) -> None:
    clock = Clock()
    meter = RaplMeter(sysfs, clock=clock)
    meter.read()
    zone = sysfs / "class" / "powercap" / "intel-rapl:0"
    (zone / "max_energy_range_uj").unlink()
    (zone / "energy_uj").write_text("7000000\n")
    clock.now += 1.0
    assert meter.read().joules_total["package-0"] == pytest.approx(123456.789012 + 7.0)


def test_colliding_zone_names_stay_apart(sysfs: Path) -> None:
    (sysfs / "class" / "powercap" / "intel-rapl:1" / "name").write_text("package-0\n")
    labels = set(RaplMeter(sysfs, clock=Clock()).read().joules_total)
    assert labels == {"package-0@intel-rapl:0", "package-0@intel-rapl:1", "package-0/core"}
