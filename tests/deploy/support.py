"""Deployment test helpers: where things are, the dev tools next to this interpreter."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy" / "ansible"
ROLE_DIR = ANSIBLE_DIR / "roles" / "hanami_rt"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script installed next to this interpreter (the dev extras put them there)."""
    path = BIN / name
    assert path.exists(), f"{path} is missing: install the dev extras (pip install -e '.[dev]')"
    return str(path)
