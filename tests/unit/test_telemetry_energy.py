"""Energy attribution by CPU-time share (rapl) and by watts per core (estimated)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hanami_rt.telemetry.energy import EnergyAttributor, HostCpuTime
from hanami_rt.telemetry.instruments import Instruments

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def energy(registry: CollectorRegistry, cluster: str, op: str, source: str) -> float | None:
    return registry.get_sample_value(
        "hanami_cluster_energy_joules_total", {"cluster": cluster, "op": op, "source": source}
    )


def test_package_energy_split_by_cpu_time_share(registry: CollectorRegistry) -> None:
    attributor = EnergyAttributor(Instruments(registry).cluster_energy, watts_per_core=10.0)
    attributor.record("a", "learn", 0.3)
    attributor.record("a", "learn", 0.1)
    attributor.record("b", "infer", 0.4)
    # 100 J over an interval where the whole host was busy for 2 CPU seconds: the recorded
    # work (0.8 s) gets 40 %, the rest belongs to other processes and stays unattributed.
    shares = attributor.settle(100.0, host_busy_seconds=2.0)
    assert shares == pytest.approx({("a", "learn"): 20.0, ("b", "infer"): 20.0})
    assert energy(registry, "a", "learn", "rapl") == pytest.approx(20.0)
    assert energy(registry, "a", "learn", "estimated") is None


def test_without_host_time_the_recorded_work_gets_all(registry: CollectorRegistry) -> None:
    attributor = EnergyAttributor(Instruments(registry).cluster_energy, watts_per_core=10.0)
    attributor.record("a", "learn", 0.25)
    attributor.record("b", "learn", 0.75)
    assert attributor.settle(8.0) == pytest.approx({("a", "learn"): 2.0, ("b", "learn"): 6.0})


def test_estimate_without_rapl_is_labelled_estimated(registry: CollectorRegistry) -> None:
    attributor = EnergyAttributor(Instruments(registry).cluster_energy, watts_per_core=12.5)
    attributor.record("a", "infer", 2.0)
    assert attributor.settle(None, host_busy_seconds=5.0) == {("a", "infer"): 25.0}
    assert energy(registry, "a", "infer", "estimated") == 25.0
    assert energy(registry, "a", "infer", "rapl") is None


def test_settle_consumes_the_pending_time(registry: CollectorRegistry) -> None:
    attributor = EnergyAttributor(Instruments(registry).cluster_energy, watts_per_core=10.0)
    attributor.record("a", "learn", 1.0)
    attributor.settle(None)
    assert attributor.settle(None) == {}
    attributor.record("a", "learn", 0.0)
    assert attributor.settle(50.0) == {}


def test_cluster_label_applies_the_cardinality_cap(registry: CollectorRegistry) -> None:
    instruments = Instruments(registry, max_clusters=1)
    attributor = EnergyAttributor(
        instruments.cluster_energy, watts_per_core=10.0, cluster_label=instruments.cluster_label
    )
    attributor.record("a", "learn", 1.0)
    attributor.record("b", "learn", 1.0)
    attributor.settle(None)
    assert energy(registry, "a", "learn", "estimated") == 10.0
    assert energy(registry, "_other", "learn", "estimated") == 10.0


def test_watts_per_core_must_be_positive(registry: CollectorRegistry) -> None:
    with pytest.raises(ValueError, match="watts_per_core"):
        EnergyAttributor(Instruments(registry).cluster_energy, watts_per_core=0.0)


def test_host_cpu_time_from_proc_stat() -> None:
    # user 1000 + nice 20 + system 300 + irq 10 + softirq 5 + steal 2 ticks at 100 Hz
    assert HostCpuTime(FIXTURES / "procfs", ticks_per_second=100).busy_seconds() == 13.37
    assert HostCpuTime(FIXTURES / "procfs-empty").busy_seconds() is None
