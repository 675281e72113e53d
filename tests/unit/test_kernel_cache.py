"""numba's cache of the kernels: stamped with every kernel file, so an edit to a callee's file
recompiles its callers (numba alone stamps a function with its own file only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest

from hanami_rt.core.kernels import flags
from hanami_rt.core.kernels.cycle import learn_rows
from hanami_rt.core.kernels.flags import KERNELS, fingerprint
from hanami_rt.core.kernels.forward import forward
from hanami_rt.core.kernels.native import publish
from hanami_rt.core.kernels.table import checked_forward_at

ROOT = Path(__file__).parents[2]


def test_the_fingerprint_covers_every_kernel_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    (tmp_path / "b.py").write_text("y = 3\n")
    second = fingerprint(tmp_path)
    assert second != first
    (tmp_path / "c.py").write_text("")
    assert fingerprint(tmp_path) not in (first, second)


def test_every_cached_kernel_is_stamped_with_all_kernel_files() -> None:
    stamp = fingerprint(KERNELS)
    for kernel in (forward, learn_rows, checked_forward_at, publish):
        locator = kernel._cache._impl._locator
        assert type(locator).__module__ == flags.__name__, kernel
        assert locator.get_source_stamp() == stamp


def test_functions_outside_the_kernels_keep_numbas_own_stamp() -> None:
    def twice(x: int) -> int:
        return 2 * x

    dispatcher = numba.njit(cache=True)(twice)
    locator = dispatcher._cache._impl._locator
    assert type(locator).__module__ == "numba.core.caching"


_PROBE = """
import numpy as np
from hanami_rt.core.kernels.cycle import infer_rows
from hanami_rt.core.network import Network
net = Network.from_template(open("template.yaml").read(), seed=1)
out = np.zeros((1, 2), np.float32)
infer_rows(net.state, np.full((1, 3), 100.0, np.float32), out)  # forward.py, inside cycle.py
print(repr(out.tolist()))
"""

_TEMPLATE = """version: 1
bricks:
    1,1,1
        input: x
        number_of_neurons: 3
    2,1,1
        number_of_neurons: 4
    3,1,1
        output: y
        number_of_neurons: 2
"""


def test_editing_a_callee_recompiles_its_cached_callers(tmp_path: Path) -> None:
    """A copy of the package learns and infers (the cache fills), then its forward.py (which
    cycle.py's cached kernels compile into themselves) changes: the next run must see it."""
    shutil.copytree(
        ROOT / "hanami_rt",
        tmp_path / "hanami_rt",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / "template.yaml").write_text(_TEMPLATE)

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    before = run()
    assert run() == before  # from the cache now, the same
    source = tmp_path / "hanami_rt" / "core" / "kernels" / "forward.py"
    text = source.read_text()
    edited = text.replace(
        "o = np.float32(1.0 / (1.0 + math.exp(-np.float64(v)))) if v != 0 else np.float32(0)",
        "o = np.float32(0.25)",
    )
    assert edited != text
    source.write_text(edited)
    assert run() != before


def test_the_stamp_survives_numbas_config_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba reloads its config when a NUMBA_* variable changed (at the next compile); a kernel
    decorated after that, as `serve()`'s cfunc is on first use, must still get the stamp."""
    monkeypatch.setenv("NUMBA_OPT", "2")
    numba.core.config.reload_config()
    try:
        late = numba.njit(cache=True)(forward.py_func)
        assert type(late._cache._impl._locator).__module__ == flags.__name__
    finally:
        monkeypatch.delenv("NUMBA_OPT")
        numba.core.config.reload_config()
