"""API ring fixtures (helpers live in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hanami_rt.settings import Settings
from tests.api.support import create_project, make_settings, running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running(settings) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    """Headers of the admin acting in a fresh project A."""
    return create_project(client, "A")
