"""Where the command line keeps the server URL and token: a 0600 file in the config dir."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:11418"


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/hanami (default ~/.config/hanami)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hanami"


def credentials_file() -> Path:
    """The file holding the URL and token of the last login."""
    return config_dir() / "credentials.json"


@dataclass(frozen=True)
class Saved:
    """The last login: the server and the token."""

    url: str
    token: str | None


def load() -> Saved:
    """The saved login (HANAMI_URL overrides its URL); URL default and no token when none."""
    url, token = DEFAULT_URL, None
    try:
        data = json.loads(credentials_file().read_text())
        url = str(data.get("url") or url)
        token = data.get("token") if isinstance(data.get("token"), str) else None
    except (OSError, ValueError):
        pass
    return Saved(os.environ.get("HANAMI_URL") or url, token)


def save(saved: Saved) -> Path:
    """Write the login, readable by the user only (0600 from creation on)."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": saved.url, "token": saved.token}, out)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
