"""Repository of the `checkpoints` table (the description; the network bytes are blobs)."""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.storage.database import Database, clash_is_conflict
from hanami_rt.storage.scoped import ProjectScopedTable


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


class CheckpointRepository(ProjectScopedTable[CheckpointRecord]):
    """Create, find, list and delete checkpoint descriptions."""

    table = "checkpoints"

    def __init__(self, db: Database) -> None:
        super().__init__(db, lambda row: CheckpointRecord(**row))

    async def create(self, record: CheckpointRecord) -> None:
        """Insert a checkpoint; Conflict when its name is taken in the project or the project
        is gone."""
        with clash_is_conflict(
            f"project {record.project_id!r} already has a checkpoint named "
            f"{record.name!r}; pick another name or delete that checkpoint"
        ):
            await self._insert(record.__dict__)
