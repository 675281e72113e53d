"""Frames -> typed messages: `decode_request` for the server, `decode_reply` for clients and tests.

Pure functions over bytes. Structure is checked here (types, required fields, id range, whole
float32 values); what depends on a cluster (brick names, lengths, finiteness) is the core's job.
"""

from __future__ import annotations

from typing import Any

import msgpack
from numpy import frombuffer

from hanami_rt.wire.codes import MAX_ID, ErrorCode, WireError
from hanami_rt.wire.messages import (
    AuthReply,
    AuthRequest,
    Bricks,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    Reply,
    Request,
    Values,
)
from hanami_rt.wire.values import F32, bin_to_values, list_to_values

_INVALID = ErrorCode.INVALID_MESSAGE
_CODES = {code.value: code for code in ErrorCode}


def decode_request(frame: bytes) -> Request:
    """Decode one client frame; raises WireError (with the id when readable) if it is not valid."""
    msg = _unpack_map(frame)
    raw_id = msg.get("id")
    rid = raw_id if type(raw_id) is int and 0 <= raw_id <= MAX_ID else None
    op = msg.get("op")
    match op:
        case "learn":
            rid = _require_id(msg, rid)
            cluster = _cluster(msg, rid)
            return LearnRequest(
                rid, cluster, _bricks(msg, "inputs", rid), _bricks(msg, "expected", rid)
            )
        case "infer":
            rid = _require_id(msg, rid)
            cluster = _cluster(msg, rid)
            if "expected" in msg:
                raise WireError(
                    _INVALID, "infer takes no 'expected' (send op 'learn' to teach)", rid
                )
            return InferRequest(rid, cluster, _bricks(msg, "inputs", rid))
        case "ping":
            return PingRequest(_require_id(msg, rid))
        case "auth":
            if raw_id is not None and rid is None:
                raise WireError(_INVALID, "auth 'id', when given, must be an integer 0..2**53-1")
            token = msg.get("token")
            if type(token) is not str or not token:
                raise WireError(_INVALID, "auth needs 'token': a non-empty string", rid)
            return AuthRequest(token, rid)
        case str():
            raise WireError(
                ErrorCode.UNKNOWN_OP,
                f"unknown op {op[:32]!r}: expected one of learn, infer, ping, auth",
                rid,
            )
        case None:
            raise WireError(_INVALID, "missing 'op': expected one of learn, infer, ping, auth", rid)
        case _:
            raise WireError(_INVALID, "'op' must be a string", rid)


def decode_reply(frame: bytes) -> Reply:
    """Decode one server frame into a typed reply; WireError(invalid_message) if malformed."""
    msg = _unpack_map(frame)
    raw_id = msg.get("id")
    if raw_id is not None and not (type(raw_id) is int and 0 <= raw_id <= MAX_ID):
        raise WireError(_INVALID, "reply 'id' must be nil or an integer 0..2**53-1")
    ok = msg.get("ok")
    if ok is False:
        error = msg.get("error")
        if type(error) is not dict:
            raise WireError(_INVALID, "error reply needs 'error': a map")
        code, message = error.get("code"), error.get("message")
        if type(code) is not str or type(message) is not str:
            raise WireError(_INVALID, "'error' needs 'code' and 'message': strings")
        retry_after = error.get("retry_after")
        if retry_after is not None and not (type(retry_after) is int and retry_after >= 0):
            raise WireError(_INVALID, "'error.retry_after' must be a non-negative integer")
        return ErrorReply(raw_id, _CODES.get(code, code), message, retry_after)
    if ok is not True:
        raise WireError(_INVALID, "reply needs 'ok': a boolean")
    if "outputs" in msg:
        return OutputsReply(_reply_id(raw_id), _bricks(msg, "outputs", raw_id))
    if "expires_at" in msg:
        expires_at = msg["expires_at"]
        if expires_at is not None and type(expires_at) is not int:
            raise WireError(_INVALID, "'expires_at' must be nil or an integer")
        return AuthReply(raw_id, expires_at)
    return PongReply(_reply_id(raw_id))


def _unpack_map(frame: bytes) -> dict[str, Any]:
    """Unpack exactly one msgpack map (string keys) or raise invalid_message."""
    try:
        msg = msgpack.unpackb(frame, raw=False)
    except Exception as exc:  # any failure to parse the bytes is the client's malformed frame
        raise WireError(_INVALID, f"frame is not one msgpack value: {exc}") from None
    if type(msg) is not dict:
        raise WireError(_INVALID, f"a frame must hold one msgpack map, not {type(msg).__name__}")
    return msg


def _require_id(msg: dict[str, Any], rid: int | None) -> int:
    """The request id, or invalid_message saying what is wrong with it."""
    if rid is None:
        if "id" not in msg:
            raise WireError(_INVALID, "missing 'id': an integer 0..2**53-1 chosen by the client")
        raise WireError(_INVALID, "'id' must be an integer 0..2**53-1")
    return rid


def _reply_id(raw_id: int | None) -> int:
    """Replies to learn, infer and ping always carry the request's id."""
    if raw_id is None:
        raise WireError(_INVALID, "reply needs 'id': an integer")
    return raw_id


def _cluster(msg: dict[str, Any], rid: int) -> str:
    """The cluster id: a non-empty string (whether it exists is the service's question)."""
    cluster = msg.get("cluster")
    if type(cluster) is not str or not cluster:
        raise WireError(_INVALID, "'cluster' must be a non-empty string (a cluster id)", rid)
    return cluster


def _bricks(msg: dict[str, Any], field: str, rid: int | None) -> Bricks:
    """A map of brick name -> values, each bin (float32 LE) or an array of numbers."""
    raw = msg.get(field)
    if type(raw) is not dict:
        what = "missing" if raw is None and field not in msg else "not a map"
        raise WireError(
            _INVALID, f"'{field}' is {what}: expected a map of brick name to values", rid
        )
    out: dict[str, Values] = {}
    for name, values in raw.items():
        kind = type(values)
        if kind is bytes and len(values) % 4 == 0 and type(name) is str and name:
            out[name] = frombuffer(values, dtype=F32)  # the common case, kept cheap
        elif type(name) is not str or not name:
            raise WireError(_INVALID, f"'{field}': brick names must be non-empty strings", rid)
        elif kind is bytes:
            out[name] = bin_to_values(values, f"{field}.{name[:64]}", rid)
        elif kind is list:
            out[name] = list_to_values(values, f"{field}.{name[:64]}", rid)
        else:
            raise WireError(
                _INVALID,
                f"{field}.{name[:64]}: values must be bin (float32 LE) or an array of numbers",
                rid,
            )
    return out
