"""E2E ring helpers: a real uvicorn on a free 127.0.0.1 port, in a thread, on a real SQLite file."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx

from hanami_rt.api.runtime import Runtime
from hanami_rt.server import make_server
from hanami_rt.settings import Settings


class LiveServer:
    """Starts `hanami_rt.server.make_server(settings)` on a pre-bound socket; stop() is graceful."""

    def __init__(self, settings: Settings) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server(settings)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        wait_ready(self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=120)
        self._sock.close()
        assert not self._thread.is_alive(), "the server did not shut down"

    @property
    def runtime(self) -> Runtime:
        runtime = self._server.config.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers started as processes)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, deadline_s: float = 120.0) -> None:
    """Poll /readyz until it answers 200 (startup, not a performance assertion)."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > end:
            raise TimeoutError(f"{url} never became ready")
        time.sleep(0.05)


def bearer(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}
