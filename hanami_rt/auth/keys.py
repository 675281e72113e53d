"""The JWT signing key: read from its file, or generated once into it with mode 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Create `path` readable only by its owner (0600) and write `text`; fails if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)


def load_or_create_key(path: Path) -> bytes:
    """The key in `path` (stripped); generates 64 random bytes (hex) into it when absent."""
    if not path.exists():
        try:
            write_private(path, secrets.token_hex(64) + "\n")
        except FileExistsError:
            pass  # another process made it first; read theirs
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ValueError(
            f"JWT key file {path} holds {len(key)} bytes; use at least 32 random bytes"
        )
    return key
