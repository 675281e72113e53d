"""The open websocket sessions, by user and project, so that revoking access closes them.

A token is checked when a connection opens (and on a refresh frame), not on every frame. When
an admin removes a membership, deletes a user or deletes a project, the sessions that token
check let in must not live on until their token expires: the endpoint that revokes the access
calls `revoke`, and each matching session closes with 4401 at once.
"""

from __future__ import annotations

from typing import Protocol


class Revocable(Protocol):
    """A session that can be told its access is gone."""

    def revoke(self, message: str) -> None:
        """Send an `unauthorized` error with `message` and close with 4401."""


class OpenSockets:
    """Sessions with their (user id, project id); used on the event loop only."""

    def __init__(self) -> None:
        self._sessions: dict[Revocable, tuple[str, str | None]] = {}

    def add(self, session: Revocable, user_id: str, project_id: str | None) -> None:
        """Record an authenticated session (again after a refresh: same user and project)."""
        self._sessions[session] = (user_id, project_id)

    def discard(self, session: Revocable) -> None:
        """Forget a session that ended."""
        self._sessions.pop(session, None)

    def revoke(
        self, message: str, *, user_id: str | None = None, project_id: str | None = None
    ) -> int:
        """Close every session of `user_id` (any project), of `project_id` (any user), or of
        both together; returns how many were told."""
        if user_id is None and project_id is None:
            raise ValueError("revoke needs a user id, a project id or both")
        hits = [
            session
            for session, (user, project) in self._sessions.items()
            if (user_id is None or user == user_id)
            and (project_id is None or project == project_id)
        ]
        for session in hits:
            self._sessions.pop(session, None)
            session.revoke(message)
        return len(hits)

    def __len__(self) -> int:
        return len(self._sessions)
