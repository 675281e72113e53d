"""API ring fixtures (helpers live in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hanami_rt.settings import Settings
from tests.api.support import make_settings, start


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    c = start(settings)
    try:
        yield c
    finally:
        c.__exit__(None, None, None)
