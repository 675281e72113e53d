"""Users, projects, tokens, the audit log and the OpenAPI document, through the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from starlette.testclient import TestClient

from tests.api.support import (
    ADMIN_PASSWORD,
    PASSWORD,
    build_world,
    create_user,
    error_code,
    login,
    make_settings,
    start,
)


def test_users_crud_never_show_passwords(client: TestClient) -> None:
    admin = login(client)
    body = {"id": "ann", "name": "Ann", "password": "secret-pw-1"}
    reply = client.post("/v1/users", json=body, headers=admin)
    assert reply.status_code == 201
    assert reply.json() == {
        "id": "ann",
        "name": "Ann",
        "is_admin": False,
        "created": reply.json()["created"],
        "projects": [],
    }
    again = client.post("/v1/users", json=body, headers=admin)
    assert again.status_code == 409 and error_code(again) == "conflict"
    listing = client.get("/v1/users", headers=admin)
    assert "secret-pw-1" not in listing.text and "scrypt" not in listing.text
    assert client.get("/v1/users/nobody", headers=admin).status_code == 404
    assert client.delete("/v1/users/ann", headers=admin).status_code == 204
    second = client.delete("/v1/users/ann", headers=admin)
    assert second.status_code == 404 and error_code(second) == "not_found"


def test_deleting_yourself_is_409(client: TestClient) -> None:
    admin = login(client)
    reply = client.delete("/v1/users/admin", headers=admin)
    assert reply.status_code == 409 and "yourself" in reply.json()["error"]["message"]


def test_memberships(client: TestClient) -> None:
    admin = login(client)
    client.post("/v1/projects", json={"id": "A", "name": "A"}, headers=admin)
    create_user(client, admin, "ann")
    url = "/v1/users/ann/projects"
    assert client.post(url, json={"project_id": "Z"}, headers=admin).status_code == 404
    reply = client.post(url, json={"project_id": "A", "is_project_admin": True}, headers=admin)
    assert reply.status_code == 201 and reply.json()["is_project_admin"] is True
    assert client.post(url, json={"project_id": "A"}, headers=admin).status_code == 409
    assert client.get("/v1/users/ann", headers=admin).json()["projects"][0]["project_id"] == "A"
    assert client.delete(url + "/A", headers=admin).status_code == 204
    assert client.delete(url + "/A", headers=admin).status_code == 404


def test_projects_crud(client: TestClient) -> None:
    admin = login(client)
    reply = client.post("/v1/projects", json={"id": "A", "name": "Alpha"}, headers=admin)
    assert reply.status_code == 201 and reply.json()["clusters"] == 0
    assert (
        client.post("/v1/projects", json={"id": "A", "name": "x"}, headers=admin).status_code == 409
    )
    assert [p["id"] for p in client.get("/v1/projects", headers=admin).json()["items"]] == ["A"]
    assert client.get("/v1/projects/B", headers=admin).status_code == 404
    assert client.delete("/v1/projects/A", headers=admin).status_code == 204
    assert client.delete("/v1/projects/A", headers=admin).status_code == 404


def test_login_failures_are_throttled_per_user(client: TestClient) -> None:
    for _ in range(5):
        reply = client.post("/v1/token", json={"user_id": "admin", "password": "wrong-guess"})
        assert reply.status_code == 401 and error_code(reply) == "unauthorized"
    blocked = client.post("/v1/token", json={"user_id": "admin", "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429 and error_code(blocked) == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1
    unknown = client.post("/v1/token", json={"user_id": "ghost", "password": "x"})
    assert unknown.status_code == 401  # other users are not affected


def test_token_project_selection(client: TestClient) -> None:
    build_world(client)
    admin = login(client)
    create_user(client, admin, "multi", {"A": False, "B": True})
    reply = client.post("/v1/token", json={"user_id": "multi", "password": PASSWORD})
    assert reply.status_code == 400 and "A, B" in reply.json()["error"]["message"]
    reply = client.post(
        "/v1/token", json={"user_id": "multi", "password": PASSWORD, "project_id": "B"}
    )
    token = reply.json()
    assert (token["project_id"], token["role"], token["user"]["id"]) == (
        "B",
        "project_admin",
        "multi",
    )
    assert token["expires_at"].endswith("Z")
    headers = {"Authorization": f"Bearer {token['token']}"}
    switched = client.put("/v1/token", json={"project_id": "A"}, headers=headers).json()
    assert (switched["project_id"], switched["role"]) == ("A", "member")
    foreign = client.post(
        "/v1/token", json={"user_id": "ma", "password": PASSWORD, "project_id": "B"}
    )
    assert foreign.status_code == 404
    single = client.post("/v1/token", json={"user_id": "ma", "password": PASSWORD}).json()
    assert (single["project_id"], single["role"]) == ("A", "member")


def test_revoked_membership_and_deleted_user_invalidate_tokens(client: TestClient) -> None:
    world = build_world(client)
    admin = login(client)
    assert client.get("/v1/audit-log", headers=world["project_admin_a"]).status_code == 200
    client.delete("/v1/users/pa/projects/A", headers=admin)
    assert client.get("/v1/audit-log", headers=world["project_admin_a"]).status_code == 401
    client.delete("/v1/users/mb", headers=admin)
    reply = client.get("/v1/clusters", headers=world["member_b"])
    assert reply.status_code == 401 and "no longer exists" in reply.json()["error"]["message"]


def test_audit_log_records_every_mutating_request(client: TestClient) -> None:
    world = build_world(client)
    admin = login(client)
    client.post("/v1/projects", json={"id": "A", "name": "dup"}, headers=admin)  # 409
    client.post("/v1/projects", content=b"{", headers=admin)  # 400
    client.get("/v1/projects", headers=admin)  # not recorded
    entries: list[dict[str, Any]] = client.get("/v1/audit-log?limit=1000", headers=admin).json()[
        "items"
    ]
    seen = [(e["user_id"], e["method"], e["path"], e["status"]) for e in entries]
    assert ("admin", "POST", "/v1/projects", 201) in seen
    assert ("admin", "POST", "/v1/projects", 409) in seen
    assert ("admin", "POST", "/v1/projects", 400) in seen
    assert ("ma", "POST", "/v1/token", 200) in seen
    assert all(method != "GET" for _, method, _, _ in seen)
    assert all(e["time"].endswith("Z") for e in entries)
    first = client.get("/v1/audit-log?limit=2", headers=admin).json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["seq"]
    rest = client.get(f"/v1/audit-log?after={first['next_after']}&limit=1000", headers=admin)
    assert rest.json()["items"][0]["seq"] > first["next_after"]
    scoped = client.get("/v1/audit-log?limit=1000", headers=world["project_admin_a"]).json()
    assert {e["project_id"] for e in scoped["items"]} == {"A"}


def test_openapi_document_is_valid_3_1_and_complete(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    create = doc["paths"]["/v1/users"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateUser"
    }
    schema = doc["components"]["schemas"]["CreateUser"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "name", "password"}
    assert "401" in doc["paths"]["/v1/users"]["get"]["responses"]
    assert doc["paths"]["/healthz"]["get"]["security"] == []


def test_docs_page_renders_without_external_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_a_configured_policy_file_replaces_the_packaged_one(tmp_path: Path) -> None:
    from importlib import resources

    packaged = resources.files("hanami_rt.auth").joinpath("policy.toml").read_text("utf-8")
    custom = tmp_path / "policy.toml"
    custom.write_text(packaged.replace('["/v1/projects"]\nGET = ["admin"]\n', '["/v1/projects"]\n'))
    client = start(make_settings(tmp_path / "d", policy_file=custom))
    try:
        admin = login(client)
        denied = client.get("/v1/projects", headers=admin)
        assert denied.status_code == 403 and error_code(denied) == "forbidden"
        assert client.get("/v1/users", headers=admin).status_code == 200
    finally:
        client.__exit__(None, None, None)


def test_put_token_renews(client: TestClient) -> None:
    admin = login(client)
    reply = client.put("/v1/token", json={"project_id": None}, headers=admin)
    assert reply.status_code == 200
    renewed = {"Authorization": f"Bearer {reply.json()['token']}"}
    assert renewed != admin and client.get("/v1/users", headers=renewed).status_code == 200
    assert client.put("/v1/token", json={"project_id": "nope"}, headers=admin).status_code == 404
