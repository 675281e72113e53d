"""`create_app(settings)`: every route, the middleware and the lifespan, on one screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from hanami_rt.api import (
    audit_log,
    checkpoints,
    clusters,
    datasets,
    docs,
    error_log,
    health,
    measurements,
    metrics,
    projects,
    results,
    tasks,
    token,
    uploads,
    users,
    ws,
)
from hanami_rt.api.endpoint import Endpoint, route_for
from hanami_rt.api.http_meter import RequestMeter
from hanami_rt.api.middleware import AuditTrail, ErrorBoundary, http_exception
from hanami_rt.api.runtime import Runtime
from hanami_rt.settings import Settings
from hanami_rt.telemetry.hub import Telemetry

ENDPOINTS: list[Endpoint] = [
    *health.ENDPOINTS,
    *token.ENDPOINTS,
    *users.ENDPOINTS,
    *projects.ENDPOINTS,
    *clusters.ENDPOINTS,
    *uploads.ENDPOINTS,
    *datasets.ENDPOINTS,
    *tasks.ENDPOINTS,
    *results.ENDPOINTS,
    *checkpoints.ENDPOINTS,
    *audit_log.ENDPOINTS,
    *error_log.ENDPOINTS,
    *measurements.ENDPOINTS,
    *docs.ENDPOINTS,
]


def create_app(settings: Settings) -> Starlette:
    """A fresh application; its lifespan starts the Runtime and stops it (persisting)."""
    telemetry = Telemetry(settings)  # one registry per app: fresh series for every test

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings, telemetry)
        app.state.runtime = runtime
        await telemetry.start()
        try:
            yield
        finally:
            try:
                await telemetry.stop()
            finally:
                await runtime.stop()

    app = Starlette(
        routes=[*(route_for(endpoint) for endpoint in ENDPOINTS), ws.ROUTE, metrics.ROUTE],
        middleware=[
            Middleware(RequestMeter, instruments=telemetry.instruments),
            Middleware(AuditTrail),
            Middleware(ErrorBoundary),
        ],
        exception_handlers={HTTPException: http_exception},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.endpoints = ENDPOINTS
    app.state.telemetry = telemetry
    app.state.instruments = telemetry.instruments  # the websocket endpoint's telemetry hook
    return app
