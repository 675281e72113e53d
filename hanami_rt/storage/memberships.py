"""Repository of the `memberships` table: which user belongs to which project, and how."""

from __future__ import annotations

from hanami_rt.storage.database import Database, Row, clash_is_conflict, utc_now
from hanami_rt.storage.records import Membership


def _membership(row: Row) -> Membership:
    return Membership(
        user_id=row["user_id"],
        project_id=row["project_id"],
        role=row["role"],
        is_project_admin=bool(row["is_project_admin"]),
        created=row["created"],
    )


class MembershipRepository:
    """Add users to projects, look memberships up, remove them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, user_id: str, project_id: str, role: str, is_project_admin: bool
    ) -> Membership:
        """Insert a membership; Conflict when the user already is in the project."""
        created = utc_now()
        with clash_is_conflict(
            f"user {user_id!r} already belongs to project {project_id!r}; "
            "remove the membership first to change it"
        ):
            await self._db.execute(
                "INSERT INTO memberships (user_id, project_id, role, is_project_admin, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, project_id, role, int(is_project_admin), created),
            )
        return Membership(user_id, project_id, role, is_project_admin, created)

    async def get(self, user_id: str, project_id: str) -> Membership | None:
        """The user's membership in the project, or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM memberships WHERE user_id = ? AND project_id = ?",
            (user_id, project_id),
        )
        return _membership(row) if row else None

    async def of_user(self, user_id: str) -> list[Membership]:
        """The user's memberships, ordered by project id."""
        rows = await self._db.fetch_all(
            "SELECT * FROM memberships WHERE user_id = ? ORDER BY project_id", (user_id,)
        )
        return [_membership(r) for r in rows]

    async def remove(self, user_id: str, project_id: str) -> bool:
        """Remove a membership; False when there was none."""
        changed = await self._db.execute(
            "DELETE FROM memberships WHERE user_id = ? AND project_id = ?", (user_id, project_id)
        )
        return changed > 0
