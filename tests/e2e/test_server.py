"""A real uvicorn on 127.0.0.1 with a real SQLite file: the control plane end to end."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.api.support import ADMIN_PASSWORD, TEMPLATE, make_settings
from tests.e2e.support import LiveServer, bearer, free_port, wait_ready

pytestmark = pytest.mark.e2e


def test_control_plane_over_real_http(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        admin = bearer(
            http.post("/v1/token", json={"user_id": "admin", "password": ADMIN_PASSWORD})
        )
        assert (
            http.post("/v1/projects", json={"id": "A", "name": "A"}, headers=admin).status_code
            == 201
        )
        assert (
            http.post("/v1/projects", json={"id": "A", "name": "A"}, headers=admin).status_code
            == 409
        )
        audit = http.get("/v1/audit-log", headers=admin).json()["items"]
        assert [(a["path"], a["status"]) for a in audit][-2:] == [
            ("/v1/projects", 201),
            ("/v1/projects", 409),
        ]
    assert settings.database_file.exists()
    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as http:
        admin = bearer(
            http.post("/v1/token", json={"user_id": "admin", "password": ADMIN_PASSWORD})
        )
        assert [p["id"] for p in http.get("/v1/projects", headers=admin).json()["items"]] == ["A"]


def test_cli_serve_prints_the_first_admin_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HANAMI_WARMUP": "false",
        "HANAMI_SCRYPT_N": "16",
        "HANAMI_SCRYPT_R": "1",
        "HANAMI_LOG_LEVEL": "warning",
    }
    env.pop("HANAMI_ADMIN_PASSWORD", None)
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "hanami_rt", "serve", "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        password = dict(
            line.split(": ", 1) for line in (data / "initial-admin.txt").read_text().splitlines()
        )["password"]
        reply = httpx.post(
            f"http://127.0.0.1:{port}/v1/token", json={"user_id": "admin", "password": password}
        )
        assert reply.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err
    assert err.count(password) == 1  # printed exactly once


def test_cli_refuses_bad_settings(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("prot = 1\n")
    run = subprocess.run(
        [sys.executable, "-m", "hanami_rt", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "unknown setting 'prot'" in run.stderr


def _learn_in_server(server: LiveServer, cluster_id: str, steps: int) -> None:
    """Learn on the server's own loop and worker threads (the websocket path comes later)."""
    runtime = server.runtime
    assert runtime.loop is not None
    for i in range(steps):
        x = np.zeros(784, dtype=np.float32)
        x[i * 7 % 700 : i * 7 % 700 + 80] = 255
        y = np.zeros(10, dtype=np.float32)
        y[i % 10] = 1
        asyncio.run_coroutine_threadsafe(
            runtime.registry.learn(cluster_id, x, y), runtime.loop
        ).result()


def _infer_in_server(server: LiveServer, cluster_id: str) -> np.ndarray:
    runtime = server.runtime
    assert runtime.loop is not None
    x = np.zeros(784, dtype=np.float32)
    x[200:300] = 255
    future = asyncio.run_coroutine_threadsafe(runtime.registry.infer(cluster_id, x), runtime.loop)
    return np.asarray(future.result()["test_output"])


def test_restart_keeps_learned_clusters(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", warmup=True)
    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as http:
        login = {"user_id": "admin", "password": ADMIN_PASSWORD}
        admin = bearer(http.post("/v1/token", json=login))
        http.post("/v1/projects", json={"id": "A", "name": "A"}, headers=admin)
        admin = bearer(http.post("/v1/token", json={**login, "project_id": "A"}))
        ids = []
        for name in ("one", "two"):
            reply = http.post(
                "/v1/clusters", json={"name": name, "template": TEMPLATE}, headers=admin
            )
            assert reply.status_code == 201, reply.text
            ids.append(reply.json()["id"])
        for steps, cid in zip((25, 40), ids, strict=True):
            _learn_in_server(server, cid, steps)
        before = [_infer_in_server(server, cid) for cid in ids]
        stats = [http.get(f"/v1/clusters/{cid}", headers=admin).json()["stats"] for cid in ids]
    assert [s["samples_learned"] for s in stats] == [25, 40]
    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as http:
        admin = bearer(http.post("/v1/token", json={**login, "project_id": "A"}))
        for cid, old_stats, old_out in zip(ids, stats, before, strict=True):
            assert http.get(f"/v1/clusters/{cid}", headers=admin).json()["stats"] == old_stats
            np.testing.assert_array_equal(_infer_in_server(server, cid), old_out)
