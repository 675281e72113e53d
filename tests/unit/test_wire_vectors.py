"""The codec against the golden vectors: decode, compare with the JSON, re-encode byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hanami_rt.wire import (
    AuthReply,
    AuthRequest,
    Bricks,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    WireError,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
)

VECTORS = Path(__file__).resolve().parents[2] / "protocol" / "vectors"


def _vectors(kind: str) -> list[str]:
    names = sorted(p.stem for p in VECTORS.glob("*.json"))
    return [n for n in names if json.loads((VECTORS / f"{n}.json").read_text())["kind"] == kind]


def _case(name: str) -> tuple[bytes, dict[str, Any]]:
    meta: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return (VECTORS / f"{name}.msgpack").read_bytes(), meta


def _expected_values(rendered: Any) -> np.ndarray[Any, np.dtype[np.float32]]:
    """What the codec must produce for one rendered values entry (bin or array of numbers)."""
    if isinstance(rendered, dict):
        return np.frombuffer(bytes.fromhex(rendered["bin"]), dtype="<f4")
    return np.array(rendered, dtype=np.float32)


def _assert_bricks(actual: Bricks, rendered: dict[str, Any]) -> None:
    assert list(actual) == list(rendered)
    for name, values in actual.items():
        assert values.dtype == np.dtype("<f4")
        assert values.ndim == 1
        assert values.tobytes() == _expected_values(rendered[name]).tobytes(), name


def _canonical(frame: bytes, meta: dict[str, Any]) -> bytes:
    return frame if meta["canonical"] else bytes.fromhex(meta["canonical_hex"])


@pytest.mark.parametrize("name", _vectors("request"))
def test_request_vectors_decode_to_their_meaning_and_reencode(name: str) -> None:
    frame, meta = _case(name)
    msg = meta["message"]
    request = decode_request(frame)
    match request:
        case LearnRequest():
            assert (msg["op"], request.id, request.cluster) == ("learn", msg["id"], msg["cluster"])
            _assert_bricks(request.inputs, msg["inputs"])
            _assert_bricks(request.expected, msg["expected"])
        case InferRequest():
            assert (msg["op"], request.id, request.cluster) == ("infer", msg["id"], msg["cluster"])
            _assert_bricks(request.inputs, msg["inputs"])
        case PingRequest():
            assert (msg["op"], request.id) == ("ping", msg["id"])
        case AuthRequest():
            assert (msg["op"], request.id, request.token) == ("auth", msg.get("id"), msg["token"])
    assert encode_request(request) == _canonical(frame, meta)


@pytest.mark.parametrize("name", _vectors("reply"))
def test_reply_vectors_decode_to_their_meaning_and_reencode(name: str) -> None:
    frame, meta = _case(name)
    msg = meta["message"]
    reply = decode_reply(frame)
    assert reply.id == msg["id"]
    match reply:
        case OutputsReply():
            assert meta["schema"] == "outputs"
            _assert_bricks(reply.outputs, msg["outputs"])
        case PongReply():
            assert meta["schema"] == "pong"
        case AuthReply():
            assert (meta["schema"], reply.expires_at) == ("auth_ok", msg["expires_at"])
        case ErrorReply():
            assert meta["schema"] == "error"
            assert (reply.code, reply.message) == (msg["error"]["code"], msg["error"]["message"])
            assert reply.retry_after == msg["error"].get("retry_after")
    assert encode_reply(reply) == _canonical(frame, meta)


@pytest.mark.parametrize("name", _vectors("invalid"))
def test_invalid_vectors_raise_the_right_code_with_the_readable_id(name: str) -> None:
    frame, meta = _case(name)
    with pytest.raises(WireError) as caught:
        decode_request(frame)
    assert caught.value.code == meta["expect"]["code"]
    assert caught.value.id == meta["expect"]["id"]
    assert caught.value.message
