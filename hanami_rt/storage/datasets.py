"""Repository of the `datasets` table (the description; the arrays are .npy blobs)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from hanami_rt.errors import Conflict
from hanami_rt.storage.database import Database, Row


@dataclass(frozen=True)
class DatasetRecord:
    """A stored dataset: `columns` are (name, width) groups, one .npy file each, in order."""

    id: str
    project_id: str
    owner_id: str
    name: str
    type: str
    rows: int
    columns: tuple[tuple[str, int], ...]
    bytes: int
    created: str


def _dataset(row: Row) -> DatasetRecord:
    columns = tuple((str(name), int(width)) for name, width in json.loads(row["columns"]))
    return DatasetRecord(
        row["id"],
        row["project_id"],
        row["owner_id"],
        row["name"],
        row["type"],
        int(row["rows"]),
        columns,
        int(row["bytes"]),
        row["created"],
    )


class DatasetRepository:
    """Create, find, list, count and delete dataset descriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, record: DatasetRecord) -> None:
        """Insert a dataset; Conflict when its name is taken in the project."""
        try:
            await self._db.execute(
                "INSERT INTO datasets (id, project_id, owner_id, name, type, rows, columns, "
                "bytes, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.project_id,
                    record.owner_id,
                    record.name,
                    record.type,
                    record.rows,
                    json.dumps(record.columns),
                    record.bytes,
                    record.created,
                ),
            )
        except sqlite3.IntegrityError:
            raise Conflict(
                f"project {record.project_id!r} already has a dataset named {record.name!r}; "
                "pick another name or delete that dataset"
            ) from None

    async def get(self, dataset_id: str) -> DatasetRecord | None:
        """The dataset with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
        return _dataset(row) if row else None

    async def list(
        self, project_id: str | None = None, owner_id: str | None = None
    ) -> list[DatasetRecord]:
        """Datasets, optionally of one project and/or owner, oldest first."""
        sql = "SELECT * FROM datasets WHERE 1 = 1"
        params: list[object] = []
        if project_id is not None:
            sql, params = sql + " AND project_id = ?", [*params, project_id]
        if owner_id is not None:
            sql, params = sql + " AND owner_id = ?", [*params, owner_id]
        rows = await self._db.fetch_all(sql + " ORDER BY created, id", params)
        return [_dataset(r) for r in rows]

    async def count_in_project(self, project_id: str) -> int:
        """How many datasets the project holds."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM datasets WHERE project_id = ?", (project_id,)
        )
        return int(row["n"]) if row else 0

    async def delete(self, dataset_id: str) -> bool:
        """Delete a dataset description; False when there was none."""
        return await self._db.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,)) > 0
