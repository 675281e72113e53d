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
from tests.api.support import PRINCIPALS, build_world, statuses

Res = dict[str, str]
Fill = Callable[[str, Res], Any]

CSV = "x,y\n1,0\n2,1\n3,0\n4,1\n"


@dataclass(frozen=True)
class Row:
    """One endpoint's expectations; the route's {placeholders} are filled from the resources
    (`path` replaces that where the request needs more), `body`/`content` may depend on the
    principal and the resources."""

    method: str
    route: str
    expected: dict[str, int]
    path: Fill | None = None
    body: Fill | None = None
    content: Fill | None = None


def owned(ok: int) -> dict[str, int]:
    """A resource of member_a in project A: visible to ma, pa and admin, 404 for mb."""
    return statuses(ok, ok, 404, ok)


EVERYONE_201 = statuses(201, 201, 201, 201)
EVERYONE_200 = statuses(200, 200, 200, 200)

ROWS = [
    Row("POST", "/v1/uploads", EVERYONE_201, body=lambda p, r: {"size": 3}),
    Row("GET", "/v1/uploads/{upload_id}", owned(200)),
    Row("PUT", "/v1/uploads/{upload_id}", owned(200), content=lambda p, r: b"x"),
    Row("DELETE", "/v1/uploads/{upload_id}", owned(204)),
    Row(
        "POST",
        "/v1/datasets",
        EVERYONE_201,
        body=lambda p, r: {"name": f"d-{p}", "type": "csv", "uploads": {"data": r["own_upload"]}},
    ),
    Row("GET", "/v1/datasets", EVERYONE_200),
    Row("GET", "/v1/datasets/{dataset_id}", owned(200)),
    Row("DELETE", "/v1/datasets/{dataset_id}", owned(204)),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/tasks",
        owned(201),
        body=lambda p, r: {"type": "request", "dataset_id": r["dataset_id"]},
    ),
    Row("GET", "/v1/clusters/{cluster_id}/tasks", owned(200)),
    Row("GET", "/v1/tasks/{task_id}", owned(200)),
    # the task has finished: those who see it learn that it cannot be cancelled any more
    Row("DELETE", "/v1/tasks/{task_id}", owned(409)),
    Row("GET", "/v1/results/{task_id}", owned(200)),
    Row("GET", "/v1/results/{task_id}/outputs", owned(200)),
    Row(
        "POST",
        "/v1/results/{task_id}/check",
        owned(200),
        body=lambda p, r: {"dataset_id": r["dataset_id"]},
    ),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/checkpoints",
        owned(201),
        body=lambda p, r: {"name": f"c-{p}"},
    ),
    Row(
        "POST",
        "/v1/clusters/{cluster_id}/restore",
        owned(204),
        body=lambda p, r: {"checkpoint_id": r["checkpoint_id"]},
    ),
    Row("GET", "/v1/checkpoints", EVERYONE_200),
    Row(
        "POST",
        "/v1/checkpoints",
        EVERYONE_201,
        path=lambda p, r: f"/v1/checkpoints?name=up-{p}",
        content=lambda p, r: r["checkpoint_bytes"],
    ),
    Row("GET", "/v1/checkpoints/{checkpoint_id}", owned(200)),
    Row("DELETE", "/v1/checkpoints/{checkpoint_id}", owned(204)),
    Row("GET", "/v1/checkpoints/{checkpoint_id}/download", owned(200)),
]
ROUTES = {(r.method, r.route) for r in ROWS}


def _resources(client: TestClient, world: dict[str, dict[str, str]], principal: str) -> Res:
    """Fresh resources of member_a (and an upload of the principal's own, for datasets)."""
    ma = world["member_a"]
    upload_id = client.post("/v1/uploads", json={"size": 1}, headers=ma).json()["id"]
    res: Res = {"upload_id": upload_id}
    own = world[principal] if principal in ("project_admin_a", "member_b", "admin") else ma
    res["own_upload"] = upload(client, own, CSV.encode())
    reply = csv_dataset(client, ma, f"data-{principal}", CSV)
    assert reply.status_code == 201, reply.text
    res["dataset_id"] = reply.json()["id"]
    body = {"name": f"cl-{principal}", "template": SMALL_TEMPLATE}
    res["cluster_id"] = client.post("/v1/clusters", json=body, headers=ma).json()["id"]
    res["task_id"] = start_task(client, ma, res["cluster_id"], "request", res["dataset_id"])["id"]
    assert wait_task(client, ma, res["task_id"])["state"] == "finished"
    name = {"name": f"cp-{principal}"}
    reply = client.post(f"/v1/clusters/{res['cluster_id']}/checkpoints", json=name, headers=ma)
    res["checkpoint_id"] = reply.json()["id"]
    res["checkpoint_bytes"] = client.get(
        f"/v1/checkpoints/{res['checkpoint_id']}/download", headers=ma
    ).content
    return res


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.route}" for r in ROWS])
def test_batch_authorization(client: TestClient, row: Row) -> None:
    world = build_world(client)
    got = {}
    for principal in PRINCIPALS:
        res = _resources(client, world, principal)
        path = row.path(principal, res) if row.path else row.route.format(**res)
        kwargs: dict[str, Any] = {"headers": world[principal]}
        if row.body is not None:
            kwargs["json"] = row.body(principal, res)
        if row.content is not None:
            kwargs["content"] = row.content(principal, res)
        got[principal] = client.request(row.method, path, **kwargs).status_code
    assert got == row.expected
