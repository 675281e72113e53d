"""A real Prometheus scrapes a real hanami-rt on 127.0.0.1 (with the metrics token) and its
query API answers `hanami_requests_total`."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.support import make_settings
from tests.e2e.support import LiveServer, free_port

pytestmark = pytest.mark.e2e

TOKEN = "scrape-secret"
DEADLINE_S = 25.0  # a bound on waiting, not a performance assertion


def query(url: str, promql: str) -> list[dict[str, Any]]:
    """The result vector of an instant query (empty while nothing was scraped yet)."""
    try:
        reply = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
    except httpx.TransportError:
        return []  # Prometheus still starting
    if reply.status_code != 200:
        return []
    result = reply.json()["data"]["result"]
    assert isinstance(result, list)
    return result


def test_prometheus_scrapes_hanami(tmp_path: Path) -> None:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("prometheus not installed (Debian package 'prometheus'); scrape untested")
    settings = make_settings(tmp_path / "data", metrics_token=TOKEN)
    with LiveServer(settings) as server:
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: hanami\n"
            f"    authorization:\n      credentials: {TOKEN}\n"
            f"    static_configs:\n      - targets: ['127.0.0.1:{server.port}']\n"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (tmp_path / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            end = time.monotonic() + DEADLINE_S
            found: list[dict[str, Any]] = []
            while not found and time.monotonic() < end and process.poll() is None:
                found = query(url, 'hanami_requests_total{route_or_op="/readyz"}')
                time.sleep(0.2)
            logged = (tmp_path / "prometheus.log").read_text(errors="replace")[-3000:]
            assert found, f"no hanami_requests_total within {DEADLINE_S} s; log:\n{logged}"
            assert found[0]["metric"]["job"] == "hanami"
            assert found[0]["metric"]["transport"] == "http"
            assert float(found[0]["value"][1]) >= 1
            assert [float(s["value"][1]) for s in query(url, 'up{job="hanami"}')] == [1.0]
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
