"""A real hanami-rt for the client's e2e tests: `hanami_rt.server.make_server` on a pre-bound
127.0.0.1 socket, in a thread, with a temporary data dir and the admin from HANAMI_ADMIN_*."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hanami_rt.bench import TEMPLATE as MNIST_TEMPLATE
from hanami_rt.settings import load_settings
from tests.e2e.support import LiveServer as ServerThread
from tests.mnist import FOLDER, subset

MNIST = FOLDER  # the committed subset, for the tests that upload its files
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


def first_training_image(digit: int) -> np.ndarray:
    """The first image of `digit` in the MNIST subset's training set, 784 raw float32 pixels."""
    images, labels = subset("train")
    return images[int(np.argmax(labels == digit))].copy()  # the cached subset is read-only


class LiveServer(ServerThread):
    """hanami-rt serving on 127.0.0.1:<free port> until stop(), with the tests' admin and a
    cheap password hash: the server tests' ServerThread with the client tests' settings."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
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
        super().__init__(self.settings)

    def start(self) -> LiveServer:
        """Serve and wait until /readyz answers."""
        self.__enter__()
        return self
