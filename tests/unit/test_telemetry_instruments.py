"""Instruments: exact names and labels, the cluster cardinality rule, promtool-clean text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from hanami_rt.telemetry import install_host_telemetry
from hanami_rt.telemetry.instruments import DURATION_BUCKETS, OTHER_CLUSTER, Instruments

FIXTURES = Path(__file__).parents[1] / "fixtures"


def exercised_registry(sysfs: Path) -> CollectorRegistry:
    """Every instrument touched and host collectors on `sysfs`; where `sysfs` has RAPL, two
    sampler ticks two seconds apart (package-0 +10 J) so power and rapl energy exist too."""
    now = [1000.0]
    registry = CollectorRegistry()
    m = Instruments(registry)
    m.requests.labels("ws", "learn", "ok").inc()
    m.request_duration.labels("http", "/v1/projects/{project}").observe(0.0003)
    m.ws_connections.set(2)
    m.ws_inflight_count += 1
    m.set_cluster_size("c1", neurons=10, synapses=40, nbytes=4096)
    m.cluster_samples_learned.labels(m.cluster_label("c1")).inc(32)
    m.cluster_samples_inferred.labels(m.cluster_label("c1")).inc(8)
    m.tasks.labels("running").set(1)
    m.task_samples.labels("train").inc(100)
    host = install_host_telemetry(
        registry,
        m,
        watts_per_core=10.0,
        sysfs_root=sysfs,
        procfs_root=FIXTURES / "procfs",
        clock=lambda: now[0],
    )
    host.attributor.record("c1", "learn", 0.5)
    host.sampler.tick()
    package_0 = sysfs / "class" / "powercap" / "intel-rapl:0" / "energy_uj"
    if package_0.exists():
        package_0.write_text(f"{int(package_0.read_text()) + 10_000_000}\n")
        now[0] += 2.0
        host.sampler.tick()
    return registry


def test_names_and_labels() -> None:
    registry = exercised_registry(FIXTURES / "sysfs-empty")
    get = registry.get_sample_value
    assert get("hanami_requests_total", {"transport": "ws", "route_or_op": "learn", "status": "ok"})
    assert (
        get(
            "hanami_request_duration_seconds_bucket",
            {"transport": "http", "route_or_op": "/v1/projects/{project}", "le": "0.0005"},
        )
        == 1.0
    )
    assert get("hanami_ws_connections") == 2.0
    assert get("hanami_ws_inflight") == 1.0
    assert get("hanami_cluster_neurons", {"cluster": "c1"}) == 10.0
    assert get("hanami_cluster_synapses", {"cluster": "c1"}) == 40.0
    assert get("hanami_cluster_bytes", {"cluster": "c1"}) == 4096.0
    assert get("hanami_cluster_samples_learned_total", {"cluster": "c1"}) == 32.0
    assert get("hanami_cluster_samples_inferred_total", {"cluster": "c1"}) == 8.0
    assert get("hanami_tasks", {"state": "running"}) == 1.0
    assert get("hanami_task_samples_total", {"type": "train"}) == 100.0
    energy = {"cluster": "c1", "op": "learn", "source": "estimated"}
    assert get("hanami_cluster_energy_joules_total", energy) == 5.0


def test_duration_buckets_span_50us_to_10s() -> None:
    assert DURATION_BUCKETS[0] == 50e-6 and DURATION_BUCKETS[-1] == 10.0
    assert list(DURATION_BUCKETS) == sorted(DURATION_BUCKETS)


def test_cluster_cap_and_forget() -> None:
    registry = CollectorRegistry()
    m = Instruments(registry, max_clusters=2)
    assert [m.cluster_label(c) for c in ("a", "b", "c", "a")] == ["a", "b", OTHER_CLUSTER, "a"]
    m.set_cluster_size("a", 1, 2, 3)
    m.set_cluster_size("c", 1, 2, 3)  # over the cap: no size series at all
    m.cluster_energy.labels("a", "learn", "rapl").inc(1.0)
    m.cluster_samples_learned.labels("a").inc()
    assert registry.get_sample_value("hanami_cluster_neurons", {"cluster": OTHER_CLUSTER}) is None
    m.forget_cluster("a")
    text = generate_latest(registry).decode()
    assert 'cluster="a"' not in text
    assert m.cluster_label("c") == "c"  # the freed slot is reused


def test_exposition_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'); exposition unchecked")
    sysfs = Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))
    text = generate_latest(exercised_registry(sysfs))
    assert b"hanami_rapl_energy_joules_total" in text
    assert b"hanami_cpu_temperature_celsius" in text
    assert b'hanami_power_watts{zone="package-0"} 5.0' in text
    assert b'source="rapl"} 10.0' in text  # host busy time did not move: c1 gets all 10 J
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert result.stdout.strip() == b"" and result.stderr.strip() == b"", result.stderr.decode()
