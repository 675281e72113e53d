"""Fixtures of the deployment tests: an environment for ansible, a wheel of this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.support import BIN, REPO


@pytest.fixture(scope="session")
def ansible_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for ansible commands: this venv first on PATH, no colours, no ~/.ansible."""
    home = tmp_path_factory.mktemp("ansible-home")
    config = home / "ansible.cfg"  # so that no ansible.cfg in the cwd or ~ applies
    config.write_text("[defaults]\n")
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_CONFIG=str(config),
        NO_COLOR="1",
    )
    return env


@pytest.fixture(scope="session")
def hanami_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A wheel of this checkout, built once per session from a clean copy of the sources (an
    in-tree build would leave build/ behind, and stale files there end up in later wheels)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "hanami_rt",
        source / "hanami_rt",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"),
    )
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("hanami_rt-*.whl")
    yield wheel
