"""HTTP telemetry: the outermost middleware counts every request and times it to its last byte.

Labels: `transport="http"`, `route_or_op` = the route template the request matched (set by the
endpoint wrapper in `scope["hanami.route"]`, else the template of starlette's matched route,
else "unmatched"), `status` = the status sent. Children are cached per (template, status), so
a request costs one dict lookup, a counter increment and a histogram observation.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanami_rt.api.endpoint import ROUTE_KEY
from hanami_rt.telemetry.instruments import Instruments

TRANSPORT = "http"
UNMATCHED = "unmatched"
"""The `route_or_op` of requests that matched no route (404s for any path)."""


def route_template(scope: Scope) -> str:
    """The template a request matched, never its raw path."""
    template = scope.get(ROUTE_KEY)
    if isinstance(template, str):
        return template
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMeter:
    """ASGI middleware recording `hanami_requests_total` and `hanami_request_duration_seconds`
    for HTTP requests; websocket and lifespan scopes pass straight through."""

    def __init__(self, app: ASGIApp, instruments: Instruments) -> None:
        self.app = app
        self._instruments = instruments
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before answering

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._record(route_template(scope), status, time.perf_counter() - started)

    def _record(self, template: str, status: int, seconds: float) -> None:
        key = (template, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._instruments.requests.labels(TRANSPORT, template, str(status)),
                self._instruments.request_duration.labels(TRANSPORT, template),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
