"""Repository of the `tasks` table: dataset tasks, their state and progress."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hanami_rt.storage.database import Database, Row
from hanami_rt.storage.scoped import ProjectScopedTable


@dataclass(frozen=True)
class TaskRecord:
    """A train or request task; `layout` is the cluster's bricks when the task was made."""

    id: str
    project_id: str
    owner_id: str
    cluster_id: str
    dataset_id: str
    type: str
    epochs: int
    state: str
    samples_done: int
    samples_total: int
    layout: dict[str, Any]
    reason: str | None
    created: str
    started: str | None
    ended: str | None


def _task(row: Row) -> TaskRecord:
    return TaskRecord(**{**row, "layout": json.loads(row["layout"])})


class TaskRepository(ProjectScopedTable[TaskRecord]):
    """Create, update, find and list tasks; fail the ones a stopped server left behind."""

    table = "tasks"

    def __init__(self, db: Database) -> None:
        super().__init__(db, _task)

    async def create(self, record: TaskRecord) -> None:
        """Insert a task; Conflict when its project is gone."""
        await self._insert({**record.__dict__, "layout": json.dumps(record.layout)})

    async def update(self, task_id: str, **changes: Any) -> None:
        """Set some columns of one task (state, samples_done, reason, started, ended)."""
        sets = ", ".join(f"{name} = ?" for name in changes)
        await self._db.execute(
            f"UPDATE tasks SET {sets} WHERE id = ?", [*changes.values(), task_id]
        )

    async def list_for_cluster(self, cluster_id: str) -> list[TaskRecord]:
        """A cluster's tasks, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM tasks WHERE cluster_id = ? ORDER BY created, id", (cluster_id,)
        )
        return [self._record(r) for r in rows]

    async def fail_active(self, reason: str, ended: str) -> int:
        """Mark every queued or running task failed (after a restart); returns how many."""
        return await self._db.execute(
            "UPDATE tasks SET state = 'failed', reason = ? || ' (it was ' || state || ')', "
            "ended = ? WHERE state IN ('queued', 'running')",
            (reason, ended),
        )
