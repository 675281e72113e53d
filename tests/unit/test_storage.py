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
from hanami_rt.storage.checkpoints import CheckpointRecord, CheckpointRepository
from hanami_rt.storage.database import MIGRATIONS
from hanami_rt.storage.datasets import DatasetRecord, DatasetRepository
from hanami_rt.storage.logs import PROJECT_PAGE
from hanami_rt.storage.uploads import UploadRecord, UploadRepository


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
    rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {PROJECT_PAGE}", (0, "p1", 100))
    await db.close()
    return " | ".join(str(r["detail"]) for r in rows)


def test_a_project_page_of_the_audit_log_reads_through_its_index(tmp_path: Path) -> None:
    """The page a project admin reads must not scan the whole log."""
    assert "USING INDEX audit_log_by_project" in asyncio.run(_audit_plan(tmp_path / "db.sqlite3"))


async def _audit_across_clock_and_incarnations(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = await Database.open(path)
    projects, audit = ProjectRepository(db), AuditLogRepository(db)
    await projects.create("p1", "first")
    await audit.append("ann", "p1", "POST", "/v1/clusters", 201)
    await projects.delete("p1")
    await projects.create("p1", "second")  # the same id, a new project
    # the clock steps back a day: the new project's entries must still show
    monkeypatch.setattr("hanami_rt.storage.logs.utc_now", lambda: "2000-01-01T00:00:00.000000Z")
    await audit.append("bob", "p1", "POST", "/v1/datasets", 201)
    await audit.append("bob", "p2", "POST", "/v1/datasets", 201)
    mine = await audit.page(project_id="p1")
    assert [(e.user_id, e.path) for e in mine] == [("bob", "/v1/datasets")]
    assert await audit.page(project_id="p2") == []  # no such project: nothing
    assert len(await audit.page()) == 3  # a global admin still sees the whole history
    assert await audit.page(after=mine[0].seq, project_id="p1") == []
    await db.close()


def test_a_project_sees_its_own_audit_entries_whatever_the_clock_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_audit_across_clock_and_incarnations(tmp_path / "db.sqlite3", monkeypatch))


async def _legacy_projects(path: Path) -> list[tuple[str, int]]:
    """A database at migration 3, with a project created after two entries, migrated on."""
    db = await Database.open(path, up_to=3)
    await db.execute(
        "INSERT INTO audit_log (time, user_id, project_id, method, path, status) VALUES "
        "('2026-01-01T00:00:00Z', 'ann', 'p1', 'POST', '/a', 201), "
        "('2026-01-02T00:00:00Z', 'ann', 'p1', 'POST', '/b', 201)"
    )
    await db.execute(
        "INSERT INTO projects (id, name, created) VALUES ('p1', 'P', '2026-01-01T12:00:00Z')"
    )
    await db.migrate()
    rows = await db.fetch_all("SELECT id, audit_from FROM projects")
    await db.close()
    return [(r["id"], r["audit_from"]) for r in rows]


def test_migration_4_starts_existing_projects_at_their_creation_time(tmp_path: Path) -> None:
    assert asyncio.run(_legacy_projects(tmp_path / "db.sqlite3")) == [("p1", 1)]


async def _rows_of_a_gone_project(path: Path) -> list[int]:
    db = await Database.open(path)
    uploads, checkpoints = UploadRepository(db), CheckpointRepository(db)
    datasets = DatasetRepository(db)
    columns = (("x", 2), ("y", 1))
    with pytest.raises(Conflict, match="deleted meanwhile"):
        await uploads.create(UploadRecord("u1", "gone", "ann", 10, "t", "t"))
    with pytest.raises(Conflict, match="deleted meanwhile"):
        await checkpoints.create(CheckpointRecord("k1", "gone", "ann", "n", None, 5, "t"))
    with pytest.raises(Conflict, match="deleted meanwhile"):
        await datasets.create(DatasetRecord("d1", "gone", "ann", "n", "csv", 3, columns, 36, "t"))
    await ProjectRepository(db).create("p1", "P")
    upload = UploadRecord("u2", "p1", "ann", 10, "t", "t")
    dataset = DatasetRecord("d2", "p1", "ann", "n", "csv", 3, columns, 36, "t")
    await uploads.create(upload)
    await datasets.create(dataset)
    # rows come back as the records that went in (the dataset's columns decoded from JSON)
    assert (await uploads.get("u2"), await datasets.get("d2")) == (upload, dataset)
    counts = [
        await repo.count_in_project(p)
        for repo in (uploads, checkpoints, datasets)
        for p in ("gone", "p1")
    ]
    await db.close()
    return counts


def test_nothing_is_stored_for_a_project_that_is_gone(tmp_path: Path) -> None:
    assert asyncio.run(_rows_of_a_gone_project(tmp_path / "db.sqlite3")) == [0, 1, 0, 0, 0, 1]
