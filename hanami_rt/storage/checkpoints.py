"""Repository of the `checkpoints` table (the description; the network bytes are blobs)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from hanami_rt.errors import Conflict
from hanami_rt.storage.database import Database, Row


@dataclass(frozen=True)
class CheckpointRecord:
    """A saved network: taken from `cluster_id`, or uploaded (None)."""

    id: str
    project_id: str
    owner_id: str
    name: str
    cluster_id: str | None
    bytes: int
    created: str


def _checkpoint(row: Row) -> CheckpointRecord:
    return CheckpointRecord(
        row["id"],
        row["project_id"],
        row["owner_id"],
        row["name"],
        row["cluster_id"],
        int(row["bytes"]),
        row["created"],
    )


class CheckpointRepository:
    """Create, find, list and delete checkpoint descriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, record: CheckpointRecord) -> None:
        """Insert a checkpoint; Conflict when its name is taken in the project."""
        try:
            await self._db.execute(
                "INSERT INTO checkpoints (id, project_id, owner_id, name, cluster_id, bytes, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.project_id,
                    record.owner_id,
                    record.name,
                    record.cluster_id,
                    record.bytes,
                    record.created,
                ),
            )
        except sqlite3.IntegrityError:
            raise Conflict(
                f"project {record.project_id!r} already has a checkpoint named "
                f"{record.name!r}; pick another name or delete that checkpoint"
            ) from None

    async def get(self, checkpoint_id: str) -> CheckpointRecord | None:
        """The checkpoint with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM checkpoints WHERE id = ?", (checkpoint_id,))
        return _checkpoint(row) if row else None

    async def list(
        self, project_id: str | None = None, owner_id: str | None = None
    ) -> list[CheckpointRecord]:
        """Checkpoints, optionally of one project and/or owner, oldest first."""
        sql = "SELECT * FROM checkpoints WHERE 1 = 1"
        params: list[object] = []
        if project_id is not None:
            sql, params = sql + " AND project_id = ?", [*params, project_id]
        if owner_id is not None:
            sql, params = sql + " AND owner_id = ?", [*params, owner_id]
        rows = await self._db.fetch_all(sql + " ORDER BY created, id", params)
        return [_checkpoint(r) for r in rows]

    async def delete(self, checkpoint_id: str) -> bool:
        """Delete a checkpoint description; False when there was none."""
        return await self._db.execute("DELETE FROM checkpoints WHERE id = ?", (checkpoint_id,)) > 0
