"""GET /metrics, the measurement endpoints and /v1/system through a fresh app per test."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from hanami_rt.settings import Settings
from hanami_rt.telemetry.hub import Telemetry
from tests.api.support import (
    TEMPLATE,
    create_project,
    login,
    make_settings,
    running,
    runtime_of,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def host_settings(
    tmp_path: Path, sysfs: str = "sysfs", procfs: str = "procfs", **overrides: Any
) -> Settings:
    """A server reading the fixture host; the sampler ticks only when a test says so."""
    return make_settings(
        tmp_path / "data",
        sysfs_root=FIXTURES / sysfs,
        procfs_root=FIXTURES / procfs,
        sample_interval_s=3600,
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """What conftest's `client` starts: the fixture host."""
    return host_settings(tmp_path)


def telemetry_of(client: TestClient) -> Telemetry:
    telemetry = client.app.state.telemetry  # type: ignore[attr-defined]
    assert isinstance(telemetry, Telemetry)
    return telemetry


def scrape(client: TestClient, **headers: str) -> Samples:
    reply = client.get("/metrics", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def create_cluster(client: TestClient, headers: dict[str, str], name: str = "c") -> str:
    reply = client.post("/v1/clusters", json={"name": name, "template": TEMPLATE}, headers=headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def f32(values: list[float]) -> bytes:
    return np.asarray(values, dtype="<f4").tobytes()


def ws_work(client: TestClient, headers: dict[str, str], cluster: str, learns: int) -> None:
    """`learns` learns then one infer over the websocket, each answered ok."""
    image = {"test_input": f32([1.0] * 784)}
    with client.websocket_connect("/v1/ws", headers=headers) as ws:
        for rid in range(learns + 1):
            message: dict[str, Any] = {"op": "infer", "id": rid, "cluster": cluster}
            message["inputs"] = image
            if rid < learns:
                message["op"] = "learn"
                message["expected"] = {"test_output": f32([1.0] + [0.0] * 9)}
            ws.send_bytes(msgpack.packb(message))
            assert msgpack.unpackb(ws.receive_bytes())["ok"] is True


# ---- /metrics -----------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    headers = create_project(client, "A")
    for cluster in ("no-such-1", "no-such-2"):
        assert client.get(f"/v1/clusters/{cluster}", headers=headers).status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    text = client.get("/metrics").text
    assert "no-such" not in text and "/no/such/path" not in text
    samples = scrape(client)
    requests = "hanami_requests_total"
    template = "/v1/clusters/{cluster_id}"
    assert value(samples, requests, transport="http", route_or_op=template, status="404") == 2
    assert value(samples, requests, transport="http", route_or_op="/healthz", status="200") == 1
    assert value(samples, requests, transport="http", route_or_op="unmatched", status="404") == 1
    assert value(samples, requests, transport="http", route_or_op="/v1/token", status="200") == 2
    # the earlier scrape is a request too (this one is counted once it has been answered)
    assert value(samples, requests, transport="http", route_or_op="/metrics", status="200") == 1
    count = value(
        samples, "hanami_request_duration_seconds_count", transport="http", route_or_op=template
    )
    assert count == 2


def test_metrics_token(tmp_path: Path) -> None:
    with running(host_settings(tmp_path, metrics_token="scrape-secret")) as client:
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer not-it"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        assert client.get("/metrics", headers=login(client)).status_code == 401  # not a JWT
        samples = scrape(client, Authorization="Bearer scrape-secret")
        assert value(
            samples, "hanami_requests_total", transport="http", route_or_op="/metrics", status="401"
        )


def test_cluster_series_follow_work_and_vanish_on_delete(tmp_path: Path) -> None:
    no_rapl = host_settings(tmp_path, sysfs="sysfs-empty")  # energy is an estimate
    with running(no_rapl) as client:
        headers = create_project(client, "A")
        cluster = create_cluster(client, headers)
        ws_work(client, headers, cluster, learns=3)
        telemetry_of(client).host.sampler.tick()  # settles the CPU time of that work
        samples = scrape(client)
        stats = runtime_of(client).registry.get(cluster).network.stats()
        ws = {"transport": "ws"}
        assert value(samples, "hanami_requests_total", **ws, route_or_op="learn", status="ok") == 3
        assert value(samples, "hanami_requests_total", **ws, route_or_op="infer", status="ok") == 1
        assert value(samples, "hanami_cluster_samples_learned_total", cluster=cluster) == 3
        assert value(samples, "hanami_cluster_samples_inferred_total", cluster=cluster) == 1
        assert value(samples, "hanami_cluster_neurons", cluster=cluster) == stats["neurons"]
        assert value(samples, "hanami_cluster_synapses", cluster=cluster) == stats["synapses"]
        assert value(samples, "hanami_cluster_bytes", cluster=cluster) == stats["bytes"]
        learned = value(
            samples,
            "hanami_cluster_energy_joules_total",
            cluster=cluster,
            op="learn",
            source="estimated",
        )
        assert learned is not None and learned > 0
        assert value(samples, "hanami_ws_connections") == 0
        assert value(samples, "hanami_ws_inflight") == 0
        assert client.delete(f"/v1/clusters/{cluster}", headers=headers).status_code == 204
        assert cluster not in client.get("/metrics").text


def test_clusters_beyond_the_cap_share_one_label(tmp_path: Path) -> None:
    with running(host_settings(tmp_path, max_metric_clusters=1)) as client:
        headers = create_project(client, "A")
        first, second = create_cluster(client, headers, "a"), create_cluster(client, headers, "b")
        scrape(client)  # the first live cluster takes the only slot
        ws_work(client, headers, second, learns=2)
        samples = scrape(client)
        assert value(samples, "hanami_cluster_neurons", cluster=first) is not None
        assert value(samples, "hanami_cluster_neurons", cluster=second) is None
        assert value(samples, "hanami_cluster_samples_learned_total", cluster="_other") == 2


def test_exposition_passes_promtool(client: TestClient) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'); exposition unchecked")
    headers = create_project(client, "A")
    ws_work(client, headers, create_cluster(client, headers), learns=2)
    telemetry_of(client).host.sampler.tick()
    text = client.get("/metrics").content
    for name in (b"hanami_requests_total", b"hanami_cluster_neurons", b"hanami_rapl_energy"):
        assert name in text
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert result.stdout.strip() == b"" and result.stderr.strip() == b"", result.stderr.decode()


# ---- measurements and system --------------------------------------------------------------


def test_measurements_are_four_rings_of_the_fixture_host(client: TestClient) -> None:
    telemetry_of(client).host.sampler.tick()
    headers = create_project(client, "A")
    rings = {}
    for name in ("power", "cpu-frequency", "temperature"):
        reply = client.get(f"/v1/measurements/{name}", headers=headers)
        assert reply.status_code == 200, reply.text
        rings[name] = reply.json()
        assert list(rings[name]) == ["seconds", "minutes", "hours", "days"]
        assert rings[name]["minutes"] == rings[name]["hours"] == rings[name]["days"] == []
    # mean of the fixture's 2.4, 2.5, 0.8 and 3.1 GHz; hottest CPU-package sensor 46 C
    assert rings["cpu-frequency"]["seconds"][-1] == pytest.approx(2.2e9)
    assert rings["temperature"]["seconds"][-1] == 46.0
    assert all(v is None or v >= 0 for v in rings["power"]["seconds"])
    assert client.get("/v1/measurements/power").status_code == 401


def test_measurements_are_null_where_nothing_is_readable(tmp_path: Path) -> None:
    with running(host_settings(tmp_path, sysfs="sysfs-empty", procfs="procfs-empty")) as client:
        telemetry_of(client).host.sampler.tick()
        reply = client.get("/v1/measurements/temperature", headers=login(client))
        assert reply.json()["seconds"] and set(reply.json()["seconds"]) == {None}


def test_system_reports_the_fixture_host(client: TestClient) -> None:
    reply = client.get("/v1/system", headers=login(client))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["cpu"]["logical_cpus"] == 4 and body["cpu"]["packages"] == 2
    assert body["memory"]["total_bytes"] == 16384000 * 1024
    assert {"hanami_rt", "python", "numpy", "numba"} <= set(body["versions"])


def test_openapi_documents_measurements_and_units(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("power", "cpu-frequency", "temperature"):
        assert f"/v1/measurements/{path}" in doc["paths"]
    assert "/v1/system" in doc["paths"] and "/metrics" not in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert "watts" in schemas["PowerSeries"]["description"]
    assert "hertz" in schemas["CpuFrequencySeries"]["description"]
    assert "Celsius" in schemas["TemperatureSeries"]["description"]


# ---- cpufreq regulation ---------------------------------------------------------------------


def max_freqs(sysfs: Path) -> set[int]:
    """scaling_max_freq of every CPU; a file caught mid-write (a plain file, unlike sysfs,
    is empty between truncate and write) reads as 0."""
    paths = (sysfs / "devices/system/cpu").glob("cpu*/cpufreq/scaling_max_freq")
    return {int(path.read_text() or 0) for path in paths}


def poll(condition: Any, what: str, deadline_s: float = 20.0) -> None:
    """Wait for `condition()` (a bound on waiting, not a performance assertion)."""
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, f"{what} did not happen within {deadline_s} s"
        time.sleep(0.02)


def test_regulation_caps_idle_cpus_and_lifts_the_cap_for_work(tmp_path: Path) -> None:
    sysfs = Path(shutil.copytree(FIXTURES / "sysfs", tmp_path / "sysfs"))
    for path in (sysfs / "devices/system/cpu").glob("cpu*/cpufreq/scaling_max_freq"):
        path.write_text("800000\n")  # as a process that died while idle leaves it
    settings = make_settings(
        tmp_path / "data",
        sysfs_root=sysfs,
        procfs_root=FIXTURES / "procfs",
        cpufreq_regulation=True,
        cpufreq_idle_after_s=0.2,
        sample_interval_s=0.05,
    )
    with running(settings) as client:
        headers = create_project(client, "A")
        cluster = create_cluster(client, headers)
        poll(lambda: max_freqs(sysfs) == {800000}, "lowering while idle")
        ws_work(client, headers, cluster, learns=1)
        poll(lambda: max_freqs(sysfs) == {3500000}, "restoring for work")
        samples = scrape(client)
        assert value(samples, "hanami_cpufreq_changes_total", direction="restored")
        assert value(samples, "hanami_cpufreq_regulated", cpu="0") == 0
        poll(lambda: max_freqs(sysfs) == {800000}, "lowering again")
    assert max_freqs(sysfs) == {3500000}  # shutdown lifts the cap
