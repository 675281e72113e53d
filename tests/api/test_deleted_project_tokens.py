"""A token carries the project it acts in; once that project is deleted the token is refused.

Admins too: their role does not depend on a membership (which goes with the project), so the
project's existence itself is checked when the token is used. The answer is 401 `unauthorized`
naming the project and the way out (a new token from POST /v1/token), and nothing is created.

A project re-created under the same id shows its project admins only its own audit entries,
never those of the project that had the id before; global admins still see the whole history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
from starlette.testclient import TestClient

from hanami_rt.settings import Settings
from tests.api.batch import SMALL_TEMPLATE, create_cluster
from tests.api.support import (
    PASSWORD,
    ask,
    closed_with,
    create_project,
    create_user,
    error_code,
    login,
    project_rows,
)

H = dict[str, str]
SCOPED_TABLES = ("uploads", "checkpoints", "clusters", "datasets")


def _blob_files(settings: Settings) -> set[Path]:
    root = settings.data_dir / "blobs"
    return {p for p in root.rglob("*") if p.is_file()}


def _checkpoint_bytes(client: TestClient) -> bytes:
    """A valid checkpoint file, taken in project B."""
    admin_b = create_project(client, "B")
    cluster = create_cluster(client, admin_b, "net", SMALL_TEMPLATE)
    reply = client.post(f"/v1/clusters/{cluster}/checkpoints", json={"name": "c"}, headers=admin_b)
    assert reply.status_code == 201, reply.text
    download = client.get(f"/v1/checkpoints/{reply.json()['id']}/download", headers=admin_b)
    assert download.status_code == 200 and download.content
    return download.content


def _assert_refused(reply: Any, project_id: str) -> None:
    assert reply.status_code == 401 and error_code(reply) == "unauthorized", reply.text
    message = reply.json()["error"]["message"]
    assert f"project {project_id!r}" in message and "no longer exists" in message, message
    assert "POST /v1/token" in message, message


def _try_project_work(client: TestClient, headers: H, checkpoint: bytes) -> None:
    """Every way of creating something in the token's project is refused."""
    attempts = [
        client.post("/v1/uploads", json={"size": 10}, headers=headers),
        client.post("/v1/checkpoints?name=moved", content=checkpoint, headers=headers),
        client.post(
            "/v1/clusters", json={"name": "net", "template": SMALL_TEMPLATE}, headers=headers
        ),
        client.post(
            "/v1/datasets",
            json={"name": "rows", "type": "csv", "uploads": {"data": "nope"}},
            headers=headers,
        ),
    ]
    for reply in attempts:
        _assert_refused(reply, "A")


def test_an_admin_token_of_a_deleted_project_is_refused_and_creates_nothing(
    client: TestClient, settings: Settings
) -> None:
    checkpoint = _checkpoint_bytes(client)
    admin_a = create_project(client, "A")
    assert client.post("/v1/uploads", json={"size": 10}, headers=admin_a).status_code == 201
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
    files = _blob_files(settings)

    _try_project_work(client, admin_a, checkpoint)
    _assert_refused(client.get("/v1/clusters", headers=admin_a), "A")  # reads too
    _assert_refused(client.put("/v1/token", json={"project_id": "B"}, headers=admin_a), "A")

    assert [project_rows(client, table, "A") for table in SCOPED_TABLES] == [0, 0, 0, 0]
    assert _blob_files(settings) == files
    # the way out the message names: a new token, without a project or for another one
    assert client.get("/v1/clusters", headers=login(client)).status_code == 200
    assert client.get("/v1/clusters", headers=login(client, project="B")).status_code == 200


def test_a_member_token_of_a_deleted_project_is_refused_and_creates_nothing(
    client: TestClient, settings: Settings
) -> None:
    checkpoint = _checkpoint_bytes(client)
    create_project(client, "A")
    create_user(client, login(client), "pa", {"A": True})
    create_user(client, login(client), "ma", {"A": False})
    tokens = [login(client, "pa", PASSWORD), login(client, "ma", PASSWORD)]
    for headers in tokens:
        assert client.post("/v1/uploads", json={"size": 10}, headers=headers).status_code == 201
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
    files = _blob_files(settings)

    for headers in tokens:
        _try_project_work(client, headers, checkpoint)

    assert [project_rows(client, table, "A") for table in SCOPED_TABLES] == [0, 0, 0, 0]
    assert _blob_files(settings) == files


def test_a_token_of_a_deleted_and_recreated_project_works_again_for_a_member(
    client: TestClient,
) -> None:
    """Being refused follows the project's existence and the membership now, nothing else:
    an admin, or a user made a member of the new project, may act in it with the old token."""
    create_project(client, "A")
    create_user(client, login(client), "ma", {"A": False})
    member, admin = login(client, "ma", PASSWORD), login(client, project="A")
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
    create_project(client, "A")
    reply = client.get("/v1/clusters", headers=member)
    assert reply.status_code == 401 and "no longer a member" in reply.json()["error"]["message"]
    body = {"project_id": "A", "is_project_admin": False}
    assert client.post("/v1/users/ma/projects", json=body, headers=login(client)).status_code == 201
    for headers in (member, admin):
        assert client.get("/v1/clusters", headers=headers).status_code == 200


# ---- websocket: checked when a connection opens and when it refreshes its token ----------


def _assert_ws_refused(reply: dict[str, Any]) -> None:
    assert reply["ok"] is False and reply["error"]["code"] == "unauthorized", reply
    assert "no longer exists" in reply["error"]["message"], reply


def test_a_websocket_of_a_deleted_project_is_closed_and_refused_at_connect(
    client: TestClient,
) -> None:
    admin_a = create_project(client, "A")
    with client.websocket_connect("/v1/ws", headers=admin_a) as ws:
        assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
        assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
        # the deletion closes the open connection at once (api/sockets.py)
        reply = ask(ws, {"op": "ping", "id": 2})
        assert reply["ok"] is False and reply["error"]["code"] == "unauthorized", reply
        assert "project 'A' was deleted" in reply["error"]["message"]
        assert closed_with(ws) == 4401
    with client.websocket_connect("/v1/ws", headers=admin_a) as ws:
        _assert_ws_refused(msgpack.unpackb(ws.receive_bytes()))
        assert closed_with(ws) == 4401


# ---- the audit log of a re-created project -------------------------------------------------


def _audit(client: TestClient, headers: H) -> list[dict[str, Any]]:
    reply = client.get("/v1/audit-log?limit=1000", headers=headers)
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def _seqs_of(entries: list[dict[str, Any]], project_id: str) -> set[int]:
    return {int(e["seq"]) for e in entries if e["project_id"] == project_id}


def test_a_recreated_project_shows_only_its_own_audit_entries(client: TestClient) -> None:
    create_project(client, "A")
    create_user(client, login(client), "pa", {"A": True})
    old_admin = login(client, "pa", PASSWORD)
    assert client.post("/v1/uploads", json={"size": 1}, headers=old_admin).status_code == 201
    old = _seqs_of(_audit(client, login(client)), "A")
    assert old and old <= _seqs_of(_audit(client, old_admin), "A")
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204

    create_project(client, "A")
    body = {"project_id": "A", "is_project_admin": True}
    assert client.post("/v1/users/pa/projects", json=body, headers=login(client)).status_code == 201
    create_user(client, login(client), "pa2", {"A": True})
    new_admins = [login(client, "pa", PASSWORD), login(client, "pa2", PASSWORD)]
    for headers in new_admins:
        assert client.post("/v1/uploads", json={"size": 1}, headers=headers).status_code == 201

    everything = _audit(client, login(client))
    new = _seqs_of(everything, "A") - old
    uploads = {int(e["seq"]) for e in everything if e["path"] == "/v1/uploads"}
    assert len(new & uploads) == 2  # the two uploads in the new project
    for headers in new_admins:
        seen = _audit(client, headers)
        assert {e["project_id"] for e in seen} == {"A"}
        assert _seqs_of(seen, "A") >= new  # its own entries, the logins among them
        assert not _seqs_of(seen, "A") & old, "entries of the deleted project A leaked"
    # a global admin still sees the whole history, the deleted project's entries included
    assert old | new <= _seqs_of(everything, "A")
