"""Repository of the `clusters` table (the description; the network's bytes are blobs)."""

from __future__ import annotations

import sqlite3

from hanami_rt.errors import Conflict
from hanami_rt.storage.database import Database, Row, utc_now
from hanami_rt.storage.records import ClusterRecord


def _cluster(row: Row) -> ClusterRecord:
    return ClusterRecord(
        id=row["id"],
        project_id=row["project_id"],
        owner_id=row["owner_id"],
        name=row["name"],
        template=row["template"],
        seed=int(row["seed"]),
        created=row["created"],
        saved=row["saved"],
    )


class ClusterRepository:
    """Create, find, list and delete cluster descriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, cluster_id: str, project_id: str, owner_id: str, name: str, template: str, seed: int
    ) -> ClusterRecord:
        """Insert a cluster; Conflict when its name is taken in the project."""
        created = utc_now()
        try:
            await self._db.execute(
                "INSERT INTO clusters (id, project_id, owner_id, name, template, seed, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cluster_id, project_id, owner_id, name, template, seed, created),
            )
        except sqlite3.IntegrityError:
            raise Conflict(
                f"project {project_id!r} already has a cluster named {name!r}; "
                "pick another name or delete that cluster"
            ) from None
        return ClusterRecord(cluster_id, project_id, owner_id, name, template, seed, created, None)

    async def get(self, cluster_id: str) -> ClusterRecord | None:
        """The cluster with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM clusters WHERE id = ?", (cluster_id,))
        return _cluster(row) if row else None

    async def list(
        self, project_id: str | None = None, owner_id: str | None = None
    ) -> list[ClusterRecord]:
        """Clusters, optionally of one project and/or owner, oldest first."""
        sql = "SELECT * FROM clusters WHERE 1 = 1"
        params: list[object] = []
        if project_id is not None:
            sql, params = sql + " AND project_id = ?", [*params, project_id]
        if owner_id is not None:
            sql, params = sql + " AND owner_id = ?", [*params, owner_id]
        rows = await self._db.fetch_all(sql + " ORDER BY created, id", params)
        return [_cluster(r) for r in rows]

    async def count_in_project(self, project_id: str) -> int:
        """How many clusters the project holds."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM clusters WHERE project_id = ?", (project_id,)
        )
        return int(row["n"]) if row else 0

    async def mark_saved(self, cluster_id: str) -> None:
        """Record that the cluster's network was just persisted."""
        await self._db.execute(
            "UPDATE clusters SET saved = ? WHERE id = ?", (utc_now(), cluster_id)
        )

    async def delete(self, cluster_id: str) -> bool:
        """Delete a cluster description; False when there was none."""
        return await self._db.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,)) > 0
