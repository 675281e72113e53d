"""Two ASGI middlewares: the error boundary (errors -> the one JSON shape) and the audit trail.

Order (outermost first): AuditTrail, ErrorBoundary, starlette's router. So the audit trail sees
the final status of every request, including 500s, and records it before the reply goes out.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanami_rt.api.endpoint import AUDIT_KEY
from hanami_rt.core import TemplateError
from hanami_rt.errors import INTERNAL, RateLimited, describe, error_body, kind_of

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime

log = logging.getLogger(__name__)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _runtime(scope: Scope) -> Runtime | None:
    state = getattr(scope.get("app"), "state", None)
    return cast("Runtime | None", getattr(state, "runtime", None))


def error_response(exc: BaseException) -> Response:
    """The JSON reply for an expected exception (one listed in the error table)."""
    kind, message = describe(exc)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, TemplateError):
        extra = {"line": exc.line, "reason": exc.reason}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        error_body(kind.code, message, **extra), status_code=kind.status, headers=headers
    )


class ErrorBoundary:
    """Turns raised errors into `{"error": {...}}` replies; unexpected ones become a 500 with
    an error id, and their traceback goes to the error log (never to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:
            return  # nobody is left to answer
        except Exception as exc:
            if started:
                raise
            if kind_of(exc) is not None:
                response = error_response(exc)
            else:
                response = await self._internal(scope, exc)
            await response(scope, receive, send)

    async def _internal(self, scope: Scope, exc: Exception) -> Response:
        error_id = uuid.uuid4().hex
        log.error("error %s on %s %s", error_id, scope["method"], scope["path"], exc_info=exc)
        runtime = _runtime(scope)
        slot = scope.get(AUDIT_KEY) or {}
        if runtime is not None:
            try:
                await runtime.error_log.append(
                    error_id,
                    slot.get("user_id"),
                    scope["method"],
                    scope["path"],
                    type(exc).__qualname__,
                    str(exc),
                    "".join(traceback.format_exception(exc)),
                )
            except Exception:
                log.exception("could not write error %s to the error log", error_id)
        message = (
            f"an unexpected error occurred; nothing about it is your fault. "
            f"Report error id {error_id} to the operator"
        )
        return JSONResponse(
            error_body(INTERNAL.code, message, error_id=error_id), status_code=INTERNAL.status
        )


class AuditTrail:
    """Records every mutating request (time, user, project, method, path, status) before its
    response starts, so a client that got an answer can already find it in the audit log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        slot: dict[str, str | None] = {"user_id": None, "project_id": None}
        scope[AUDIT_KEY] = slot

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                runtime = _runtime(scope)
                if runtime is not None:
                    try:
                        await runtime.audit_log.append(
                            slot["user_id"],
                            slot["project_id"],
                            scope["method"],
                            scope["path"],
                            int(message["status"]),
                        )
                    except Exception:
                        log.exception("could not write the audit log")
            await send(message)

        await self.app(scope, receive, record)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no route) and 405 (wrong method) in our error shape."""
    status = int(getattr(exc, "status_code", 500))
    if status == 405:
        allowed = getattr(exc, "headers", None) or {}
        return JSONResponse(
            error_body(
                "method_not_allowed",
                f"{request.method} is not allowed on {request.url.path}; "
                f"allowed: {allowed.get('Allow', 'see /openapi.json')}",
            ),
            status_code=405,
            headers=dict(allowed),
        )
    if status == 404:
        return JSONResponse(
            error_body(
                "not_found", f"no endpoint at {request.url.path}; see /openapi.json for the API"
            ),
            status_code=404,
        )
    return JSONResponse(error_body("invalid_message", str(exc)), status_code=status)
