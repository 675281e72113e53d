"""Repository of the `users` table."""

from __future__ import annotations

from hanami_rt.storage.database import Database, Row, clash_is_conflict, utc_now
from hanami_rt.storage.records import Standing, User


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        password_hash=row["password_hash"],
        is_admin=bool(row["is_admin"]),
        created=row["created"],
    )


class UserRepository:
    """Create, read and delete users."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, user_id: str, name: str, password_hash: str, is_admin: bool) -> User:
        """Insert a user; Conflict when the id is taken."""
        created = utc_now()
        with clash_is_conflict(f"a user with id {user_id!r} already exists; pick another id"):
            await self._db.execute(
                "INSERT INTO users (id, name, password_hash, is_admin, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, name, password_hash, int(is_admin), created),
            )
        return User(user_id, name, password_hash, is_admin, created)

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def standing(self, user_id: str, project_id: str | None) -> Standing | None:
        """The user (None when gone) with the existence of `project_id` and the user's
        membership there, in one query on three primary keys: what every request's token is
        checked against. With no project, `project_exists` is False and there is no
        membership."""
        row = await self._db.fetch_one(
            "SELECT u.*, p.id IS NOT NULL AS project_exists, m.is_project_admin "
            "FROM users AS u "
            "LEFT JOIN projects AS p ON p.id = ? "
            "LEFT JOIN memberships AS m ON m.user_id = u.id AND m.project_id = p.id "
            "WHERE u.id = ?",
            (project_id, user_id),
        )
        if row is None:
            return None
        member = row["is_project_admin"]
        return Standing(
            user=_user(row),
            project_exists=bool(row["project_exists"]),
            is_project_admin=None if member is None else bool(member),
        )

    async def list(self) -> list[User]:
        """Every user, ordered by id."""
        return [_user(r) for r in await self._db.fetch_all("SELECT * FROM users ORDER BY id")]

    async def delete(self, user_id: str) -> bool:
        """Delete a user (memberships go with it); False when there was none."""
        return await self._db.execute("DELETE FROM users WHERE id = ?", (user_id,)) > 0

    async def count_admins(self) -> int:
        """How many admins exist (the first-start bootstrap creates one when none does)."""
        row = await self._db.fetch_one("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1")
        return int(row["n"]) if row else 0
