"""docker-compose.yml, the Dockerfile and the Prometheus config, checked without a Docker engine:
parsed for structure, and the healthcheck command run against a stub /readyz."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import REPO

SERVER = "hanami-rt"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(REPO / "docker-compose.yml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def dockerfile() -> dict[str, list[str]]:
    """Instructions of the final stage, by keyword (continuation lines joined)."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    stages: list[dict[str, list[str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append({})
        stages[-1].setdefault(keyword.upper(), []).append(rest.strip())
    assert len(stages) >= 1
    return stages[-1]


def docker_env(dockerfile: dict[str, list[str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in dockerfile.get("ENV", []):
        for key, value in re.findall(r"(\w+)=(\S+)", instruction):
            env[key] = value
    return env


def test_services_volume_and_env_file(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {SERVER, "prometheus"}
    server = services[SERVER]
    assert server["build"] in (".", {"context": "."})
    assert server["env_file"] in (".env", [".env"])
    volume, _, target = server["volumes"][0].partition(":")
    assert volume in compose["volumes"], "the data volume must be a named volume"
    assert target == "/data"
    prometheus = services["prometheus"]
    assert prometheus["depends_on"][SERVER]["condition"] == "service_healthy"
    mounts = [m.split(":") for m in prometheus["volumes"]]
    config = [m for m in mounts if m[1] == "/etc/prometheus/prometheus.yml"]
    assert config, "prometheus.yml must be mounted into the Prometheus container"
    assert (REPO / config[0][0]).resolve() == REPO / "deploy" / "prometheus" / "prometheus.yml"


def test_env_example_holds_the_admin_password() -> None:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    keys = {line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")}
    assert {"HANAMI_ADMIN_USER", "HANAMI_ADMIN_PASSWORD"} <= keys
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".venv" in ignored and ".git" in ignored


def test_dockerfile_slim_non_root_volume_healthcheck(dockerfile: dict[str, list[str]]) -> None:
    assert dockerfile["FROM"] == ["python:3.11-slim"]
    user = dockerfile["USER"][-1].split(":")[0]
    assert user not in ("root", "0")
    assert json.loads(dockerfile["VOLUME"][0]) == ["/data"]
    env = docker_env(dockerfile)
    assert env["HANAMI_DATA_DIR"] == "/data" and env["HANAMI_HOST"] == "0.0.0.0"
    assert "NUMBA_CACHE_DIR" in env, "numba cannot write next to the installed package"
    assert dockerfile["EXPOSE"] == [env["HANAMI_PORT"]]
    assert "/readyz" in dockerfile["HEALTHCHECK"][0]


def test_prometheus_scrapes_the_server(
    compose: dict[str, Any], dockerfile: dict[str, list[str]]
) -> None:
    config = load_yaml(REPO / "deploy" / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for group in jobs[SERVER]["static_configs"] for t in group["targets"]]
    port = docker_env(dockerfile)["HANAMI_PORT"]
    assert targets == [f"{SERVER}:{port}"], "scrape the compose service on its container port"
    assert jobs[SERVER].get("metrics_path", "/metrics") == "/metrics"
    published = [p.rsplit(":", 1)[-1] for p in compose["services"][SERVER]["ports"]]
    assert port in published
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'); config unchecked")
    path = str(REPO / "deploy" / "prometheus" / "prometheus.yml")
    done = subprocess.run([promtool, "check", "config", path], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the healthcheck command, run for real against a stub server ------------------------------


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[type[_Readyz], int]]:
    handler = type("Handler", (_Readyz,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def healthcheck_argvs(
    compose: dict[str, Any], dockerfile: dict[str, list[str]]
) -> dict[str, list[str]]:
    image = dockerfile["HEALTHCHECK"][0]
    command = json.loads(image[image.index("CMD") + 3 :].strip())
    service = compose["services"][SERVER]["healthcheck"]["test"]
    assert service[0] == "CMD"
    return {"Dockerfile": command, "docker-compose.yml": service[1:]}


def test_healthcheck_commands_follow_readyz(
    compose: dict[str, Any], dockerfile: dict[str, list[str]], stub: tuple[type[_Readyz], int]
) -> None:
    handler, port = stub
    env = {**os.environ, "HANAMI_PORT": str(port)}
    for where, argv in healthcheck_argvs(compose, dockerfile).items():
        assert argv[0] == "python", f"{where}: the slim image has python, not curl"
        for status, healthy in ((200, True), (503, False)):
            handler.status = status
            done = subprocess.run(
                [sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30
            )
            assert (done.returncode == 0) is healthy, f"{where} with /readyz {status}"
