"""What the benchmarks that start servers share: a free local port, waiting for /readyz, the
admin password they start the server with and a token for a fresh project.

tests/e2e/support.py re-exports `free_port` and `wait_ready` for the end-to-end tests."""

from __future__ import annotations

import socket
import time

import httpx

PASSWORD = "bench-password"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, deadline_s: float = 120.0) -> None:
    """Poll `url`/readyz until it answers 200; TimeoutError after `deadline_s` (a bound on
    startup, warm-up included, not a performance assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} never became ready")


def project_token(http: httpx.Client, project: str = "bench") -> str:
    """Log in as the admin (password PASSWORD), make `project`, return a token acting in it."""
    login = {"user_id": "admin", "password": PASSWORD}
    admin = {"Authorization": f"Bearer {http.post('/v1/token', json=login).json()['token']}"}
    http.post("/v1/projects", json={"id": project, "name": project}, headers=admin)
    return str(http.post("/v1/token", json={**login, "project_id": project}).json()["token"])
