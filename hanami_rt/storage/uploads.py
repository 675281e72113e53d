"""Repository of the `uploads` table: resumable uploads whose bytes sit in the blob store."""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.storage.database import Database
from hanami_rt.storage.scoped import ProjectScopedTable


@dataclass(frozen=True)
class UploadRecord:
    """An upload in progress: how many bytes it will have, and when it is forgotten."""

    id: str
    project_id: str
    owner_id: str
    size: int
    created: str
    expires: str


class UploadRepository(ProjectScopedTable[UploadRecord]):
    """Create, find, touch and delete uploads; list the expired ones."""

    table = "uploads"

    def __init__(self, db: Database) -> None:
        super().__init__(db, lambda row: UploadRecord(**row))

    async def create(self, record: UploadRecord) -> None:
        """Insert an upload; Conflict when its project is gone."""
        await self._insert(record.__dict__)

    async def touch(self, upload_id: str, expires: str) -> None:
        """Push the expiry back after a write."""
        await self._db.execute("UPDATE uploads SET expires = ? WHERE id = ?", (expires, upload_id))

    async def expired(self, now: str) -> list[UploadRecord]:
        """Uploads whose expiry has passed."""
        rows = await self._db.fetch_all("SELECT * FROM uploads WHERE expires <= ?", (now,))
        return [self._record(r) for r in rows]
