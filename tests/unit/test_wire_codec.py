"""The codec with byte literals: what each frame decodes to, what each reply encodes to."""

from __future__ import annotations

import ast
from pathlib import Path

import msgpack
import numpy as np
import pytest

from hanami_rt import wire
from hanami_rt.wire import (
    MAX_ID,
    AuthReply,
    AuthRequest,
    ErrorCode,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    PongReply,
    WireError,
    decode_reply,
    decode_request,
    encode_auth_ok,
    encode_error,
    encode_outputs,
    encode_pong,
    encode_reply,
    encode_request,
)

HALF = b"\x00\x00\x00\x3f"  # 0.5 as float32 little-endian
ONE = b"\x00\x00\x80\x3f"  # 1.0


def test_ping_from_bytes() -> None:
    assert decode_request(b"\x82\xa2op\xa4ping\xa2id\x07") == PingRequest(7)


def test_ping_with_keys_in_any_order_and_a_wide_id() -> None:
    frame = b"\x82\xa2id\xcf\x00\x00\x00\x00\x00\x00\x00\x07\xa2op\xa4ping"
    assert decode_request(frame) == PingRequest(7)


def test_infer_from_bytes_is_a_read_only_view_on_the_bin() -> None:
    frame = b"\x84\xa2op\xa5infer\xa2id\x01\xa7cluster\xa1c\xa6inputs\x81\xa1x\xc4\x08" + HALF + ONE
    request = decode_request(frame)
    assert isinstance(request, InferRequest)
    assert (request.id, request.cluster, list(request.inputs)) == (1, "c", ["x"])
    values = request.inputs["x"]
    assert values.dtype == np.dtype("<f4") and values.tolist() == [0.5, 1.0]
    assert not values.flags.writeable
    assert isinstance(values.base, bytes)  # no copy beyond msgpack's own bin object


def test_learn_from_bytes_with_an_array_of_numbers() -> None:
    frame = (
        b"\x85\xa2op\xa5learn\xa2id\xcd\x01\x00\xa7cluster\xa1c"
        b"\xa6inputs\x81\xa1x\x93\x01\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00\xca\x3f\x80\x00\x00"
        b"\xa8expected\x81\xa1y\xc4\x04" + ONE
    )
    request = decode_request(frame)
    assert isinstance(request, LearnRequest)
    assert (request.id, request.cluster) == (256, "c")
    assert request.inputs["x"].dtype == np.dtype("<f4")
    assert request.inputs["x"].tolist() == [1.0, 0.5, 1.0]
    assert request.expected["y"].tolist() == [1.0]


def test_auth_from_bytes() -> None:
    assert decode_request(b"\x82\xa2op\xa4auth\xa5token\xa3abc") == AuthRequest("abc")
    frame = b"\x83\xa2op\xa4auth\xa2id\x02\xa5token\xa3abc"
    assert decode_request(frame) == AuthRequest("abc", 2)
    assert "abc" not in repr(AuthRequest("abc"))  # tokens stay out of logs


def test_decode_accepts_bytearray_and_memoryview() -> None:
    frame = b"\x82\xa2op\xa4ping\xa2id\x07"
    assert decode_request(bytearray(frame)) == PingRequest(7)
    assert decode_request(memoryview(frame)) == PingRequest(7)


def test_replies_as_bytes() -> None:
    assert encode_pong(7) == b"\x82\xa2id\x07\xa2ok\xc3"
    assert encode_outputs(7, {"y": np.array([0.5, 1.0], np.float32)}) == (
        b"\x83\xa2id\x07\xa2ok\xc3\xa7outputs\x81\xa1y\xc4\x08" + HALF + ONE
    )
    assert encode_auth_ok(None, 1) == b"\x83\xa2id\xc0\xa2ok\xc3\xaaexpires_at\x01"
    assert encode_error(None, ErrorCode.NOT_FOUND, "no") == (
        b"\x83\xa2id\xc0\xa2ok\xc2\xa5error\x82\xa4code\xa9not_found\xa7message\xa2no"
    )


def test_error_with_retry_after_as_bytes() -> None:
    assert encode_error(4, ErrorCode.RATE_LIMITED, "w", retry_after=2) == (
        b"\x83\xa2id\x04\xa2ok\xc2\xa5error\x83\xa4code\xacrate_limited\xa7message\xa1w"
        b"\xabretry_after\x02"
    )
    reply = decode_reply(encode_error(4, ErrorCode.RATE_LIMITED, "w", retry_after=2))
    assert reply == ErrorReply(4, ErrorCode.RATE_LIMITED, "w", 2)


def test_outputs_accept_any_numeric_array_and_flatten_it() -> None:
    expected = encode_outputs(1, {"y": np.array([0.5, 1.0, 0.5, 1.0], np.float32)})
    assert encode_outputs(1, {"y": [0.5, 1, 0.5, 1.0]}) == expected
    assert encode_outputs(1, {"y": np.array([[0.5, 1.0], [0.5, 1.0]])}) == expected
    assert encode_outputs(1, {"y": np.array([0.5, 9, 1.0, 9, 0.5, 9, 1.0])[::2]}) == expected
    big_endian = np.array([0.5, 1.0, 0.5, 1.0], dtype=">f4")
    assert encode_outputs(1, {"y": big_endian}) == expected


def test_encode_reply_matches_the_direct_functions() -> None:
    y = {"y": np.array([0.5], np.float32)}
    assert encode_reply(OutputsReply(3, y)) == encode_outputs(3, y)
    assert encode_reply(PongReply(3)) == encode_pong(3)
    assert encode_reply(AuthReply(3, None)) == encode_auth_ok(3, None)
    error = ErrorReply(3, ErrorCode.RATE_LIMITED, "slow down")
    assert encode_reply(error) == encode_error(3, "rate_limited", "slow down")


def test_request_round_trip_with_several_bricks() -> None:
    x = {"a": np.array([1.0, 2.0], np.float32), "b": np.zeros(0, np.float32)}
    request = decode_request(encode_request(LearnRequest(MAX_ID, "c", x, {"y": x["a"]})))
    assert isinstance(request, LearnRequest)
    assert request.id == MAX_ID
    assert {k: v.tolist() for k, v in request.inputs.items()} == {"a": [1.0, 2.0], "b": []}
    assert request.expected["y"].tolist() == [1.0, 2.0]


def test_error_codes_are_exactly_the_shared_strings() -> None:
    assert [c.value for c in ErrorCode] == [
        "invalid_message",
        "unknown_op",
        "invalid_input",
        "not_found",
        "unauthorized",
        "forbidden",
        "too_large",
        "rate_limited",
        "internal",
    ]


def _frame(**fields: object) -> bytes:
    base: dict[str, object] = {"op": "learn", "id": 5, "cluster": "c"}
    base |= {"inputs": {"x": HALF}, "expected": {"y": ONE}}
    base |= fields
    frame: bytes = msgpack.packb({k: v for k, v in base.items() if v is not _DROP})
    return frame


_DROP = object()
INVALID, UNKNOWN = ErrorCode.INVALID_MESSAGE, ErrorCode.UNKNOWN_OP


@pytest.mark.parametrize(
    ("frame", "code", "rid"),
    [
        (b"", INVALID, None),
        (b"\xc1", INVALID, None),
        (b"\x81\xa2op", INVALID, None),  # truncated
        (b"\x81\xa2op\xa4ping\xc0", INVALID, None),  # trailing bytes
        (b"\x92\x01\x02", INVALID, None),  # an array
        (b"\xa4ping", INVALID, None),  # a str
        (b"\x81\x01\xa4ping", INVALID, None),  # int key
        (b"\x81\xc4\x02op\xa4ping", INVALID, None),  # bin key: no "op" field
        (b"\x81\xa2op\xa2\xff\xfe", INVALID, None),  # bad UTF-8
        (b"\x82\xa2op\xa4ping\xa2id\xc7\x01\x01\x00", INVALID, None),  # ext id
        (msgpack.packb({"op": "ping"}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": -1}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": MAX_ID + 1}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": 2**64 - 1}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": True}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": 1.0}), INVALID, None),
        (msgpack.packb({"op": "ping", "id": None}), INVALID, None),
        (msgpack.packb({"id": 5}), INVALID, 5),
        (msgpack.packb({"op": None, "id": 5}), INVALID, 5),
        (msgpack.packb({"op": b"ping", "id": 5}), INVALID, 5),
        (msgpack.packb({"op": "Ping", "id": 5}), UNKNOWN, 5),
        (msgpack.packb({"op": "", "id": 5}), UNKNOWN, 5),
        (msgpack.packb({"op": "x" * 10_000}), UNKNOWN, None),
        (msgpack.packb({"op": "auth"}), INVALID, None),
        (msgpack.packb({"op": "auth", "token": ""}), INVALID, None),
        (msgpack.packb({"op": "auth", "id": 5, "token": 1}), INVALID, 5),
        (msgpack.packb({"op": "auth", "id": "5", "token": "t"}), INVALID, None),
        (_frame(cluster=_DROP), INVALID, 5),
        (_frame(cluster=""), INVALID, 5),
        (_frame(cluster=b"c"), INVALID, 5),
        (_frame(inputs=_DROP), INVALID, 5),
        (_frame(inputs=None), INVALID, 5),
        (_frame(inputs=[HALF]), INVALID, 5),
        (_frame(expected=_DROP), INVALID, 5),
        (_frame(expected="y"), INVALID, 5),
        (_frame(op="infer"), INVALID, 5),  # infer with expected
        (_frame(inputs={"x": HALF[:3]}), INVALID, 5),
        (_frame(inputs={"x": HALF + b"\x00"}), INVALID, 5),
        (_frame(inputs={"x": ["0.5"]}), INVALID, 5),
        (_frame(inputs={"x": [True]}), INVALID, 5),
        (_frame(inputs={"x": [0.5, False]}), INVALID, 5),
        (_frame(inputs={"x": [None]}), INVALID, 5),
        (_frame(inputs={"x": [[0.5]]}), INVALID, 5),
        (_frame(inputs={"x": [{"v": 0.5}]}), INVALID, 5),
        (_frame(inputs={"x": 0.5}), INVALID, 5),
        (_frame(inputs={"x": None}), INVALID, 5),
        (_frame(inputs={"x": "0.5"}), INVALID, 5),
        (_frame(inputs={"": HALF}), INVALID, 5),
        (_frame(expected={"y": HALF[:2]}), INVALID, 5),
    ],
)
def test_malformed_frames_raise_the_right_code_and_id(
    frame: bytes, code: ErrorCode, rid: int | None
) -> None:
    with pytest.raises(WireError) as caught:
        decode_request(frame)
    assert (caught.value.code, caught.value.id) == (code, rid)
    assert len(caught.value.message) < 300  # bounded, even for a 10,000-char op


def test_unknown_fields_are_ignored_and_empty_maps_are_well_formed() -> None:
    request = decode_request(_frame(trace="x", inputs={}, expected={}, extra={"deep": [1]}))
    assert isinstance(request, LearnRequest)
    assert (dict(request.inputs), dict(request.expected)) == ({}, {})
    ping = msgpack.packb({"op": "ping", "id": 1, "cluster": 3, "inputs": "ignored"})
    assert decode_request(ping) == PingRequest(1)


def test_array_values_are_rounded_to_float32_and_overflow_to_infinity() -> None:
    request = decode_request(_frame(inputs={"x": [0.1, 2**64 - 1, -(2**63), 1e300, -1e300]}))
    assert isinstance(request, LearnRequest)
    values = request.inputs["x"]
    assert values.dtype == np.dtype("<f4")
    assert values[0] == np.float32(0.1)
    assert values[1:3].tolist() == [2.0**64, -(2.0**63)]
    assert values[3:].tolist() == [np.inf, -np.inf]  # the core refuses these: invalid_input


def test_nan_and_infinity_in_a_bin_pass_the_codec() -> None:
    nan_inf = np.array([np.nan, np.inf], "<f4").tobytes()
    request = decode_request(_frame(inputs={"x": nan_inf}))
    assert isinstance(request, LearnRequest)
    assert np.isnan(request.inputs["x"][0]) and np.isinf(request.inputs["x"][1])


def test_wire_error_carries_code_message_and_id() -> None:
    error = WireError(ErrorCode.NOT_FOUND, "no such cluster", 3)
    assert isinstance(error, ValueError)
    assert (str(error), error.code, error.id) == ("no such cluster", "not_found", 3)
    assert "not_found" in repr(error)


@pytest.mark.parametrize(
    "frame",
    [
        b"\x81\xa2ok\xc3",  # pong without id
        b"\x82\xa2id\x01\xa2ok\xc0",  # ok is nil
        b"\x83\xa2id\x01\xa2ok\xc2\xa5error\xc0",  # error not a map
        b"\x83\xa2id\x01\xa2ok\xc2\xa5error\x81\xa4code\xa1x",  # no message
        b"\x83\xa2id\xff\xa2ok\xc3\xaaexpires_at\x01",  # negative id
        b"\x83\xa2id\x01\xa2ok\xc3\xaaexpires_at\xa1x",  # expires_at a str
        b"\x83\xa2id\x01\xa2ok\xc3\xa7outputs\x81\xa1y\xc4\x01\x00",  # 1-byte bin
        encode_error(1, "rate_limited", "m", retry_after=-1),
    ],
)
def test_malformed_replies_are_invalid_messages(frame: bytes) -> None:
    with pytest.raises(WireError) as caught:
        decode_reply(frame)
    assert caught.value.code == ErrorCode.INVALID_MESSAGE


def test_decode_reply_keeps_unknown_error_codes_as_strings() -> None:
    reply = decode_reply(encode_error(1, "quota_exceeded", "m"))
    assert reply == ErrorReply(1, "quota_exceeded", "m")
    known = decode_reply(encode_error(1, "forbidden", "m"))
    assert isinstance(known, ErrorReply) and known.code is ErrorCode.FORBIDDEN


def test_wire_imports_only_msgpack_numpy_and_the_standard_library() -> None:
    allowed = {"msgpack", "numpy", "hanami_rt", "__future__", "collections", "dataclasses"}
    allowed |= {"enum", "typing"}
    for path in Path(wire.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
                if node.module and node.module.startswith("hanami_rt"):
                    assert node.module.startswith("hanami_rt.wire"), path.name
            else:
                continue
            assert roots <= allowed, (path.name, roots)
        assert not any(isinstance(n, ast.AsyncFunctionDef | ast.Await) for n in ast.walk(tree))
