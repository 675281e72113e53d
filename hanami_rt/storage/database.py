"""The database handle: one aiosqlite connection, versioned idempotent migrations, a clock.

SQL lives only in this package; swapping SQLite for PostgreSQL means rewriting these modules and
nothing above them. Times are stored as UTC ISO-8601 strings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from hanami_rt.errors import Conflict

# (version, statements). Append only: never edit an applied migration, add a new one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                is_admin INTEGER NOT NULL,
                created TEXT NOT NULL)""",
            """CREATE TABLE projects (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created TEXT NOT NULL)""",
            """CREATE TABLE memberships (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                is_project_admin INTEGER NOT NULL,
                created TEXT NOT NULL,
                PRIMARY KEY (user_id, project_id))""",
            """CREATE TABLE clusters (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects(id),
                owner_id TEXT NOT NULL,
                name TEXT NOT NULL,
                template TEXT NOT NULL,
                seed INTEGER NOT NULL,
                created TEXT NOT NULL,
                saved TEXT,
                UNIQUE (project_id, name))""",
            """CREATE TABLE audit_log (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                time TEXT NOT NULL,
                user_id TEXT,
                project_id TEXT,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                status INTEGER NOT NULL)""",
            """CREATE TABLE error_log (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                time TEXT NOT NULL,
                user_id TEXT,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                error_type TEXT NOT NULL,
                message TEXT NOT NULL,
                traceback TEXT NOT NULL)""",
        ),
    ),
    (
        2,
        (
            """CREATE TABLE uploads (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL,
                owner_id TEXT NOT NULL,
                size INTEGER NOT NULL,
                created TEXT NOT NULL,
                expires TEXT NOT NULL)""",
            """CREATE TABLE datasets (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects(id),
                owner_id TEXT NOT NULL,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                rows INTEGER NOT NULL,
                columns TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                created TEXT NOT NULL,
                UNIQUE (project_id, name))""",
            """CREATE TABLE tasks (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL,
                owner_id TEXT NOT NULL,
                cluster_id TEXT NOT NULL,
                dataset_id TEXT NOT NULL,
                type TEXT NOT NULL,
                epochs INTEGER NOT NULL,
                state TEXT NOT NULL,
                samples_done INTEGER NOT NULL,
                samples_total INTEGER NOT NULL,
                layout TEXT NOT NULL,
                reason TEXT,
                created TEXT NOT NULL,
                started TEXT,
                ended TEXT)""",
            "CREATE INDEX tasks_by_cluster ON tasks (cluster_id, created)",
            """CREATE TABLE checkpoints (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL,
                owner_id TEXT NOT NULL,
                name TEXT NOT NULL,
                cluster_id TEXT,
                bytes INTEGER NOT NULL,
                created TEXT NOT NULL,
                UNIQUE (project_id, name))""",
        ),
    ),
    (
        3,
        (
            # a project admin's page of the audit log (logs.py) reads only its project's rows
            "CREATE INDEX audit_log_by_project ON audit_log (project_id, seq)",
        ),
    ),
    (
        4,
        (
            # where a project's own audit entries start (logs.py): a sequence number, not a
            # time, so a clock stepping back cannot hide new entries; existing projects get it
            # from their creation time, the best there is for them
            "ALTER TABLE projects ADD COLUMN audit_from INTEGER NOT NULL DEFAULT 0",
            """UPDATE projects SET audit_from = COALESCE(
                (SELECT MAX(seq) FROM audit_log WHERE audit_log.time < projects.created), 0)""",
        ),
    ),
)

Row = dict[str, Any]


def utc_now() -> str:
    """The current time as UTC ISO-8601 with microseconds and a `Z`."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Database:
    """An open database: run statements, read rows as dicts, apply migrations."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection

    @classmethod
    async def open(cls, path: Path, up_to: int | None = None) -> Database:
        """Open (creating parent directories) and migrate the database at `path` (`up_to`: stop
        after that migration, for tests of a later one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA journal_mode = WAL")
        db = cls(conn)
        await db.migrate(up_to)
        return db

    async def close(self) -> None:
        """Close the connection; the handle is unusable afterwards."""
        await self._conn.close()

    async def migrate(self, up_to: int | None = None) -> list[int]:
        """Apply the migrations not applied yet (up to `up_to`, default all), each in one
        transaction; returns their versions."""
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied TEXT NOT NULL)"
        )
        done = {
            int(r["version"]) for r in await self.fetch_all("SELECT version FROM schema_migrations")
        }
        applied = []
        for version, statements in MIGRATIONS:
            if version in done or (up_to is not None and version > up_to):
                continue
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    await self._conn.execute(statement)
                await self._conn.execute(
                    "INSERT INTO schema_migrations (version, applied) VALUES (?, ?)",
                    (version, utc_now()),
                )
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
            applied.append(version)
        return applied

    async def schema_version(self) -> int:
        """The highest applied migration."""
        row = await self.fetch_one("SELECT MAX(version) AS v FROM schema_migrations")
        return int(row["v"]) if row and row["v"] is not None else 0

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (autocommitted); returns the number of rows changed."""
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return int(count)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one INSERT; returns the new row's integer key."""
        cursor = await self._conn.execute(sql, params)
        key = cursor.lastrowid
        await cursor.close()
        return int(key or 0)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query, as dicts."""
        cursor = await self._conn.execute(sql, tuple(params))
        rows = await cursor.fetchall()
        await cursor.close()
        return [dict(r) for r in rows]

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        cursor = await self._conn.execute(sql, tuple(params))
        row = await cursor.fetchone()
        await cursor.close()
        return dict(row) if row is not None else None


@contextlib.contextmanager
def clash_is_conflict(clash: str) -> Iterator[None]:
    """An insert inside that breaks a UNIQUE or PRIMARY KEY constraint raises Conflict(clash);
    one whose foreign key points at a row that is gone (deleted since the caller looked it up)
    raises a Conflict saying so, instead of claiming a clash."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if "FOREIGN KEY" in str(exc):
            raise Conflict(
                "what this refers to (a user, project or cluster) was deleted meanwhile; "
                "check that it still exists and try again"
            ) from None
        raise Conflict(clash) from None
