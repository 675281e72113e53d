"""The batch endpoints x every principal -> the expected status (the matrix of
test_authorization_matrix.py, for uploads, datasets, tasks, results and checkpoints).

Every principal gets its own fresh resources, owned by member_a in project A, so a delete by
one does not change what the next one sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.batch import SMALL_TEMPLATE, csv_dataset, start_task, upload, wait_task
from tests.api.support import PRINCIPALS, build_world

Res = dict[str, str]
Fill = Callable[[str, Res], Any]

CSV = "x,y\n1,0\n2,1\n3,0\n4,1\n"


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    expected: dict[str, int]
    path: Fill | None = None
    body: Fill | None = None
    content: Fill | None = None


def _statuses(ma: int, pa: int, mb: int, admin: int) -> dict[str, int]:
    return {
        "anonymous": 401,
        "expired": 401,
        "tampered": 401,
        "member_a": ma,
        "project_admin_a": pa,
        "member_b": mb,
        "admin": admin,
    }


def owned(ok: int) -> dict[str, int]:
    """A resource of member_a in project A: visible to ma, pa and admin, 404 for mb."""
    return _statuses(ok, ok, 404, ok)


EVERYONE_201 = _statuses(201, 201, 201, 201)
EVERYONE_200 = _statuses(200, 200, 200, 200)

ROWS = [
    Row("POST", "/v1/uploads", EVERYONE_201, body=lambda p, r: {"size": 3}),
    Row(
        "GET", "/v1/uploads/{upload_id}", owned(200), path=lambda p, r: f"/v1/uploads/{r['upload']}"
    ),
    Row(
        "PUT",
        "/v1/uploads/{upload_id}",
        owned(200),
        path=lambda p, r: f"/v1/uploads/{r['upload']}",
        content=lambda p, r: b"x",
    ),
    Row(
        "DELETE",
        "/v1/uploads/{upload_id}",
        owned(204),
        path=lambda p, r: f"/v1/uploads/{r['upload']}",
    ),
    Row(
        "POST",
        "/v1/datasets",
        EVERYONE_201,
        body=lambda p, r: {"name": f"d-{p}", "type": "csv", "uploads": {"data": r["own_upload"]}},
    ),
    Row("GET", "/v1/datasets", EVERYONE_200),
    Row(
        "GET",
        "/v1/datasets/{dataset_id}",
        owned(200),
        path=lambda p, r: f"/v1/datasets/{r['dataset']}",
    ),
    Row(
        "DELETE",
        "/v1/datasets/{dataset_id}",
        owned(204),
        path=lambda p, r: f"/v1/datasets/{r['dataset']}",
    ),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/tasks",
        owned(201),
        path=lambda p, r: f"/v1/clusters/{r['cluster']}/tasks",
        body=lambda p, r: {"type": "request", "dataset_id": r["dataset"]},
    ),
    Row(
        "GET",
        "/v1/clusters/{cluster_id}/tasks",
        owned(200),
        path=lambda p, r: f"/v1/clusters/{r['cluster']}/tasks",
    ),
    Row("GET", "/v1/tasks/{task_id}", owned(200), path=lambda p, r: f"/v1/tasks/{r['task']}"),
    # the task has finished: those who see it learn that it cannot be cancelled any more
    Row("DELETE", "/v1/tasks/{task_id}", owned(409), path=lambda p, r: f"/v1/tasks/{r['task']}"),
    Row("GET", "/v1/results/{task_id}", owned(200), path=lambda p, r: f"/v1/results/{r['task']}"),
    Row(
        "GET",
        "/v1/results/{task_id}/outputs",
        owned(200),
        path=lambda p, r: f"/v1/results/{r['task']}/outputs",
    ),
    Row(
        "POST",
        "/v1/results/{task_id}/check",
        owned(200),
        path=lambda p, r: f"/v1/results/{r['task']}/check",
        body=lambda p, r: {"dataset_id": r["dataset"]},
    ),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/checkpoints",
        owned(201),
        path=lambda p, r: f"/v1/clusters/{r['cluster']}/checkpoints",
        body=lambda p, r: {"name": f"c-{p}"},
    ),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/restore",
        owned(204),
        path=lambda p, r: f"/v1/clusters/{r['cluster']}/restore",
        body=lambda p, r: {"checkpoint_id": r["checkpoint"]},
    ),
    Row("GET", "/v1/checkpoints", EVERYONE_200),
    Row(
        "POST",
        "/v1/checkpoints",
        EVERYONE_201,
        path=lambda p, r: f"/v1/checkpoints?name=up-{p}",
        content=lambda p, r: r["checkpoint_bytes"],
    ),
    Row(
        "GET",
        "/v1/checkpoints/{checkpoint_id}",
        owned(200),
        path=lambda p, r: f"/v1/checkpoints/{r['checkpoint']}",
    ),
    Row(
        "DELETE",
        "/v1/checkpoints/{checkpoint_id}",
        owned(204),
        path=lambda p, r: f"/v1/checkpoints/{r['checkpoint']}",
    ),
    Row(
        "GET",
        "/v1/checkpoints/{checkpoint_id}/download",
        owned(200),
        path=lambda p, r: f"/v1/checkpoints/{r['checkpoint']}/download",
    ),
]
ROUTES = {(r.method, r.route) for r in ROWS}


def _resources(client: TestClient, world: dict[str, dict[str, str]], principal: str) -> Res:
    """Fresh resources of member_a (and an upload of the principal's own, for datasets)."""
    ma = world["member_a"]
    res: Res = {"upload": client.post("/v1/uploads", json={"size": 1}, headers=ma).json()["id"]}
    own = world[principal] if principal in ("project_admin_a", "member_b", "admin") else ma
    res["own_upload"] = upload(client, own, CSV.encode())
    reply = csv_dataset(client, ma, f"data-{principal}", CSV)
    assert reply.status_code == 201, reply.text
    res["dataset"] = reply.json()["id"]
    body = {"name": f"cl-{principal}", "template": SMALL_TEMPLATE}
    res["cluster"] = client.post("/v1/clusters", json=body, headers=ma).json()["id"]
    res["task"] = start_task(client, ma, res["cluster"], "request", res["dataset"])["id"]
    assert wait_task(client, ma, res["task"])["state"] == "finished"
    name = {"name": f"cp-{principal}"}
    reply = client.post(f"/v1/clusters/{res['cluster']}/checkpoints", json=name, headers=ma)
    res["checkpoint"] = reply.json()["id"]
    res["checkpoint_bytes"] = client.get(
        f"/v1/checkpoints/{res['checkpoint']}/download", headers=ma
    ).content
    return res


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.route}" for r in ROWS])
def test_batch_authorization(client: TestClient, row: Row) -> None:
    world = build_world(client)
    got = {}
    for principal in PRINCIPALS:
        res = _resources(client, world, principal)
        path = row.path(principal, res) if row.path else row.route
        kwargs: dict[str, Any] = {"headers": world[principal]}
        if row.body is not None:
            kwargs["json"] = row.body(principal, res)
        if row.content is not None:
            kwargs["content"] = row.content(principal, res)
        got[principal] = client.request(row.method, path, **kwargs).status_code
    assert got == row.expected
