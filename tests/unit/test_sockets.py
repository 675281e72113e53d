"""OpenSockets: revoking by user, by project or both tells exactly the matching sessions."""

from __future__ import annotations

import pytest

from hanami_rt.api.sockets import OpenSockets


class Session:
    def __init__(self) -> None:
        self.told: list[str] = []

    def revoke(self, message: str) -> None:
        self.told.append(message)


def test_revoke_matches_user_project_or_both() -> None:
    sockets = OpenSockets()
    ann_a, ann_b, bob_a, ann_none = Session(), Session(), Session(), Session()
    sockets.add(ann_a, "ann", "A")
    sockets.add(ann_b, "ann", "B")
    sockets.add(bob_a, "bob", "A")
    sockets.add(ann_none, "ann", None)
    assert sockets.revoke("gone from A", user_id="ann", project_id="A") == 1
    assert ann_a.told == ["gone from A"] and not ann_b.told and not bob_a.told
    assert sockets.revoke("A deleted", project_id="A") == 1  # ann_a was already closed
    assert bob_a.told == ["A deleted"]
    assert sockets.revoke("ann deleted", user_id="ann") == 2
    assert ann_b.told == ["ann deleted"] and ann_none.told == ["ann deleted"]
    assert len(sockets) == 0 and ann_a.told == ["gone from A"]


def test_revoke_without_a_user_or_project_is_refused() -> None:
    sockets = OpenSockets()
    session = Session()
    sockets.add(session, "ann", "A")
    with pytest.raises(ValueError):
        sockets.revoke("everyone")
    assert not session.told and len(sockets) == 1
