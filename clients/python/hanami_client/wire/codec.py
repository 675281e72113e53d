"""Sans-I/O msgpack codec: bytes <-> typed messages, canonical encoding (PROTOCOL.md section 6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgpack
import numpy as np

from hanami_client.wire.messages import (
    MAX_ID,
    AuthOkReply,
    AuthRequest,
    Bricks,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    ProtocolError,
    Reply,
    Request,
    Values,
)

INVALID = "invalid_message"
OPS = ("learn", "infer", "ping", "auth")


def to_bin(values: Values) -> bytes:
    """float32 little-endian bytes of a flat array."""
    return np.ascontiguousarray(values, dtype="<f4").reshape(-1).tobytes()


def _bricks_out(bricks: Mapping[str, Values]) -> dict[str, bytes]:
    return {name: to_bin(values) for name, values in bricks.items()}


def encode_request(request: Request) -> bytes:
    """The canonical frame of a request."""
    message: dict[str, Any]
    match request:
        case LearnRequest(id, cluster, inputs, expected):
            message = {"op": "learn", "id": id, "cluster": cluster}
            message["inputs"] = _bricks_out(inputs)
            message["expected"] = _bricks_out(expected)
        case InferRequest(id, cluster, inputs):
            message = {"op": "infer", "id": id, "cluster": cluster, "inputs": _bricks_out(inputs)}
        case PingRequest(id):
            message = {"op": "ping", "id": id}
        case AuthRequest(token, id):
            message = {"op": "auth"} if id is None else {"op": "auth", "id": id}
            message["token"] = token
    return _pack(message)


def encode_reply(reply: Reply) -> bytes:
    """The canonical frame of a reply."""
    message: dict[str, Any]
    match reply:
        case OutputsReply(id, outputs):
            message = {"id": id, "ok": True, "outputs": _bricks_out(outputs)}
        case PongReply(id):
            message = {"id": id, "ok": True}
        case AuthOkReply(id, expires_at):
            message = {"id": id, "ok": True, "expires_at": expires_at}
        case ErrorReply(id, code, text, retry_after):
            error: dict[str, Any] = {"code": code, "message": text}
            if retry_after is not None:
                error["retry_after"] = retry_after
            message = {"id": id, "ok": False, "error": error}
    return _pack(message)


def _pack(message: dict[str, Any]) -> bytes:
    frame = msgpack.packb(message, use_bin_type=True)
    assert isinstance(frame, bytes)
    return frame


def _unpack(frame: bytes) -> dict[str, Any]:
    """One msgpack map with str keys, nothing else; ProtocolError otherwise."""
    try:
        message = msgpack.unpackb(frame, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises many types: all mean "not one msgpack value"
        raise ProtocolError(INVALID, f"the frame is not one msgpack value ({exc})") from None
    if not isinstance(message, dict):
        raise ProtocolError(INVALID, "a frame must hold one msgpack map")
    if not all(isinstance(key, str) for key in message):
        raise ProtocolError(INVALID, "map keys must be strings")
    return message


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def _values(value: Any, where: str, id: int | None) -> Values:
    if isinstance(value, bytes):
        if len(value) % 4:
            raise ProtocolError(
                INVALID, f"{where}: a bin of {len(value)} bytes is not float32s", id
            )
        return np.frombuffer(value, dtype="<f4").astype(np.float32)
    if isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        with np.errstate(over="ignore"):
            return np.array(value, dtype=np.float64).astype(np.float32)
    raise ProtocolError(INVALID, f"{where}: values are a bin or a flat array of numbers", id)


def _bricks(message: dict[str, Any], key: str, id: int | None) -> Bricks:
    if key not in message:
        raise ProtocolError(INVALID, f"{key!r} is missing", id)
    bricks = message[key]
    if not isinstance(bricks, dict):
        raise ProtocolError(INVALID, f"{key!r} must be a map of brick name to values", id)
    out: Bricks = {}
    for name, value in bricks.items():
        if not isinstance(name, str) or not name:
            raise ProtocolError(INVALID, f"{key!r}: brick names are non-empty strings", id)
        out[name] = _values(value, f"{key}.{name}", id)
    return out


def decode_request(frame: bytes) -> Request:
    """A typed request, or ProtocolError with the code and id a server answers with."""
    message = _unpack(frame)
    id: int | None = None
    if "id" in message:
        if not _is_id(message["id"]):
            raise ProtocolError(INVALID, "id must be an integer from 0 to 2**53-1")
        id = message["id"]
    op = message.get("op")
    if not isinstance(op, str):
        raise ProtocolError(INVALID, "'op' must be a string", id)
    if op not in OPS:
        raise ProtocolError("unknown_op", f"unknown op {op!r}; version 1 has {OPS}", id)
    if op == "auth":
        token = message.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError(INVALID, "auth needs a non-empty string 'token'", id)
        return AuthRequest(token, id)
    if id is None:
        raise ProtocolError(INVALID, f"{op} needs an 'id'")
    if op == "ping":
        return PingRequest(id)
    cluster = message.get("cluster")
    if not isinstance(cluster, str) or not cluster:
        raise ProtocolError(INVALID, "'cluster' must be a non-empty string", id)
    inputs = _bricks(message, "inputs", id)
    if op == "infer":
        if "expected" in message:
            raise ProtocolError(INVALID, "an infer carries no 'expected'; send a learn", id)
        return InferRequest(id, cluster, inputs)
    return LearnRequest(id, cluster, inputs, _bricks(message, "expected", id))


def decode_reply(frame: bytes) -> Reply:
    """A typed reply; ProtocolError when the frame is not a reply of version 1."""
    message = _unpack(frame)
    id = message.get("id")
    if id is not None and not _is_id(id):
        raise ProtocolError(INVALID, "a reply's id must be nil or an integer in range")
    ok = message.get("ok")
    if ok is False:
        error = message.get("error")
        if not isinstance(error, dict):
            raise ProtocolError(INVALID, "an error reply needs an 'error' map", id)
        code, text = error.get("code"), error.get("message")
        retry = error.get("retry_after")
        return ErrorReply(
            id,
            code if isinstance(code, str) else "internal",
            text if isinstance(text, str) else "",
            retry if isinstance(retry, int) and not isinstance(retry, bool) else None,
        )
    if ok is not True:
        raise ProtocolError(INVALID, "a reply needs 'ok' true or false", id)
    if "outputs" in message:
        if id is None:
            raise ProtocolError(INVALID, "an outputs reply needs an id")
        return OutputsReply(id, _bricks(message, "outputs", id))
    if "expires_at" in message:
        expires = message["expires_at"]
        return AuthOkReply(id, expires if isinstance(expires, int) else None)
    if id is None:
        raise ProtocolError(INVALID, "a pong needs an id")
    return PongReply(id)
