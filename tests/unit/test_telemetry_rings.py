"""Measurement rings roll up by mean; the host sampler feeds them and settles energy."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hanami_rt.telemetry import install_host_telemetry
from hanami_rt.telemetry.instruments import Instruments
from hanami_rt.telemetry.rings import RING_SIZES, MeasurementRings
from hanami_rt.telemetry.sampler import cpu_temperature, run_sampler

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_empty_rings_have_the_four_keys() -> None:
    assert MeasurementRings().snapshot() == {"seconds": [], "minutes": [], "hours": [], "days": []}


def test_seconds_roll_their_mean_into_minutes_oldest_first() -> None:
    rings = MeasurementRings()
    for second in range(150):
        rings.add(float(second))
    snapshot = rings.snapshot()
    assert snapshot["seconds"] == [float(s) for s in range(90, 150)]
    assert snapshot["minutes"] == [29.5, 89.5]  # means of 0..59 and 60..119
    assert snapshot["hours"] == []


def test_full_roll_up_to_days_and_capacities() -> None:
    rings = MeasurementRings()
    for _ in range(2 * 86_400):
        rings.add(2.0)
    snapshot = rings.snapshot()
    assert [len(snapshot[name]) for name in RING_SIZES] == [60, 60, 24, 2]
    assert snapshot["days"] == [2.0, 2.0]


def test_gaps_are_ignored_by_the_mean_and_kept_when_all_missing() -> None:
    rings = MeasurementRings()
    for second in range(120):
        rings.add(None if second < 60 or second % 2 else 4.0)
    assert rings.snapshot()["minutes"] == [None, 4.0]


def test_cpu_temperature_prefers_package_sensors() -> None:
    assert cpu_temperature({"nvme/Composite": 60.0, "x86_pkg_temp": 45.0}) == 45.0
    assert cpu_temperature({"acpitz": 30.0, "nvme/Composite": 38.0}) == 38.0
    assert cpu_temperature({}) is None


def test_sampler_tick_with_the_fixture_tree(tmp_path: Path) -> None:
    sysfs = Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))
    registry = CollectorRegistry()
    host = install_host_telemetry(
        registry,
        Instruments(registry),
        watts_per_core=10.0,
        sysfs_root=sysfs,
        procfs_root=FIXTURES / "procfs",
    )
    first = host.sampler.tick()
    assert first.power_watts is None  # one reading, no interval yet
    assert first.cpu_frequency_hertz == pytest.approx(2.2e9)
    assert first.temperature_celsius == 46.0  # "coretemp/Package id 0"
    host.sampler.skip(2)
    assert host.sampler.rings["cpu-frequency"].snapshot()["seconds"] == [
        pytest.approx(2.2e9),
        None,
        None,
    ]


def test_sampler_settles_rapl_energy_from_the_second_tick(tmp_path: Path) -> None:
    sysfs = Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))
    registry = CollectorRegistry()
    host = install_host_telemetry(
        registry,
        Instruments(registry),
        watts_per_core=10.0,
        sysfs_root=sysfs,
        procfs_root=FIXTURES / "procfs-empty",
    )
    host.attributor.record("c1", "learn", 0.5)
    host.sampler.tick()  # first RAPL reading: CPU time stays pending
    assert registry.get_sample_value("hanami_cluster_energy_joules_total", _c1("rapl")) is None
    energy = sysfs / "class" / "powercap" / "intel-rapl:0" / "energy_uj"
    energy.write_text(f"{123456789012 + 9_000_000}\n")
    host.sampler.tick()
    assert registry.get_sample_value("hanami_cluster_energy_joules_total", _c1("rapl")) == (
        pytest.approx(9.0)
    )


def test_sampler_estimates_without_rapl() -> None:
    registry = CollectorRegistry()
    host = install_host_telemetry(
        registry,
        Instruments(registry),
        watts_per_core=10.0,
        sysfs_root=FIXTURES / "sysfs-empty",
        procfs_root=FIXTURES / "procfs-empty",
    )
    host.attributor.record("c1", "learn", 0.5)
    sample = host.sampler.tick()
    assert sample.power_watts is None and sample.temperature_celsius is None
    assert registry.get_sample_value("hanami_cluster_energy_joules_total", _c1("estimated")) == 5.0


def _c1(source: str) -> dict[str, str]:
    return {"cluster": "c1", "op": "learn", "source": source}


def test_run_sampler_ticks_until_cancelled() -> None:
    registry = CollectorRegistry()
    host = install_host_telemetry(
        registry,
        Instruments(registry),
        watts_per_core=10.0,
        sysfs_root=FIXTURES / "sysfs",
        procfs_root=FIXTURES / "procfs",
    )

    async def run_briefly() -> None:
        task = asyncio.create_task(run_sampler(host.sampler, interval=0.01))
        while len(host.sampler.rings["temperature"].snapshot()["seconds"]) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(run_briefly(), timeout=10))
    assert host.sampler.rings["temperature"].snapshot()["seconds"][0] == 46.0
