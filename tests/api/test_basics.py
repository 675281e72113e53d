"""Probes, first-admin bootstrap, key files, error shapes for malformed requests."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.testclient import TestClient

from hanami_rt.service.bootstrap import INITIAL_ADMIN_FILE
from tests.api.support import error_code, login, make_settings, runtime_of, start


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_generated_admin_password_is_written_once_with_mode_0600(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", admin_password=None)
    client = start(settings)
    try:
        path = settings.data_dir / INITIAL_ADMIN_FILE
        assert os.stat(path).st_mode & 0o777 == 0o600
        lines = dict(line.split(": ", 1) for line in path.read_text().splitlines())
        assert lines["user"] == "admin"
        login(client, "admin", lines["password"])
        assert os.stat(settings.jwt_key_path).st_mode & 0o777 == 0o600
    finally:
        client.__exit__(None, None, None)
    path.unlink()
    client = start(settings)  # second start: an admin exists, nothing is generated
    client.__exit__(None, None, None)
    assert not path.exists()


def test_unknown_route_and_method(client: TestClient) -> None:
    reply = client.get("/v1/nothing")
    assert reply.status_code == 404 and error_code(reply) == "not_found"
    reply = client.patch("/v1/users")
    assert reply.status_code == 405 and error_code(reply) == "method_not_allowed"


def test_malformed_bodies_write_nothing(client: TestClient) -> None:
    headers = login(client)
    cases = [
        (b"{not json", "invalid_message"),
        (b'{"id": "x", "name": NaN, "password": "12345678"}', "invalid_message"),
        (b"[1, 2]", "validation_error"),
        (b'{"id": "x", "name": "X", "password": "12345678", "colour": 1}', "validation_error"),
        (b'{"id": "x", "name": 5, "password": "12345678"}', "validation_error"),
        (b'{"id": "x", "name": "X", "password": "12345678", "is_admin": 1}', "validation_error"),
        (b'{"id": "x", "name": "X"}', "validation_error"),
        (b'{"id": "bad id!", "name": "X", "password": "12345678"}', "validation_error"),
        (b'{"id": "x", "name": "X", "password": "short"}', "validation_error"),
        (b"\xff\xfe", "invalid_message"),
    ]
    for raw, code in cases:
        reply = client.post("/v1/users", content=raw, headers=headers)
        assert reply.status_code == 400, raw
        assert error_code(reply) == code, (raw, reply.json())
    users = client.get("/v1/users", headers=headers).json()["items"]
    assert [u["id"] for u in users] == ["admin"]


def test_messages_say_what_was_wrong(client: TestClient) -> None:
    headers = login(client)
    reply = client.post(
        "/v1/users",
        json={"id": "x", "name": "X", "password": "12345678", "colour": 1},
        headers=headers,
    )
    assert "'colour'" in reply.json()["error"]["message"]
    reply = client.post("/v1/users", json={"id": "x", "name": 5, "password": "1"}, headers=headers)
    assert "'name' must be string" in reply.json()["error"]["message"]
    reply = client.get("/v1/audit-log?limit=abc", headers=headers)
    assert reply.status_code == 400 and "'limit'" in reply.json()["error"]["message"]
    reply = client.get("/v1/audit-log?sort=up", headers=headers)
    assert reply.status_code == 400 and "'sort'" in reply.json()["error"]["message"]


def test_oversized_body_is_413_and_writes_nothing(tmp_path: Path) -> None:
    client = start(make_settings(tmp_path / "d", max_body_bytes=256))
    try:
        headers = login(client)
        body = {"id": "big", "name": "x" * 300, "password": "12345678"}
        reply = client.post("/v1/users", json=body, headers=headers)
        assert reply.status_code == 413 and error_code(reply) == "too_large"

        def chunks():  # no Content-Length: the limit applies while streaming
            yield b'{"id": "big", "name": "'
            yield b"x" * 300
            yield b'", "password": "12345678"}'

        reply = client.post("/v1/users", content=chunks(), headers=headers)
        assert reply.status_code == 413
        assert client.get("/v1/users/big", headers=headers).status_code == 404
    finally:
        client.__exit__(None, None, None)


def test_unexpected_exception_is_500_with_error_id_in_error_log(client: TestClient) -> None:
    from starlette.routing import Route

    async def boom(request: object) -> None:
        raise KeyError("secret internals")

    client.app.router.routes.append(Route("/boom", boom, methods=["POST"]))  # type: ignore[attr-defined]
    reply = client.post("/boom")
    assert reply.status_code == 500 and error_code(reply) == "internal"
    error = reply.json()["error"]
    assert "secret" not in error["message"] and error["error_id"] in error["message"]
    headers = login(client)
    entries = client.get("/v1/error-log", headers=headers).json()["items"]
    assert [e["id"] for e in entries] == [error["error_id"]]
    assert "secret internals" in entries[0]["traceback"]
    audit = client.get("/v1/audit-log", headers=headers).json()["items"]
    assert ("POST", "/boom", 500) in [(a["method"], a["path"], a["status"]) for a in audit]


def test_runtime_is_the_one_per_app(client: TestClient) -> None:
    assert runtime_of(client).is_ready
