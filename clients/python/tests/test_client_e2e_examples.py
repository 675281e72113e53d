"""The two examples run to the end against a real server (small sizes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import ADMIN, MNIST, PASSWORD, LiveServer

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(server: LiveServer, script: str, *args: str) -> str:
    env = {**os.environ, "HANAMI_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--url", server.url, "--user", ADMIN, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stream_sensor_prints_the_rolling_error(server: LiveServer) -> None:
    out = _run(
        server, "stream_sensor.py", "--project", "ex-sensor", "--samples", "600", "--every", "200"
    )
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "sample    200",
        "sample    400",
        "sample    600",
    ]
    errors = [float(line.rsplit(":", 1)[1]) for line in lines]
    assert errors[-1] < errors[0], errors  # the README's "as it falls"


def test_mnist_uploads_trains_checks_and_learns_live(server: LiveServer) -> None:
    out = _run(server, "mnist.py", "--project", "ex-mnist", "--data", str(MNIST))
    assert "uploaded 6000 training and 1000 test images" in out
    assert "accuracy on the test images:" in out
    assert out.rstrip().endswith("after 100 live learns as a 3: 3")
