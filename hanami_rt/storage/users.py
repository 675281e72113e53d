"""Repository of the `users` table."""

from __future__ import annotations

import sqlite3

from hanami_rt.errors import Conflict
from hanami_rt.storage.database import Database, Row, utc_now
from hanami_rt.storage.records import User


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
        try:
            await self._db.execute(
                "INSERT INTO users (id, name, password_hash, is_admin, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, name, password_hash, int(is_admin), created),
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"a user with id {user_id!r} already exists; pick another id") from None
        return User(user_id, name, password_hash, is_admin, created)

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

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
