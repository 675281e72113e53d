"""Every error a client can see, and the ONE table mapping each to an HTTP status and a code.

    Exception
    ├── HanamiError            base of the errors raised on purpose outside the core
    │   ├── InvalidMessage     400 invalid_message     body or frame cannot be decoded
    │   ├── UnknownOp          400 unknown_op          websocket op that does not exist
    │   ├── ValidationError    400 validation_error    well-formed, but wrong fields/types/values
    │   ├── Unauthorized       401 unauthorized        no, expired or tampered token; bad login
    │   ├── Forbidden          403 forbidden           the policy denies this role
    │   ├── NotFound           404 not_found           no such resource (or not yours)
    │   ├── MethodNotAllowed   405 method_not_allowed  path exists, method does not
    │   ├── Conflict           409 conflict            duplicate name, deleting yourself, ...
    │   ├── TooLarge           413 too_large           body or frame over the size limit
    │   ├── RateLimited        429 rate_limited        too many failed logins
    │   └── Unavailable        503 unavailable         not ready yet (startup) or failed to start
    └── ValueError
        └── core.CoreError     400 invalid_input
            ├── InputError     400 invalid_input       learn/infer values
            ├── TemplateError  400 invalid_template    names the template line
            └── CheckpointError 400 invalid_checkpoint
    anything else              500 internal            logged with an error id, no internals

Transports (REST in `api`, the websocket endpoint) call `describe(exc)` and never decide a
status or code themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hanami_rt.core import CheckpointError, CoreError, InputError, TemplateError


class HanamiError(Exception):
    """Base of the errors the server raises on purpose; the message is shown to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidMessage(HanamiError):
    """A request body or frame that cannot be decoded (not JSON / msgpack at all)."""


class UnknownOp(HanamiError):
    """A websocket message names an operation that does not exist."""


class ValidationError(HanamiError):
    """A decodable request whose fields, types or values are wrong."""


class Unauthorized(HanamiError):
    """Authentication is missing, expired, tampered with, or the login is wrong."""


class Forbidden(HanamiError):
    """The caller is known, but its role may not use this endpoint."""


class NotFound(HanamiError):
    """No such resource, or one the caller may not see (we never leak existence)."""


class MethodNotAllowed(HanamiError):
    """The path exists but not with this HTTP method."""


class Conflict(HanamiError):
    """The request clashes with the current state (duplicate, still in use, ...)."""


class TooLarge(HanamiError):
    """A body or frame is larger than the configured limit."""


class RateLimited(HanamiError):
    """Too many attempts; `retry_after` seconds until the next one may succeed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(HanamiError):
    """The server is not ready (still starting, or startup failed)."""


@dataclass(frozen=True)
class ErrorKind:
    """How one exception class appears on the wire."""

    status: int
    code: str


INTERNAL = ErrorKind(500, "internal")

# THE table. Looked up along the exception's MRO, so subclasses inherit their parent's row.
ERROR_TABLE: dict[type[BaseException], ErrorKind] = {
    InvalidMessage: ErrorKind(400, "invalid_message"),
    UnknownOp: ErrorKind(400, "unknown_op"),
    ValidationError: ErrorKind(400, "validation_error"),
    Unauthorized: ErrorKind(401, "unauthorized"),
    Forbidden: ErrorKind(403, "forbidden"),
    NotFound: ErrorKind(404, "not_found"),
    MethodNotAllowed: ErrorKind(405, "method_not_allowed"),
    Conflict: ErrorKind(409, "conflict"),
    TooLarge: ErrorKind(413, "too_large"),
    RateLimited: ErrorKind(429, "rate_limited"),
    Unavailable: ErrorKind(503, "unavailable"),
    InputError: ErrorKind(400, "invalid_input"),
    TemplateError: ErrorKind(400, "invalid_template"),
    CheckpointError: ErrorKind(400, "invalid_checkpoint"),
    CoreError: ErrorKind(400, "invalid_input"),
}

ERROR_CODES = frozenset(kind.code for kind in ERROR_TABLE.values()) | {INTERNAL.code}


def kind_of(exc: BaseException) -> ErrorKind | None:
    """The table row for this exception, or None when it is unexpected (a bug: 500)."""
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return None


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape: {"error": {"code": ..., "message": ..., <extra>}}."""
    return {"error": {"code": code, "message": message, **extra}}


def describe(exc: BaseException) -> tuple[ErrorKind, str]:
    """(kind, client-facing message) for an expected exception; raises it again otherwise."""
    kind = kind_of(exc)
    if kind is None:
        raise exc
    if isinstance(exc, TemplateError):
        where = f"line {exc.line}: " if exc.line is not None else ""
        return kind, f"the template is invalid: {where}{exc.reason}; fix it and send it again"
    return kind, str(exc)
