"""What `GET /v1/system` reports: host, CPU topology, memory, versions, numba threading."""

from __future__ import annotations

import dataclasses
import importlib
import os
import platform
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

import hanami_rt
from hanami_rt.telemetry import hostfiles

__all__ = ["CpuTopology", "Memory", "SystemInfo", "read_system_info"]

_CPU_DIR = re.compile(r"cpu\d+$")


@dataclass(frozen=True)
class CpuTopology:
    """Logical CPUs, the ones this process may use, and sockets/cores where sysfs tells."""

    model: str | None
    logical_cpus: int
    usable_cpus: int
    packages: int | None
    physical_cores: int | None


@dataclass(frozen=True)
class Memory:
    """Total and available memory in bytes from `<procfs>/meminfo`, None if unreadable."""

    total_bytes: int | None
    available_bytes: int | None


@dataclass(frozen=True)
class SystemInfo:
    """Everything `GET /v1/system` returns; `as_dict` is its JSON body."""

    hostname: str
    kernel: str
    cpu: CpuTopology
    memory: Memory
    versions: dict[str, str]
    numba_threading_layer: str | None
    numba_threading_layer_configured: str
    numba_threads: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of plain values."""
        return dataclasses.asdict(self)


def read_system_info(
    sysfs_root: Path | str = "/sys", procfs_root: Path | str = "/proc"
) -> SystemInfo:
    """Collect host facts now; `numba_threading_layer` stays None until a parallel kernel ran."""
    # Imported here: numba is heavy and the server has loaded it by now. Typed Any because
    # numba's partial type hints do not declare `threading_layer` or `config`'s attributes.
    numba: Any = importlib.import_module("numba")

    try:
        active: str | None = str(numba.threading_layer())
    except ValueError:  # "Threading layer is not initialized" before the first parallel run
        active = None
    return SystemInfo(
        hostname=socket.gethostname(),
        kernel=platform.release(),
        cpu=_topology(Path(sysfs_root), Path(procfs_root)),
        memory=_memory(Path(procfs_root)),
        versions={
            "hanami_rt": hanami_rt.__version__,
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "numba": str(numba.__version__),
        },
        numba_threading_layer=active,
        numba_threading_layer_configured=str(numba.config.THREADING_LAYER),
        numba_threads=int(numba.config.NUMBA_NUM_THREADS),
    )


def _topology(sysfs: Path, procfs: Path) -> CpuTopology:
    packages: set[str] = set()
    cores: set[tuple[str, str]] = set()
    complete = True
    cpu_dirs = [
        d for d in (sysfs / "devices" / "system" / "cpu").glob("cpu*") if _CPU_DIR.match(d.name)
    ]
    for cpu in cpu_dirs:
        try:
            package = hostfiles.read_text(cpu / "topology" / "physical_package_id")
            core = hostfiles.read_text(cpu / "topology" / "core_id")
        except OSError:
            complete = False
            continue
        packages.add(package)
        cores.add((package, core))
    known = complete and bool(cpu_dirs)
    return CpuTopology(
        model=_cpuinfo_model(procfs),
        logical_cpus=len(cpu_dirs) or os.cpu_count() or 1,
        usable_cpus=len(os.sched_getaffinity(0)),
        packages=len(packages) if known else None,
        physical_cores=len(cores) if known else None,
    )


def _cpuinfo_model(procfs: Path) -> str | None:
    try:
        text = hostfiles.read_text(procfs / "cpuinfo")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return None


def _memory(procfs: Path) -> Memory:
    try:
        text = hostfiles.read_text(procfs / "meminfo")
    except OSError:
        return Memory(None, None)
    fields: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[0].isdigit():
            fields[key.strip()] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return Memory(fields.get("MemTotal"), fields.get("MemAvailable"))
