"""API ring helpers: a fresh app per test on a temporary data dir, via starlette's TestClient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from hanami_rt.api.runtime import Runtime
from hanami_rt.app import create_app
from hanami_rt.settings import Settings, load_settings

ADMIN_PASSWORD = "admin-password"
TEMPLATE = (
    "version: 1\nsettings:\n    neuron_cooldown: 100000000000.0\n    refractory_time: 1\n"
    "    max_connection_distance: 1\n    enable_reduction: false\nbricks:\n    1,1,1\n"
    "        input: test_input\n        number_of_neurons: 784\n    2,1,1\n"
    "        number_of_neurons: 400\n    3,1,1\n        output: test_output\n"
    "        number_of_neurons: 10\n"
)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: cheap scrypt (a setting, not a hack), no warm-up, two workers."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "admin_password": ADMIN_PASSWORD,
        "scrypt_n": 16,
        "scrypt_r": 1,
        "warmup": False,
        "worker_threads": 2,
        "persist_interval_s": 3600,
    }
    values.update(overrides)
    return load_settings(env={}, overrides=values)


def runtime_of(client: TestClient) -> Runtime:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert isinstance(runtime, Runtime)
    return runtime


def start(settings: Settings) -> TestClient:
    """Enter a TestClient (runs the lifespan) and wait until the runtime is ready."""
    client = TestClient(create_app(settings))
    client.__enter__()
    client.portal.call(runtime_of(client).until_ready)  # type: ignore[union-attr]
    return client


def login(
    client: TestClient,
    user: str = "admin",
    password: str = ADMIN_PASSWORD,
    project: str | None = None,
) -> dict[str, str]:
    """Authorization headers for a fresh token."""
    body: dict[str, Any] = {"user_id": user, "password": password}
    if project is not None:
        body["project_id"] = project
    reply = client.post("/v1/token", json=body)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def error_code(reply: Any) -> str:
    body = reply.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])
