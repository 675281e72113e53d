"""`GET /v1/system` facts read from the fixture trees."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from hanami_rt.telemetry.system import read_system_info

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_topology_memory_and_versions_from_fixtures() -> None:
    info = read_system_info(FIXTURES / "sysfs", FIXTURES / "procfs")
    assert info.cpu.model == "Intel(R) Xeon(R) Example CPU @ 2.00GHz"
    assert info.cpu.logical_cpus == 4
    assert info.cpu.packages == 2
    assert info.cpu.physical_cores == 3  # cpu0 and cpu1 are two threads of one core
    assert info.memory.total_bytes == 16384000 * 1024
    assert info.memory.available_bytes == 8192000 * 1024
    assert info.versions["python"] == platform.python_version()
    assert set(info.versions) == {"hanami_rt", "python", "numpy", "numba"}
    assert info.numba_threads >= 1


def test_empty_trees_give_unknowns_not_zeros() -> None:
    info = read_system_info(FIXTURES / "sysfs-empty", FIXTURES / "procfs-empty")
    assert info.cpu.packages is None and info.cpu.physical_cores is None
    assert info.cpu.model is None
    assert info.cpu.logical_cpus >= 1
    assert info.memory.total_bytes is None


def test_as_dict_is_json_ready() -> None:
    body = read_system_info(FIXTURES / "sysfs", FIXTURES / "procfs").as_dict()
    assert json.loads(json.dumps(body))["cpu"]["packages"] == 2
    assert "numba_threading_layer" in body
