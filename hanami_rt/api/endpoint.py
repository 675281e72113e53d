"""Route definitions: one `Endpoint` per (method, path) drives routing, auth, validation and docs.

The wrapper built here does, in order: authenticate (unless the policy says "anyone"), check
the policy for the caller's role, read the body within the size limit, decode JSON, validate
it against the endpoint's body class, then call the handler. Errors are raised, never built
here: the ErrorBoundary middleware renders them through the one table in `hanami_rt.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hanami_rt.api.schema import parse, parse_query
from hanami_rt.auth import Principal
from hanami_rt.errors import Forbidden, InvalidMessage, TooLarge, Unauthorized, ValidationError

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime

T = TypeVar("T")
AUDIT_KEY = "hanami.audit"
ROUTE_KEY = "hanami.route"


@dataclass
class Call:
    """Everything a handler gets: the runtime, the caller, the validated body and query."""

    request: Request
    runtime: Runtime
    principal: Principal | None
    body: Any
    query: Any

    def path(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def body_as(self, cls: type[T]) -> T:
        """The validated body, typed."""
        assert isinstance(self.body, cls)
        return self.body

    def query_as(self, cls: type[T]) -> T:
        """The validated query, typed."""
        assert isinstance(self.query, cls)
        return self.query

    @property
    def caller(self) -> Principal:
        """The authenticated caller (endpoints that are not public always have one)."""
        assert self.principal is not None
        return self.principal

    def audit(self, user_id: str | None, project_id: str | None) -> None:
        """Name who the audit log should record for this request."""
        slot = self.request.scope.get(AUDIT_KEY)
        if isinstance(slot, dict):
            slot["user_id"], slot["project_id"] = user_id, project_id


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: method, path template, handler, and the shapes it accepts and returns."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: type | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    content_type: str = "application/json"
    stream: bool = False
    """True when the handler reads the raw body itself (`call.request.stream()`): uploads."""

    @property
    def operation_id(self) -> str:
        """A stable OpenAPI operationId derived from the handler's name."""
        return self.handler.__name__.lstrip("_")


def jsonable(value: Any) -> Any:
    """Turn dataclasses, numpy scalars/arrays and tuples into plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return jsonable(value.tolist())
    return value


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer` header; Unauthorized when absent or odd."""
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized(
            "this endpoint needs a token: send 'Authorization: Bearer <token>' "
            "with a token from POST /v1/token"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token.strip()


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body has {declared} bytes; the limit is {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over the limit of {limit} bytes; send less")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(raw: bytes) -> Any:
    """Decode a JSON body; InvalidMessage with the position when it is not JSON."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise InvalidMessage("the body is not UTF-8 text; send JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidMessage(
            f"the body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _refuse_constant(name: str) -> Any:
    raise InvalidMessage(f"the body contains {name}, which JSON does not allow; send a number")


def _runtime(request: Request) -> Runtime:
    return cast("Runtime", request.app.state.runtime)


def route_for(endpoint: Endpoint) -> Route:
    """A starlette Route running the whole pipeline for `endpoint`."""

    async def run(request: Request) -> Response:
        request.scope[ROUTE_KEY] = endpoint.path  # the template, for metrics labels
        runtime = _runtime(request)
        principal: Principal | None = None
        policy = runtime.policy
        if not policy.is_public(endpoint.path, endpoint.method):
            principal = await runtime.authenticate(bearer_token(request))
            slot = request.scope.get(AUDIT_KEY)
            if isinstance(slot, dict):
                slot["user_id"], slot["project_id"] = principal.user_id, principal.project_id
            if not policy.allows(endpoint.path, endpoint.method, principal.role):
                raise Forbidden(
                    f"role {principal.role!r} may not {endpoint.method} {endpoint.path}; "
                    "ask an admin for access"
                )
        body: Any = None
        raw = b"" if endpoint.stream else await read_body(request, runtime.settings.max_body_bytes)
        if endpoint.body is not None:
            body = parse(endpoint.body, decode_json(raw))
        elif raw.strip():
            raise ValidationError(f"{endpoint.method} {endpoint.path} takes no body; send none")
        query = parse_query(endpoint.query, request.query_params) if endpoint.query else None
        if endpoint.query is None and request.query_params:
            names = ", ".join(sorted(request.query_params.keys()))
            raise ValidationError(f"{endpoint.path} takes no query parameters (got {names})")
        result = await endpoint.handler(Call(request, runtime, principal, body, query))
        if isinstance(result, Response):
            return result
        if endpoint.status == 204:
            return Response(status_code=204)
        return JSONResponse(jsonable(result), status_code=endpoint.status)

    run.__name__ = endpoint.operation_id
    return Route(endpoint.path, run, methods=[endpoint.method], name=endpoint.operation_id)
