"""Repositories of the `audit_log` and `error_log` tables (append-only, paged by `seq`)."""

from __future__ import annotations

from hanami_rt.storage.database import Database, utc_now
from hanami_rt.storage.records import AuditEntry, ErrorEntry

ALL_PAGE = "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"
PROJECT_PAGE = (
    "SELECT * FROM audit_log WHERE project_id = ?2 "
    "AND seq > MAX(?1, (SELECT audit_from FROM projects WHERE id = ?2)) ORDER BY seq LIMIT ?3"
)
"""A project admin's page (see `AuditLogRepository.page`); index audit_log_by_project serves it."""


class AuditLogRepository:
    """Append and page through the record of mutating requests."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self, user_id: str | None, project_id: str | None, method: str, path: str, status: int
    ) -> None:
        """Record one request."""
        await self._db.insert(
            "INSERT INTO audit_log (time, user_id, project_id, method, path, status) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (utc_now(), user_id, project_id, method, path, status),
        )

    async def page(
        self, after: int = 0, limit: int = 100, project_id: str | None = None
    ) -> list[AuditEntry]:
        """Up to `limit` entries with seq > `after`, oldest first; with `project_id`, only the
        entries of the project that has that id now: those appended after its row was created
        (by sequence number, whatever the clock does), so a project re-created under an old id
        never shows the deleted one's entries (none at all when no such project exists).
        Without it, every entry: the whole history, deleted projects included."""
        if project_id is None:
            rows = await self._db.fetch_all(ALL_PAGE, (after, limit))
        else:
            rows = await self._db.fetch_all(PROJECT_PAGE, (after, project_id, limit))
        return [AuditEntry(**r) for r in rows]


class ErrorLogRepository:
    """Append and page through unexpected exceptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self,
        error_id: str,
        user_id: str | None,
        method: str,
        path: str,
        error_type: str,
        message: str,
        traceback: str,
    ) -> None:
        """Record one unexpected exception under its error id."""
        await self._db.insert(
            "INSERT INTO error_log (id, time, user_id, method, path, error_type, message, "
            "traceback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (error_id, utc_now(), user_id, method, path, error_type, message, traceback),
        )

    async def page(self, after: int = 0, limit: int = 100) -> list[ErrorEntry]:
        """Up to `limit` entries with seq > `after`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM error_log WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
        )
        return [ErrorEntry(**r) for r in rows]
