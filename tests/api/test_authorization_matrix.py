"""Every endpoint x {anonymous, expired, tampered, member of A, project admin of A, member of
B, admin} -> exactly the expected status. One fresh server per endpoint row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from hanami_rt.app import ENDPOINTS
from tests.api.support import PASSWORD, PRINCIPALS, TEMPLATE, build_world, login, statuses
from tests.api.test_batch_authorization import ROUTES as BATCH_ROUTES

Fill = Callable[[str], Any]


@dataclass(frozen=True)
class Row:
    """One endpoint's expectations; `path`/`body` may depend on the principal."""

    method: str
    route: str
    expected: dict[str, int]
    path: Fill | None = None
    body: Fill | None = None
    clusters: bool = False


PUBLIC = statuses(200, 200, 200, 200, anonymous=200)
ADMIN_ONLY_GET = statuses(403, 403, 403, 200)

ROWS = [
    Row("GET", "/healthz", PUBLIC),
    Row("GET", "/readyz", PUBLIC),
    Row("GET", "/openapi.json", PUBLIC),
    Row("GET", "/docs", PUBLIC),
    Row("POST", "/v1/token", PUBLIC, body=lambda p: {"user_id": "ma", "password": PASSWORD}),
    Row("PUT", "/v1/token", statuses(200, 200, 404, 200), body=lambda p: {"project_id": "A"}),
    Row(
        "POST",
        "/v1/users",
        statuses(403, 403, 403, 201),
        body=lambda p: {"id": f"new-{p}", "name": "New", "password": PASSWORD},
    ),
    Row("GET", "/v1/users", ADMIN_ONLY_GET),
    Row("GET", "/v1/users/{user_id}", ADMIN_ONLY_GET, path=lambda p: "/v1/users/ma"),
    Row(
        "DELETE",
        "/v1/users/{user_id}",
        statuses(403, 403, 403, 204),
        path=lambda p: f"/v1/users/victim-{p}",
    ),
    Row(
        "POST",
        "/v1/users/{user_id}/projects",
        statuses(403, 403, 403, 201),
        path=lambda p: "/v1/users/ma/projects",
        body=lambda p: {"project_id": "B"},
    ),
    Row(
        "DELETE",
        "/v1/users/{user_id}/projects/{project_id}",
        statuses(403, 403, 403, 204),
        path=lambda p: "/v1/users/pa/projects/A",
    ),
    Row(
        "POST",
        "/v1/projects",
        statuses(403, 403, 403, 201),
        body=lambda p: {"id": f"P-{p}", "name": "P"},
    ),
    Row("GET", "/v1/projects", ADMIN_ONLY_GET),
    Row("GET", "/v1/projects/{project_id}", ADMIN_ONLY_GET, path=lambda p: "/v1/projects/A"),
    Row(
        "DELETE",
        "/v1/projects/{project_id}",
        statuses(403, 403, 403, 204),
        path=lambda p: "/v1/projects/C",
    ),
    Row(
        "POST",
        "/v1/clusters",
        statuses(201, 201, 201, 201),
        body=lambda p: {"name": f"new-{p}", "template": TEMPLATE},
        clusters=True,
    ),
    Row("GET", "/v1/clusters", statuses(200, 200, 200, 200), clusters=True),
    Row(
        "GET",
        "/v1/clusters/{cluster_id}",
        statuses(200, 200, 404, 200),
        path=lambda p: "owned-by-ma",
        clusters=True,
    ),
    Row(
        "GET",
        "/v1/clusters/{cluster_id}",
        statuses(404, 200, 404, 200),
        path=lambda p: "owned-by-pa",
        clusters=True,
    ),
    Row(
        "DELETE",
        "/v1/clusters/{cluster_id}",
        statuses(204, 204, 404, 204),
        path=lambda p: f"target-{p}",
        clusters=True,
    ),
    Row("GET", "/v1/audit-log", statuses(403, 200, 403, 200)),
    Row("GET", "/v1/error-log", ADMIN_ONLY_GET),
    Row("GET", "/v1/measurements/power", statuses(200, 200, 200, 200)),
    Row("GET", "/v1/measurements/cpu-frequency", statuses(200, 200, 200, 200)),
    Row("GET", "/v1/measurements/temperature", statuses(200, 200, 200, 200)),
    Row("GET", "/v1/system", ADMIN_ONLY_GET),
]


def test_every_endpoint_has_a_row() -> None:
    rows = {(r.method, r.route) for r in ROWS} | BATCH_ROUTES
    assert {(e.method, e.path) for e in ENDPOINTS} == rows


def _cluster_ids(client: TestClient, world: dict[str, dict[str, str]]) -> dict[str, str]:
    """Clusters in A: one owned by ma, one by pa, and one delete target per principal."""
    ids = {}
    for name, who in [("owned-by-ma", "member_a"), ("owned-by-pa", "project_admin_a")] + [
        (f"target-{p}", "member_a") for p in PRINCIPALS
    ]:
        reply = client.post(
            "/v1/clusters", json={"name": name, "template": TEMPLATE}, headers=world[who]
        )
        assert reply.status_code == 201, reply.text
        ids[name] = reply.json()["id"]
    return ids


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.route}" for r in ROWS])
def test_authorization_matrix(client: TestClient, row: Row) -> None:
    world = build_world(client)
    admin = login(client)
    for p in PRINCIPALS:
        reply = client.post(
            "/v1/users",
            json={"id": f"victim-{p}", "name": "V", "password": PASSWORD},
            headers=admin,
        )
        assert reply.status_code == 201
    ids = _cluster_ids(client, world) if row.clusters else {}
    got = {}
    for principal in PRINCIPALS:
        path = row.path(principal) if row.path else row.route
        if row.clusters and row.path:
            path = f"/v1/clusters/{ids[path]}"
        kwargs: dict[str, Any] = {"headers": world[principal]}
        if row.body is not None:
            kwargs["json"] = row.body(principal)
        got[principal] = client.request(row.method, path, **kwargs).status_code
    assert got == row.expected
