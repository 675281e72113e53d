"""Projects, users, login and switch_project against a real server."""

from __future__ import annotations

import pytest
from live_server import ADMIN, LiveServer

from hanami_client import (
    AuthError,
    Client,
    ConflictError,
    NotFoundError,
    Project,
    ValidationError,
)

pytestmark = pytest.mark.e2e


def test_projects_create_get_list_delete(admin: Client) -> None:
    assert admin.ready()
    created = admin.projects.create("acc-p1", "First")
    assert created == Project("acc-p1", "First", created.created, 0)
    assert admin.projects.get("acc-p1") == created
    assert "acc-p1" in [p.id for p in admin.projects.list()]
    with pytest.raises(ConflictError) as again:
        admin.projects.create("acc-p1", "Again")
    assert again.value.code == "conflict" and again.value.status == 409
    admin.projects.delete("acc-p1")
    with pytest.raises(NotFoundError) as gone:
        admin.projects.get("acc-p1")
    assert gone.value.code == "not_found" and "acc-p1" in gone.value.message
    with pytest.raises(NotFoundError):
        admin.projects.delete("acc-p1")


def test_users_and_memberships(admin: Client, server: LiveServer) -> None:
    admin.projects.create("acc-p2", "Second")
    user = admin.users.create("acc-u1", "Una", "password-1")
    assert (user.id, user.name, user.is_admin, user.projects) == ("acc-u1", "Una", False, ())
    membership = admin.users.add_project("acc-u1", "acc-p2", is_project_admin=True)
    assert (membership.project_id, membership.is_project_admin) == ("acc-p2", True)
    assert [m.id for m in admin.users.get("acc-u1").projects] == ["acc-p2"]
    assert "acc-u1" in [u.id for u in admin.users.list()]
    with pytest.raises(ConflictError):
        admin.users.create("acc-u1", "Una", "password-1")
    with pytest.raises(ValidationError) as short:
        admin.users.create("acc-u2", "Short", "x")
    assert short.value.code == "validation_error"

    with Client(server.url) as una:
        token = una.login("acc-u1", "password-1")
        assert (token.project_id, token.user.id) == ("acc-p2", "acc-u1")
        assert una.token == token.id
        with pytest.raises(AuthError) as denied:
            una.projects.list()
        assert denied.value.code == "forbidden" and denied.value.status == 403

    admin.users.remove_project("acc-u1", "acc-p2")
    assert admin.users.get("acc-u1").projects == ()
    with pytest.raises(NotFoundError):
        admin.users.remove_project("acc-u1", "acc-p2")
    admin.users.delete("acc-u1")
    with pytest.raises(NotFoundError):
        admin.users.get("acc-u1")
    admin.projects.delete("acc-p2")


def test_login_errors_and_switch_project(admin: Client, server: LiveServer) -> None:
    with Client(server.url) as anonymous:
        with pytest.raises(AuthError) as wrong:
            anonymous.login(ADMIN, "not-the-password")
        assert wrong.value.code == "unauthorized" and wrong.value.status == 401
        with pytest.raises(AuthError):
            anonymous.clusters.list()
    admin.projects.create("acc-p3", "Third")
    token = admin.switch_project("acc-p3")
    assert token.project_id == "acc-p3" and token.role == "admin"
    assert admin.switch_project(None).project_id is None
    with pytest.raises(NotFoundError):
        admin.switch_project("acc-none")
    with Client(server.url, token=admin.token) as reused:
        assert "acc-p3" in [p.id for p in reused.projects.list()]
    admin.projects.delete("acc-p3")
