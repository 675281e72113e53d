"""The queries every project-owned table shares: by id, by project and owner, count, delete.

Clusters, datasets, checkpoints, uploads and tasks are each owned by a user inside a project;
their repositories differ only in what they insert and how a row becomes a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Generic, TypeVar

from hanami_rt.errors import Conflict
from hanami_rt.storage.database import Database, Row

R = TypeVar("R")


class ProjectScopedTable(Generic[R]):
    """Base of a repository whose table has `id`, `project_id`, `owner_id` and `created`."""

    table: ClassVar[str]
    """The table's name (a constant of the subclass, never user input)."""

    def __init__(self, db: Database, record: Callable[[Row], R]) -> None:
        self._db = db
        self._record = record

    async def _insert(self, values: Mapping[str, object]) -> None:
        """Insert one row, only while its project exists (one statement, so atomic with a
        deletion): a row added as the project is deleted would otherwise outlive it, and a
        project re-created under that id would see it. Conflict when the project is gone."""
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        project_id = values["project_id"]
        inserted = await self._db.execute(
            f"INSERT INTO {self.table} ({names}) SELECT {marks} "
            "WHERE EXISTS (SELECT 1 FROM projects WHERE id = ?)",
            [*values.values(), project_id],
        )
        if inserted == 0:
            raise Conflict(f"project {project_id!r} was deleted meanwhile; nothing was stored")

    async def get(self, item_id: str) -> R | None:
        """The row with this id as a record, or None."""
        row = await self._db.fetch_one(f"SELECT * FROM {self.table} WHERE id = ?", (item_id,))
        return self._record(row) if row else None

    async def list(self, project_id: str | None = None, owner_id: str | None = None) -> list[R]:
        """Rows, optionally of one project and/or owner, oldest first."""
        sql = f"SELECT * FROM {self.table} WHERE 1 = 1"
        params: list[object] = []
        if project_id is not None:
            sql, params = sql + " AND project_id = ?", [*params, project_id]
        if owner_id is not None:
            sql, params = sql + " AND owner_id = ?", [*params, owner_id]
        rows = await self._db.fetch_all(sql + " ORDER BY created, id", params)
        return [self._record(r) for r in rows]

    async def count_in_project(self, project_id: str) -> int:
        """How many rows the project holds."""
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) AS n FROM {self.table} WHERE project_id = ?", (project_id,)
        )
        return int(row["n"]) if row else 0

    async def delete(self, item_id: str) -> bool:
        """Delete a row; False when there was none."""
        return await self._db.execute(f"DELETE FROM {self.table} WHERE id = ?", (item_id,)) > 0

    async def delete_in_project(self, project_id: str) -> tuple[str, ...]:
        """Delete every row of the project in one statement; returns the ids it deleted, so
        the caller removes exactly their files (a row added meanwhile is not lost track of)."""
        rows = await self._db.fetch_all(
            f"DELETE FROM {self.table} WHERE project_id = ? RETURNING id", (project_id,)
        )
        return tuple(str(r["id"]) for r in rows)
