"""First start: make sure an admin exists, and say how to log in when we made one up."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from hanami_rt.auth import ScryptCost, generate_password, hash_password, write_private
from hanami_rt.storage import UserRepository

INITIAL_ADMIN_FILE = "initial-admin.txt"


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def ensure_admin(
    users: UserRepository,
    user_id: str,
    password: str | None,
    data_dir: Path,
    cost: ScryptCost,
    announce: Callable[[str], None] = _stderr,
) -> bool:
    """Create the first admin when none exists; returns True when one was created.

    Without a configured password a strong one is generated, printed once through `announce`
    and written to `<data_dir>/initial-admin.txt` (mode 0600).
    """
    if await users.count_admins() > 0:
        return False
    generated = password is None
    secret = generate_password() if password is None else password
    password_hash = await asyncio.to_thread(hash_password, secret, cost)
    await users.create(user_id, user_id, password_hash, is_admin=True)
    if generated:
        path = data_dir / INITIAL_ADMIN_FILE
        path.unlink(missing_ok=True)
        write_private(path, f"user: {user_id}\npassword: {secret}\n")
        announce(
            f"hanami-rt: created admin {user_id!r} with password {secret} "
            f"(also in {path}, mode 0600); change it and delete that file"
        )
    return True
