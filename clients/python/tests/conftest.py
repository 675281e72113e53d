"""Fixtures of the client's tests: one real server per session for the e2e ring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import ADMIN, PASSWORD, LiveServer

try:
    from hanami_client import Client
except ImportError as exc:  # say how to fix it, not just "No module named"
    raise ImportError(
        "the client package is not installed in this environment: run "
        "'.venv/bin/pip install -e clients/python' (the Makefile's install step does it)"
    ) from exc


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    pytest.importorskip("hanami_rt", reason="the e2e tests start hanami-rt from this repository")
    live = LiveServer(tmp_path_factory.mktemp("hanami-data")).start()
    yield live
    live.stop()


@pytest.fixture
def admin(server: LiveServer) -> Iterator[Client]:
    with Client(server.url) as client:
        client.login(ADMIN, PASSWORD)
        yield client
