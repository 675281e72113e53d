"""Typed messages -> frames, in the canonical form the golden vectors pin down byte for byte.

Canonical form: map keys in the order of PROTOCOL.md, integers in their shortest msgpack form,
strings as str, values always as bin of float32 little-endian.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgpack
from numpy.typing import ArrayLike

from hanami_rt.wire.codes import ErrorCode
from hanami_rt.wire.messages import (
    AuthReply,
    AuthRequest,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    Reply,
    Request,
)
from hanami_rt.wire.values import values_to_bin

_packb = msgpack.packb


def encode_outputs(id: int, outputs: Mapping[str, ArrayLike]) -> bytes:
    """The ok reply to a learn or infer: `{"id", "ok": true, "outputs": {brick: bin}}`."""
    bins = {}
    for name, values in outputs.items():  # a loop, not a comprehension: one frame less
        bins[name] = values_to_bin(values)
    return _packb({"id": id, "ok": True, "outputs": bins})  # type: ignore[no-any-return]


def encode_pong(id: int) -> bytes:
    """The ok reply to a ping: `{"id", "ok": true}`."""
    return _packb({"id": id, "ok": True})  # type: ignore[no-any-return]


def encode_auth_ok(id: int | None, expires_at: int | None) -> bytes:
    """The ack of an auth frame: `{"id", "ok": true, "expires_at"}` (Unix seconds or nil)."""
    return _packb({"id": id, "ok": True, "expires_at": expires_at})  # type: ignore[no-any-return]


def encode_error(
    id: int | None, code: ErrorCode | str, message: str, retry_after: int | None = None
) -> bytes:
    """An error reply: `{"id", "ok": false, "error": {"code", "message"[, "retry_after"]}}`."""
    error: dict[str, object] = {"code": str(code), "message": message}
    if retry_after is not None:
        error["retry_after"] = retry_after
    return _packb({"id": id, "ok": False, "error": error})  # type: ignore[no-any-return]


def encode_reply(reply: Reply) -> bytes:
    """Encode any typed reply (the server may also call the encode_* functions directly)."""
    match reply:
        case OutputsReply(id=rid, outputs=outputs):
            return encode_outputs(rid, outputs)
        case PongReply(id=rid):
            return encode_pong(rid)
        case AuthReply(id=rid, expires_at=expires_at):
            return encode_auth_ok(rid, expires_at)
        case ErrorReply(id=rid, code=code, message=message, retry_after=retry_after):
            return encode_error(rid, code, message, retry_after)


def encode_request(request: Request) -> bytes:
    """Encode a typed request in canonical form (for clients, tests and the vector round trip)."""
    msg: dict[str, object]
    match request:
        case LearnRequest(id=rid, cluster=cluster, inputs=inputs, expected=expected):
            msg = {
                "op": "learn",
                "id": rid,
                "cluster": cluster,
                "inputs": {name: values_to_bin(v) for name, v in inputs.items()},
                "expected": {name: values_to_bin(v) for name, v in expected.items()},
            }
        case InferRequest(id=rid, cluster=cluster, inputs=inputs):
            msg = {
                "op": "infer",
                "id": rid,
                "cluster": cluster,
                "inputs": {name: values_to_bin(v) for name, v in inputs.items()},
            }
        case PingRequest(id=rid):
            msg = {"op": "ping", "id": rid}
        case AuthRequest(token=token, id=rid):
            msg = (
                {"op": "auth", "token": token}
                if rid is None
                else {
                    "op": "auth",
                    "id": rid,
                    "token": token,
                }
            )
    return _packb(msg)  # type: ignore[no-any-return]
