"""Protocol constants, the error codes a reply may carry, and the codec's one exception."""

from __future__ import annotations

from enum import StrEnum

PROTOCOL_VERSION = 1
"""Major version; it is also the path prefix (`/v1/ws`) and changes only on breaking changes."""

MAX_ID = 2**53 - 1
"""Largest request id: every client language can hold it exactly (JavaScript numbers too)."""

CLOSE_UNAUTHORIZED = 4401
"""Close code: no valid token within the auth deadline, a rejected token, or an expired one."""

CLOSE_TOO_BIG = 1009
"""Close code (RFC 6455 "message too big"): a frame over the server's size limit."""

DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024
DEFAULT_AUTH_TIMEOUT_S = 5.0
DEFAULT_PIPELINE_DEPTH = 64


class ErrorCode(StrEnum):
    """The closed set of `error.code` strings, shared with the server's error table."""

    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_OP = "unknown_op"
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"


class WireError(ValueError):
    """A frame the codec cannot turn into a message; `id` is set when the request id was read."""

    def __init__(self, code: ErrorCode, message: str, id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id

    def __repr__(self) -> str:
        return f"WireError({self.code.value!r}, {self.message!r}, id={self.id!r})"
