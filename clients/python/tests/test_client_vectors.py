"""The golden vectors of protocol/vectors, decoded and re-encoded by the client's own codec."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hanami_client.wire import (
    AuthOkReply,
    AuthRequest,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    ProtocolError,
    Reply,
    Request,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
)

VECTORS = Path(__file__).resolve().parents[3] / "protocol" / "vectors"


def _vectors(kind: str) -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in sorted(VECTORS.glob("*.json"))]
    return [v for v in found if v["kind"] == kind]


def _values_json(values: np.ndarray) -> dict[str, Any]:
    def show(x: float) -> float | str:
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x

    return {"bin": values.astype("<f4").tobytes().hex(), "f32": [show(float(x)) for x in values]}


def _bricks_json(bricks: dict[str, np.ndarray]) -> dict[str, Any]:
    return {name: _values_json(v) for name, v in bricks.items()}


def _message(decoded: Request | Reply) -> dict[str, Any]:
    """A decoded message in the vectors' JSON notation (canonical fields only)."""
    match decoded:
        case LearnRequest(id, cluster, inputs, expected):
            return {
                "op": "learn",
                "id": id,
                "cluster": cluster,
                "inputs": _bricks_json(inputs),
                "expected": _bricks_json(expected),
            }
        case InferRequest(id, cluster, inputs):
            return {"op": "infer", "id": id, "cluster": cluster, "inputs": _bricks_json(inputs)}
        case PingRequest(id):
            return {"op": "ping", "id": id}
        case AuthRequest(token, id):
            return {"op": "auth", "token": token} | ({} if id is None else {"id": id})
        case OutputsReply(id, outputs):
            return {"id": id, "ok": True, "outputs": _bricks_json(outputs)}
        case PongReply(id):
            return {"id": id, "ok": True}
        case AuthOkReply(id, expires_at):
            return {"id": id, "ok": True, "expires_at": expires_at}
        case ErrorReply(id, code, message, retry_after):
            error = {"code": code, "message": message}
            if retry_after is not None:
                error["retry_after"] = retry_after
            return {"id": id, "ok": False, "error": error}
    raise AssertionError(decoded)


def _canonical(vector: dict[str, Any]) -> bytes:
    return bytes.fromhex(vector["frame_hex"] if vector["canonical"] else vector["canonical_hex"])


def _known_fields(message: dict[str, Any], decoded: dict[str, Any]) -> dict[str, Any]:
    """The vector's message without the unknown fields a receiver ignores, values as float32."""
    known = {k: v for k, v in message.items() if k in decoded}
    for key in ("inputs", "expected", "outputs"):
        if key in known:
            known[key] = {n: _values_json(_f32(v)) for n, v in known[key].items()}
    return known


def _f32(value: Any) -> np.ndarray:
    if isinstance(value, dict):
        return np.frombuffer(bytes.fromhex(value["bin"]), dtype="<f4")
    return np.array(value, dtype=np.float64).astype(np.float32)


def test_the_vectors_are_there() -> None:
    assert len(_vectors("request")) >= 10 and len(_vectors("invalid")) >= 10
    assert len(_vectors("reply")) >= 10


@pytest.mark.parametrize("vector", _vectors("request"), ids=lambda v: v["name"])
def test_request_vectors_decode_and_reencode_canonically(vector: dict[str, Any]) -> None:
    decoded = decode_request(bytes.fromhex(vector["frame_hex"]))
    shown = _message(decoded)
    assert shown == _known_fields(vector["message"], shown)
    assert encode_request(decoded) == _canonical(vector)


@pytest.mark.parametrize("vector", _vectors("reply"), ids=lambda v: v["name"])
def test_reply_vectors_decode_and_reencode_canonically(vector: dict[str, Any]) -> None:
    decoded = decode_reply(bytes.fromhex(vector["frame_hex"]))
    shown = _message(decoded)
    assert shown == _known_fields(vector["message"], shown)
    assert encode_reply(decoded) == _canonical(vector)


@pytest.mark.parametrize("vector", _vectors("invalid"), ids=lambda v: v["name"])
def test_invalid_vectors_are_refused_with_their_code_and_id(vector: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_request(bytes.fromhex(vector["frame_hex"]))
    assert (info.value.code, info.value.id) == (vector["expect"]["code"], vector["expect"]["id"])
    assert info.value.message
