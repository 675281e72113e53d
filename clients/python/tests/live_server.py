"""A real hanami-rt for the client's e2e tests: `hanami_rt.server.make_server` on a pre-bound
127.0.0.1 socket, in a thread, with a temporary data dir and the admin from HANAMI_ADMIN_*."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from hanami_rt.bench import TEMPLATE as MNIST_TEMPLATE

MNIST = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "mnist"
ADMIN = "admin"
PASSWORD = "admin-password"
TEMPLATE = MNIST_TEMPLATE.format(cooldown=1e11, hidden=400, reduction="false")
"""784 pixels -> 400 -> 10 digits, the benchmark's network (hanami_rt.bench)."""
SMALL_TEMPLATE = """version: 1
bricks:
    1,1,1
        input: a
        number_of_neurons: 3
    1,2,1
        input: b
        number_of_neurons: 2
    2,2,1
        number_of_neurons: 20
    3,2,1
        output: x
        number_of_neurons: 2
    2,3,1
        output: y
        number_of_neurons: 1
"""


class LiveServer:
    """hanami-rt serving on 127.0.0.1:<free port> until stop()."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
        from hanami_rt.server import make_server
        from hanami_rt.settings import load_settings

        env = {"HANAMI_ADMIN_USER": ADMIN, "HANAMI_ADMIN_PASSWORD": PASSWORD}
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "scrypt_n": 16,
            "scrypt_r": 1,
            "warmup": False,
            "worker_threads": 2,
            "persist_interval_s": 3600,
            "log_level": "warning",
        }
        values.update(overrides)
        self.settings = load_settings(env=env, overrides=values)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server(self.settings)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.url} never became ready")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=120)
        self._sock.close()
