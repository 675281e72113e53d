"""E2E ring helpers: a real uvicorn on a free 127.0.0.1 port, in a thread, on a real SQLite file."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx

# For servers started as processes too; one copy, shared with the benchmarks.
from benchmarks.servers import free_port as free_port
from benchmarks.servers import wait_ready
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


def bearer(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}
