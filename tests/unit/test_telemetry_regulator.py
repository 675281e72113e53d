"""CPU-frequency regulation on a writable copy of the fixture tree, with a hand-moved clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hanami_rt.telemetry.instruments import Instruments
from hanami_rt.telemetry.regulator import CpuFrequencyRegulator

FIXTURES = Path(__file__).parents[1] / "fixtures"
CPUS = ("0", "1", "2", "3")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))


def max_freqs(sysfs: Path) -> list[int]:
    base = sysfs / "devices" / "system" / "cpu"
    return [int((base / f"cpu{c}" / "cpufreq" / "scaling_max_freq").read_text()) for c in CPUS]


def regulated(registry: CollectorRegistry, cpu: str) -> float | None:
    return registry.get_sample_value("hanami_cpufreq_regulated", {"cpu": cpu})


def changes(registry: CollectorRegistry, direction: str) -> float | None:
    return registry.get_sample_value("hanami_cpufreq_changes_total", {"direction": direction})


def test_lowers_when_idle_and_restores_under_load(sysfs: Path) -> None:
    registry, clock = CollectorRegistry(), Clock()
    woken: list[bool] = []
    regulator = CpuFrequencyRegulator(
        sysfs,
        idle_after_s=30,
        instruments=Instruments(registry),
        clock=clock,
        wake=lambda: woken.append(True),
    )
    assert [cpu.cpu for cpu in regulator.cpus] == list(CPUS)
    clock.now += 29
    regulator.tick()
    assert max_freqs(sysfs) == [3500000] * 4 and not regulator.lowered
    clock.now += 1
    regulator.tick()
    assert max_freqs(sysfs) == [800000] * 4  # scaling_min_freq
    assert regulated(registry, "0") == 1.0 and changes(registry, "lowered") == 1.0
    regulator.activity()
    regulator.activity()
    assert woken == [True]  # one wake-up per capped period, not one per request
    regulator.tick()
    assert max_freqs(sysfs) == [3500000] * 4  # cpuinfo_max_freq
    assert regulated(registry, "3") == 0.0 and changes(registry, "restored") == 1.0
    regulator.tick()  # still busy: nothing written again
    assert changes(registry, "restored") == 1.0


def test_configured_idle_frequency_is_clamped(sysfs: Path) -> None:
    clock = Clock()
    regulator = CpuFrequencyRegulator(sysfs, idle_after_s=5, idle_khz=1_200_000, clock=clock)
    clock.now += 5
    regulator.tick()
    assert max_freqs(sysfs) == [1200000] * 4
    regulator.restore()
    assert max_freqs(sysfs) == [3500000] * 4
    too_low = CpuFrequencyRegulator(sysfs, idle_after_s=5, idle_khz=1, clock=clock)
    assert {cpu.idle_khz for cpu in too_low.cpus} == {800000}


def test_cpus_without_the_files_are_left_alone(sysfs: Path) -> None:
    (sysfs / "devices/system/cpu/cpu1/cpufreq/scaling_max_freq").unlink()
    (sysfs / "devices/system/cpu/cpu2/cpufreq/cpuinfo_max_freq").unlink()
    regulator = CpuFrequencyRegulator(sysfs, idle_after_s=1, clock=Clock())
    assert [cpu.cpu for cpu in regulator.cpus] == ["0", "3"]


def test_nothing_writable_does_nothing(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    regulator = CpuFrequencyRegulator(FIXTURES / "sysfs-empty", idle_after_s=1, clock=clock)
    assert regulator.cpus == [] and "does nothing" in caplog.text
    clock.now += 10
    regulator.tick()
    assert not regulator.lowered
