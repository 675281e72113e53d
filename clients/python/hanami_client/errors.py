"""The one exception tree of the client; every error carries the server's code and message.

HanamiError                 code, message, status (HTTP, when there was one)
├── AuthError               unauthorized, forbidden
├── NotFoundError           not_found
├── ConflictError           conflict
├── ValidationError         validation_error, invalid_message, invalid_input,
│                           invalid_template, invalid_checkpoint, unknown_op, too_large, ...
├── ServerError             internal, unavailable, rate_limited, any unknown code
└── ConnectionLost          the connection dropped; `may_have_been_applied` for a learn
"""

from __future__ import annotations


class HanamiError(Exception):
    """Base of every error the client raises on purpose."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


class AuthError(HanamiError):
    """The token is missing, invalid or expired, or the role may not do this."""


class NotFoundError(HanamiError):
    """No such resource (or one the caller may not see)."""


class ConflictError(HanamiError):
    """The request clashes with the server's state (duplicate id, still in use, ...)."""


class ValidationError(HanamiError):
    """The request was refused as malformed or invalid; fix it before sending it again."""


class ServerError(HanamiError):
    """The server failed, is not ready, is rate limiting, or answered something unexpected."""


class ConnectionLost(HanamiError):
    """The connection dropped before a reply arrived.

    For a learn, `may_have_been_applied` is True: it was never re-sent, check before resending.
    """

    def __init__(self, message: str, *, may_have_been_applied: bool = False) -> None:
        super().__init__("connection_lost", message)
        self.may_have_been_applied = may_have_been_applied


_BY_CODE: dict[str, type[HanamiError]] = {
    "unauthorized": AuthError,
    "forbidden": AuthError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "validation_error": ValidationError,
    "invalid_message": ValidationError,
    "invalid_input": ValidationError,
    "invalid_template": ValidationError,
    "invalid_checkpoint": ValidationError,
    "unknown_op": ValidationError,
    "too_large": ValidationError,
    "method_not_allowed": ValidationError,
}

_BY_STATUS: dict[int, type[HanamiError]] = {
    400: ValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
}


def error_for(
    code: str,
    message: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
) -> HanamiError:
    """The exception for a server error code (an unknown code is a ServerError, or by status)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = _BY_STATUS.get(status, ServerError) if status is not None else ServerError
    return cls(code, message, status=status, retry_after=retry_after)
