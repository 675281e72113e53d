"""Liveness and readiness probes."""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.errors import Unavailable


@dataclass(frozen=True)
class Health:
    """Probe answer."""

    status: str


async def healthz(call: Call) -> Health:
    """200 while the process lives."""
    return Health("ok")


async def readyz(call: Call) -> Health:
    """200 once the database is migrated, clusters are restored and kernels are warm."""
    runtime = call.runtime
    if runtime.startup_error is not None:
        raise Unavailable(f"startup failed ({runtime.startup_error}); see the server log")
    if not runtime.ready.is_set():
        raise Unavailable("still starting: restoring clusters and warming up; retry shortly")
    return Health("ready")


ENDPOINTS = [
    Endpoint("GET", "/healthz", healthz, "Liveness: the process is up", "health", response=Health),
    Endpoint(
        "GET",
        "/readyz",
        readyz,
        "Readiness: ready to serve",
        "health",
        response=Health,
        errors=(503,),
    ),
]
