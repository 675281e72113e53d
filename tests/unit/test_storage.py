"""Storage: migrations are versioned and idempotent; repositories enforce uniqueness."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hanami_rt.errors import Conflict
from hanami_rt.storage import (
    AuditLogRepository,
    BlobStore,
    ClusterRepository,
    Database,
    ErrorLogRepository,
    MembershipRepository,
    ProjectRepository,
    UserRepository,
)
from hanami_rt.storage.database import MIGRATIONS
from hanami_rt.storage.logs import PROJECT_PAGE


async def _migrate_twice(path: Path) -> tuple[int, list[int]]:
    db = await Database.open(path)
    version = await db.schema_version()
    again = await db.migrate()
    await db.close()
    db = await Database.open(path)
    await db.close()
    return version, again


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    version, again = asyncio.run(_migrate_twice(tmp_path / "x" / "db.sqlite3"))
    assert version == MIGRATIONS[-1][0]
    assert again == []


async def _repositories(path: Path) -> None:
    db = await Database.open(path)
    users, projects = UserRepository(db), ProjectRepository(db)
    members, clusters = MembershipRepository(db), ClusterRepository(db)
    await users.create("ann", "Ann", "hash", is_admin=False)
    with pytest.raises(Conflict, match="already exists"):
        await users.create("ann", "Ann again", "hash", is_admin=True)
    assert await users.count_admins() == 0
    await projects.create("p1", "Project 1")
    await members.add("ann", "p1", "member", is_project_admin=True)
    with pytest.raises(Conflict):
        await members.add("ann", "p1", "member", is_project_admin=False)
    membership = await members.get("ann", "p1")
    assert membership is not None and membership.is_project_admin
    await clusters.create("c1", "p1", "ann", "net", "template", 3)
    with pytest.raises(Conflict, match="already has a cluster named 'net'"):
        await clusters.create("c2", "p1", "ann", "net", "template", 3)
    assert await clusters.count_in_project("p1") == 1
    assert [c.id for c in await clusters.list(project_id="p1", owner_id="ann")] == ["c1"]
    assert await clusters.list(owner_id="bob") == []
    await clusters.mark_saved("c1")
    saved = await clusters.get("c1")
    assert saved is not None and saved.saved is not None and saved.seed == 3
    assert await users.delete("ann")
    assert await members.of_user("ann") == []  # cascaded
    assert not await users.delete("ann")

    audit, errors = AuditLogRepository(db), ErrorLogRepository(db)
    for status in (201, 409, 204):
        await audit.append("ann", "p1", "POST", "/v1/x", status)
    page = await audit.page(limit=2)
    assert [e.status for e in page] == [201, 409]
    assert [e.status for e in await audit.page(after=page[-1].seq)] == [204]
    assert page[0].time.endswith("Z")
    await errors.append("e1", None, "GET", "/x", "KeyError", "boom", "Traceback ...")
    assert [e.id for e in await errors.page()] == ["e1"]
    await db.close()


def test_repositories(tmp_path: Path) -> None:
    asyncio.run(_repositories(tmp_path / "db.sqlite3"))


def test_blob_store_round_trip(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    assert blobs.get("clusters/a.hnet") is None
    blobs.put("clusters/a.hnet", b"one")
    blobs.put("clusters/a.hnet", b"two")
    assert blobs.get("clusters/a.hnet") == b"two"
    assert sorted(p.name for p in (tmp_path / "clusters").iterdir()) == ["a.hnet"]
    blobs.delete("clusters/a.hnet")
    blobs.delete("clusters/a.hnet")
    assert blobs.get("clusters/a.hnet") is None
    with pytest.raises(ValueError):
        blobs.put("../escape", b"")


async def _gone_or_taken(path: Path) -> None:
    db = await Database.open(path)
    users, projects = UserRepository(db), ProjectRepository(db)
    members, clusters = MembershipRepository(db), ClusterRepository(db)
    await users.create("ann", "Ann", "hash", is_admin=False)
    await projects.create("p1", "Project 1")
    await clusters.create("c1", "p1", "ann", "net", "template", 0)
    with pytest.raises(Conflict, match="already has a cluster named 'net'"):
        await clusters.create("c2", "p1", "ann", "net", "template", 0)
    # a project or user deleted between the caller's lookup and the insert is not a name clash
    with pytest.raises(Conflict, match="deleted meanwhile"):
        await clusters.create("c3", "gone", "ann", "net", "template", 0)
    with pytest.raises(Conflict, match="deleted meanwhile"):
        await members.add("nobody", "p1", "member", is_project_admin=False)
    assert [c.id for c in await clusters.list("p1")] == ["c1"]
    await db.close()


def test_a_missing_reference_is_not_reported_as_a_name_clash(tmp_path: Path) -> None:
    asyncio.run(_gone_or_taken(tmp_path / "db.sqlite3"))


async def _audit_plan(path: Path) -> str:
    db = await Database.open(path)
    rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {PROJECT_PAGE}", (0, "p1", "p1", 100))
    await db.close()
    return " | ".join(str(r["detail"]) for r in rows)


def test_a_project_page_of_the_audit_log_reads_through_its_index(tmp_path: Path) -> None:
    """The page a project admin reads must not scan the whole log."""
    assert "USING INDEX audit_log_by_project" in asyncio.run(_audit_plan(tmp_path / "db.sqlite3"))
