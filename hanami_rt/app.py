"""`create_app(settings)`: every route, the middleware and the lifespan, on one screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from hanami_rt.api import audit_log, clusters, docs, error_log, health, projects, token, users, ws
from hanami_rt.api.endpoint import Endpoint, route_for
from hanami_rt.api.middleware import AuditTrail, ErrorBoundary, http_exception
from hanami_rt.api.runtime import Runtime
from hanami_rt.settings import Settings

ENDPOINTS: list[Endpoint] = [
    *health.ENDPOINTS,
    *token.ENDPOINTS,
    *users.ENDPOINTS,
    *projects.ENDPOINTS,
    *clusters.ENDPOINTS,
    *audit_log.ENDPOINTS,
    *error_log.ENDPOINTS,
    *docs.ENDPOINTS,
]


def create_app(settings: Settings) -> Starlette:
    """A fresh application; its lifespan starts the Runtime and stops it (persisting)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = Starlette(
        routes=[*(route_for(endpoint) for endpoint in ENDPOINTS), ws.ROUTE],
        middleware=[Middleware(AuditTrail), Middleware(ErrorBoundary)],
        exception_handlers={HTTPException: http_exception},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.endpoints = ENDPOINTS
    return app
