"""Repository of the `projects` table."""

from __future__ import annotations

from hanami_rt.storage.database import Database, Row, clash_is_conflict, utc_now
from hanami_rt.storage.records import Project


def _project(row: Row) -> Project:
    return Project(id=row["id"], name=row["name"], created=row["created"])


class ProjectRepository:
    """Create, read and delete projects."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, project_id: str, name: str) -> Project:
        """Insert a project; Conflict when the id is taken."""
        created = utc_now()
        with clash_is_conflict(f"a project with id {project_id!r} already exists; pick another id"):
            await self._db.execute(
                "INSERT INTO projects (id, name, created, audit_from) "
                "VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) FROM audit_log))",
                (project_id, name, created),
            )
        return Project(project_id, name, created)

    async def get(self, project_id: str) -> Project | None:
        """The project with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM projects WHERE id = ?", (project_id,))
        return _project(row) if row else None

    async def list(self) -> list[Project]:
        """Every project, ordered by id."""
        rows = await self._db.fetch_all("SELECT * FROM projects ORDER BY id")
        return [_project(r) for r in rows]

    async def delete(self, project_id: str) -> bool:
        """Delete a project (memberships go with it); False when there was none."""
        return await self._db.execute("DELETE FROM projects WHERE id = ?", (project_id,)) > 0
