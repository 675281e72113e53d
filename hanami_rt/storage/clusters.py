"""Repository of the `clusters` table (the description; the network's bytes are blobs)."""

from __future__ import annotations

from hanami_rt.storage.database import Database, clash_is_conflict, utc_now
from hanami_rt.storage.records import ClusterRecord
from hanami_rt.storage.scoped import ProjectScopedTable


class ClusterRepository(ProjectScopedTable[ClusterRecord]):
    """Create, find, list and delete cluster descriptions."""

    table = "clusters"

    def __init__(self, db: Database) -> None:
        super().__init__(db, lambda row: ClusterRecord(**row))

    async def create(
        self, cluster_id: str, project_id: str, owner_id: str, name: str, template: str, seed: int
    ) -> ClusterRecord:
        """Insert a cluster; Conflict when its name is taken in the project or the project
        is gone."""
        record = ClusterRecord(
            cluster_id, project_id, owner_id, name, template, seed, utc_now(), None
        )
        with clash_is_conflict(
            f"project {project_id!r} already has a cluster named {name!r}; "
            "pick another name or delete that cluster"
        ):
            await self._insert(record.__dict__)
        return record

    async def mark_saved(self, cluster_id: str) -> None:
        """Record that the cluster's network was just persisted."""
        await self._db.execute(
            "UPDATE clusters SET saved = ? WHERE id = ?", (utc_now(), cluster_id)
        )
