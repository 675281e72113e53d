"""API ring helpers: a fresh app per test on a temporary data dir, via starlette's TestClient."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from hanami_rt.api.runtime import Runtime
from hanami_rt.app import create_app
from hanami_rt.auth import MEMBER, TokenIssuer
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


def project_rows(client: TestClient, table: str, project_id: str) -> int:
    """How many rows of `table` belong to the project, read from the database itself."""
    db = runtime_of(client).db
    sql = f"SELECT COUNT(*) AS n FROM {table} WHERE project_id = ?"
    row = client.portal.call(db.fetch_one, sql, (project_id,))  # type: ignore[union-attr]
    assert row is not None
    return int(row["n"])


def start(settings: Settings) -> TestClient:
    """Enter a TestClient (runs the lifespan) and wait until the runtime is ready."""
    client = TestClient(create_app(settings))
    client.__enter__()
    client.portal.call(runtime_of(client).until_ready)  # type: ignore[union-attr]
    return client


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    """A started TestClient (see `start`), shut down (persisting) when the block ends."""
    client = start(settings)
    try:
        yield client
    finally:
        client.__exit__(None, None, None)


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


def create_project(client: TestClient, project_id: str) -> dict[str, str]:
    """Create a project (named as its id); headers of the admin acting in it."""
    body = {"id": project_id, "name": project_id}
    reply = client.post("/v1/projects", json=body, headers=login(client))
    assert reply.status_code == 201, reply.text
    return login(client, project=project_id)


def ask(ws: Any, message: dict[str, Any] | bytes) -> dict[str, Any]:
    """Send one websocket frame (a dict is msgpack-packed) and read the reply."""
    ws.send_bytes(message if isinstance(message, bytes) else msgpack.packb(message))
    reply = msgpack.unpackb(ws.receive_bytes())
    assert isinstance(reply, dict)
    return reply


def closed_with(ws: Any) -> int:
    """Read until the server closes the websocket; the close code."""
    with pytest.raises(WebSocketDisconnect) as info:
        while True:
            ws.receive_bytes()
    return int(info.value.code)


def error_code(reply: Any) -> str:
    body = reply.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])


PRINCIPALS = (
    "anonymous",
    "expired",
    "tampered",
    "member_a",
    "project_admin_a",
    "member_b",
    "admin",
)
PASSWORD = "password-123"


def statuses(ma: int, pa: int, mb: int, admin: int, anonymous: int = 401) -> dict[str, int]:
    """The expected status of each principal: a bad token gets what anonymous gets when that
    is 200 (a public endpoint), else 401."""
    bad = 200 if anonymous == 200 else 401
    return {
        "anonymous": anonymous,
        "expired": bad,
        "tampered": bad,
        "member_a": ma,
        "project_admin_a": pa,
        "member_b": mb,
        "admin": admin,
    }


def create_user(
    client: TestClient, admin: dict[str, str], user_id: str, projects: dict[str, bool] | None = None
) -> None:
    """Create a user with PASSWORD and memberships {project: is_project_admin}."""
    body = {"id": user_id, "name": user_id.upper(), "password": PASSWORD}
    assert client.post("/v1/users", json=body, headers=admin).status_code == 201
    for project, is_admin in (projects or {}).items():
        body2 = {"project_id": project, "is_project_admin": is_admin}
        reply = client.post(f"/v1/users/{user_id}/projects", json=body2, headers=admin)
        assert reply.status_code == 201, reply.text


def build_world(client: TestClient) -> dict[str, dict[str, str]]:
    """Projects A, B, C (empty); users ma (member of A), pa (project admin of A), mb (member
    of B); returns Authorization headers for every principal of the matrix."""
    admin = login(client)
    for project in ("A", "B", "C"):
        reply = client.post("/v1/projects", json={"id": project, "name": project}, headers=admin)
        assert reply.status_code == 201
    create_user(client, admin, "ma", {"A": False})
    create_user(client, admin, "pa", {"A": True})
    create_user(client, admin, "mb", {"B": False})
    runtime = runtime_of(client)
    past = TokenIssuer(
        runtime.settings.jwt_key_path.read_bytes().strip(), 60, clock=lambda: time.time() - 3600
    )
    expired, _ = past.issue("ma", "A", MEMBER, False)
    good = login(client, "ma", PASSWORD)["Authorization"]
    head, body, sig = good.removeprefix("Bearer ").split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return {
        "anonymous": {},
        "expired": {"Authorization": f"Bearer {expired}"},
        "tampered": {"Authorization": f"Bearer {head}.{body}.{flipped}"},
        "member_a": {"Authorization": good},
        "project_admin_a": login(client, "pa", PASSWORD),
        "member_b": login(client, "mb", PASSWORD),
        "admin": login(client, project="A"),
    }
