"""Regenerate the golden vectors in protocol/vectors/ (deterministic; stdlib + msgpack only).

Usage: python protocol/make_vectors.py [--check]
Each vector is NAME.msgpack (one frame, exact bytes) plus NAME.json (what the frame means).
`--check` writes nothing and exits 1 if the files on disk differ from what this script makes.
Frames are built here with plain msgpack calls and hand-written bytes, never with the server's
codec, so the codec is tested against an independent source.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgpack

VECTORS = Path(__file__).resolve().parent / "vectors"
MAX_ID = 2**53 - 1
TOKEN = "header.payload.signature"  # a stand-in: vectors fix the framing, not real credentials


def f32(values: Iterable[float]) -> bytes:
    """Little-endian IEEE 754 binary32 bytes for the values (the wire's `bin` encoding)."""
    items = list(values)
    return struct.pack(f"<{len(items)}f", *items)


def pack(obj: Any, **options: Any) -> bytes:
    """The canonical msgpack encoding: bin for bytes, str for text, shortest integers."""
    frame: bytes = msgpack.packb(obj, use_bin_type=True, **options)
    return frame


def render(obj: Any) -> Any:
    """Describe a decoded msgpack value in JSON: bin becomes {"bin": hex, "f32": [...]}."""
    if isinstance(obj, bytes):
        out: dict[str, Any] = {"bin": obj.hex()}
        if len(obj) % 4 == 0:
            out["f32"] = [_float_json(v) for (v,) in struct.iter_unpack("<f", obj)]
        return out
    if isinstance(obj, msgpack.ExtType):
        return {"ext": obj.code, "data": obj.data.hex()}
    if isinstance(obj, dict):
        return {str(k): render(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [render(v) for v in obj]
    return obj


def _float_json(value: float) -> float | str:
    """JSON has no NaN or infinities; spell them as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def to_json(obj: Any, indent: str = "") -> str:
    """Indented JSON that keeps arrays of scalars on one line (value lists stay readable)."""
    inner = indent + "  "
    if isinstance(obj, dict) and obj:
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list) and any(isinstance(v, dict | list) for v in obj):
        items = [inner + to_json(v, inner) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(obj, allow_nan=False)


def mnist_like() -> tuple[bytes, bytes]:
    """784 inputs (k/256 steps, exact in float32) and a one-hot 10-value expected for digit 5."""
    image = f32(((i * 7) % 256) / 256 for i in range(784))
    label = f32(1.0 if i == 5 else 0.0 for i in range(10))
    return image, label


class Vectors:
    """Collects vectors in order: name -> (frame bytes, JSON description)."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[bytes, dict[str, Any]]] = {}

    def add(self, name: str, kind: str, frame: bytes, description: str, **extra: Any) -> None:
        if name in self.items:
            raise ValueError(f"duplicate vector {name}")
        meta: dict[str, Any] = {"name": name, "kind": kind, "description": description}
        meta.update(extra)
        try:
            meta["message"] = render(msgpack.unpackb(frame, raw=False))
        except Exception:  # frames that are deliberately not decodable have no message
            meta["message"] = None
        meta["frame_hex"] = frame.hex()
        self.items[name] = (frame, meta)

    def request(self, name: str, schema: str, msg: dict[str, Any], description: str) -> None:
        """A well-formed request in canonical form: decode then re-encode gives the same bytes."""
        self.add(name, "request", pack(msg), description, schema=schema, canonical=True)

    def variant(
        self, name: str, kind: str, schema: str, frame: bytes, canonical: bytes, description: str
    ) -> None:
        """A well-formed frame in a non-canonical form; re-encoding yields `canonical`."""
        self.add(
            name,
            kind,
            frame,
            description,
            schema=schema,
            canonical=False,
            canonical_hex=canonical.hex(),
        )

    def reply(self, name: str, schema: str, msg: dict[str, Any], description: str) -> None:
        """A reply in canonical form (servers send only canonical replies)."""
        self.add(name, "reply", pack(msg), description, schema=schema, canonical=True)

    def invalid(
        self, name: str, frame: bytes, code: str, rid: int | None, description: str
    ) -> None:
        """A frame the server must refuse with error `code`, echoing `rid` (None: nil)."""
        self.add(name, "invalid", frame, description, expect={"code": code, "id": rid})


def requests(v: Vectors) -> None:
    x, y = f32([0.0, 0.5, 1.0, -2.25]), f32([1.0, 0.0])
    learn = {"op": "learn", "id": 1, "cluster": "c1", "inputs": {"in": x}, "expected": {"out": y}}
    v.request("learn", "learn", learn, "A learn with one input and one output brick, bin values.")
    v.variant(
        "learn_array",
        "request",
        "learn",
        pack({**learn, "inputs": {"in": [0, 0.5, 1, -2.25]}, "expected": {"out": [1, 0]}}),
        pack(learn),
        "The same learn with arrays of numbers (ints and float64) instead of bin; decodes to "
        "the same float32 values as vector 'learn' and re-encodes as it.",
    )
    single = {"op": "infer", "id": 2, "cluster": "c1", "inputs": {"in": [0.0, 0.5, 1.0, -2.25]}}
    v.variant(
        "infer_array_float32",
        "request",
        "infer",
        pack(single, use_single_float=True),
        pack({**single, "inputs": {"in": x}}),
        "An infer whose values are an array of msgpack float32 numbers.",
    )
    image, label = mnist_like()
    v.request(
        "learn_mnist",
        "learn",
        {
            "op": "learn",
            "id": 60000,
            "cluster": "mnist-0001",
            "inputs": {"image": image},
            "expected": {"digit": label},
        },
        "An MNIST-sized learn: 784 input values, a one-hot expected for digit 5.",
    )
    v.request(
        "infer",
        "infer",
        {"op": "infer", "id": 3, "cluster": "c1", "inputs": {"in": x}},
        "An infer with one input brick.",
    )
    v.request(
        "infer_several_bricks",
        "infer",
        {
            "op": "infer",
            "id": 4,
            "cluster": "sensor-7",
            "inputs": {"temp": f32([21.5, 22.0, 22.5]), "load": f32([0.75]), "idle": b""},
        },
        "Three input bricks, one of them an empty bin (zero values; the cluster decides if "
        "that length is right).",
    )
    v.request(
        "infer_empty_inputs",
        "infer",
        {"op": "infer", "id": 5, "cluster": "c1", "inputs": {}},
        "An empty inputs map is well-formed; a cluster with input bricks answers invalid_input.",
    )
    v.request(
        "infer_nan",
        "infer",
        {"op": "infer", "id": 6, "cluster": "c1", "inputs": {"in": f32([math.nan, math.inf])}},
        "Well-formed on the wire, but NaN and infinity are refused by the server: invalid_input.",
    )
    v.request("ping", "ping", {"op": "ping", "id": 0}, "A ping with the smallest id.")
    v.request("ping_max_id", "ping", {"op": "ping", "id": MAX_ID}, "A ping with id 2**53-1.")
    v.variant(
        "ping_wide_id",
        "request",
        "ping",
        b"\x82\xa2op\xa4ping\xa2id\xcf" + struct.pack(">Q", 9),
        pack({"op": "ping", "id": 9}),
        "Id 9 sent as a uint64 (not the shortest form): accepted; the reply uses the shortest.",
    )
    v.request("auth", "auth", {"op": "auth", "token": TOKEN}, "First-frame authentication, no id.")
    v.request(
        "auth_with_id",
        "auth",
        {"op": "auth", "id": 10, "token": TOKEN},
        "Authentication with an id, echoed in the ack.",
    )
    v.variant(
        "learn_unknown_fields",
        "request",
        "learn",
        pack({**learn, "trace": "abc", "priority": 3}),
        pack(learn),
        "Unknown fields are ignored (they re-encode away): vector 'learn' plus two extras.",
    )


def replies(v: Vectors) -> None:
    v.reply(
        "reply_outputs",
        "outputs",
        {"id": 1, "ok": True, "outputs": {"out": f32([0.25, 0.75])}},
        "The reply to a learn or infer: the forward pass's output values as bin.",
    )
    v.reply(
        "reply_outputs_several_bricks",
        "outputs",
        {"id": 4, "ok": True, "outputs": {"class": f32([0.0, 1.0, 0.0]), "score": f32([0.5])}},
        "Outputs of two output bricks.",
    )
    v.reply("reply_pong", "pong", {"id": 0, "ok": True}, "The reply to ping id 0.")
    v.reply("reply_pong_max_id", "pong", {"id": MAX_ID, "ok": True}, "The reply to id 2**53-1.")
    v.reply(
        "reply_auth",
        "auth_ok",
        {"id": None, "ok": True, "expires_at": 1798761600},
        "The ack of an auth frame without id: the token expires at 2027-01-01T00:00:00Z.",
    )
    v.reply(
        "reply_auth_with_id",
        "auth_ok",
        {"id": 10, "ok": True, "expires_at": 1798761600},
        "The ack of auth id 10.",
    )
    v.reply(
        "reply_auth_no_expiry",
        "auth_ok",
        {"id": None, "ok": True, "expires_at": None},
        "The ack of a token without expiry.",
    )
    errors = [
        ("invalid_message", None, "frame is not one msgpack value: unpack(b) received extra data"),
        ("invalid_message", 8, "'cluster' must be a non-empty string (a cluster id)"),
        ("unknown_op", 5, "unknown op 'train': expected one of learn, infer, ping, auth"),
        ("invalid_input", 6, "inputs.in: value 0 is NaN; send finite numbers"),
        ("not_found", 11, "no cluster 'c9' in this project"),
        ("unauthorized", None, "token expired; authenticate again"),
        ("forbidden", 12, "your role in this project may infer but not learn"),
        ("too_large", 13, "inputs: 70000 values is over this server's limit of 65536"),
        ("rate_limited", 14, "over 1000 requests/s on this connection; slow down"),
        ("internal", 15, "internal error (logged as 7f3a); the request may not have applied"),
    ]
    v.reply(
        "reply_error_rate_limited_retry_after",
        "error",
        {
            "id": 16,
            "ok": False,
            "error": {"code": "rate_limited", "message": "slow down", "retry_after": 2},
        },
        "A rate_limited error saying when to retry (seconds).",
    )
    for code, rid, message in errors:
        suffix = "_no_id" if rid is None else ""
        v.reply(
            f"reply_error_{code}{suffix}",
            "error",
            {"id": rid, "ok": False, "error": {"code": code, "message": message}},
            f"An error reply with code {code}"
            + (" and nil id (the request's id was unreadable)." if rid is None else "."),
        )


def invalid(v: Vectors) -> None:
    x, y = f32([0.5]), f32([1.0])
    learn = {"op": "learn", "id": 20, "cluster": "c1", "inputs": {"in": x}, "expected": {"out": y}}
    bad = "invalid_message"

    def variant(name: str, rid: int | None, description: str, **changes: Any) -> None:
        msg = {k: val for k, val in {**learn, **changes}.items() if val is not _DROP}
        v.invalid(name, pack(msg), bad, rid, description)

    v.invalid("invalid_empty_frame", b"", bad, None, "A frame with no bytes.")
    v.invalid("invalid_not_msgpack", b"\xc1", bad, None, "0xc1 is never used by msgpack.")
    v.invalid("invalid_truncated", pack(learn)[:-3], bad, None, "A learn cut short.")
    v.invalid(
        "invalid_trailing_bytes",
        pack({"op": "ping", "id": 21}) + b"\xc0",
        bad,
        None,
        "One map followed by a second value: a frame holds exactly one map.",
    )
    v.invalid("invalid_not_a_map", pack([1, 2]), bad, None, "An array instead of a map.")
    v.invalid("invalid_int_keys", pack({1: "ping"}), bad, None, "Map keys must be strings.")
    v.invalid(
        "invalid_bad_utf8",
        b"\x82\xa2op\xa4ping\xa2id\xa2\xff\xfe",
        bad,
        None,
        "A str that is not UTF-8 (here the id).",
    )
    v.invalid("invalid_missing_op", pack({"id": 22}), bad, 22, "No 'op'; the id is echoed.")
    v.invalid("invalid_op_not_string", pack({"op": 1, "id": 23}), bad, 23, "'op' is an int.")
    v.invalid("unknown_op", pack({"op": "train", "id": 24}), "unknown_op", 24, "'train' is no op.")
    v.invalid("invalid_missing_id", pack({"op": "ping"}), bad, None, "A ping without an id.")
    v.invalid("invalid_negative_id", pack({"op": "ping", "id": -1}), bad, None, "Ids are >= 0.")
    v.invalid(
        "invalid_id_too_large",
        pack({"op": "ping", "id": MAX_ID + 1}),
        bad,
        None,
        "Id 2**53 is one past the largest id.",
    )
    v.invalid("invalid_id_bool", pack({"op": "ping", "id": True}), bad, None, "A bool is no id.")
    v.invalid("invalid_id_float", pack({"op": "ping", "id": 1.0}), bad, None, "1.0 is no id.")
    v.invalid("invalid_id_string", pack({"op": "ping", "id": "1"}), bad, None, "'1' is no id.")
    variant("invalid_missing_cluster", 20, "A learn without 'cluster'.", cluster=_DROP)
    variant("invalid_empty_cluster", 20, "An empty cluster id.", cluster="")
    variant("invalid_cluster_not_string", 20, "A cluster id must be a string.", cluster=7)
    variant("invalid_missing_inputs", 20, "A learn without 'inputs'.", inputs=_DROP)
    variant("invalid_missing_expected", 20, "A learn without 'expected'.", expected=_DROP)
    variant("invalid_inputs_not_map", 20, "'inputs' must be a map.", inputs=[x])
    variant("invalid_inputs_nil", 20, "'inputs' must be a map, not nil.", inputs=None)
    v.invalid(
        "invalid_infer_with_expected",
        pack({**learn, "op": "infer"}),
        bad,
        20,
        "An infer carrying 'expected' is refused: only a learn teaches.",
    )
    variant(
        "invalid_bin_length", 20, "A bin of 6 bytes: not whole float32s.", inputs={"in": x + y[:2]}
    )
    variant("invalid_values_strings", 20, "Numbers as strings.", inputs={"in": ["0.5"]})
    variant("invalid_values_bool", 20, "A bool is not a number.", inputs={"in": [True, 0.5]})
    variant("invalid_values_nested", 20, "Values are flat.", inputs={"in": [[0.5]]})
    variant("invalid_values_nil", 20, "nil is not a number.", inputs={"in": [None]})
    variant("invalid_values_int", 20, "A bare number is not values.", inputs={"in": 1})
    variant(
        "invalid_values_ext",
        20,
        "An ext value is not values.",
        inputs={"in": msgpack.ExtType(1, x)},
    )
    variant("invalid_empty_brick_name", 20, "Brick names are non-empty.", inputs={"": x})
    v.invalid("invalid_auth_no_token", pack({"op": "auth"}), bad, None, "Auth needs a token.")
    v.invalid(
        "invalid_auth_token_not_string",
        pack({"op": "auth", "id": 25, "token": b"tok"}),
        bad,
        25,
        "The token must be a str, not bin.",
    )


_DROP = object()


def build() -> dict[str, bytes]:
    """Every vector file name -> its exact content."""
    v = Vectors()
    sections: list[Callable[[Vectors], None]] = [requests, replies, invalid]
    for section in sections:
        section(v)
    files: dict[str, bytes] = {}
    for name, (frame, meta) in v.items.items():
        files[f"{name}.msgpack"] = frame
        files[f"{name}.json"] = (to_json(meta) + "\n").encode()
    return files


def main(argv: list[str]) -> int:
    files = build()
    on_disk = {
        p.name: p.read_bytes() for p in VECTORS.glob("*") if p.suffix in {".msgpack", ".json"}
    }
    if "--check" in argv:
        stale = sorted(set(files) ^ set(on_disk) | {n for n in files if on_disk.get(n) != files[n]})
        for name in stale:
            print(f"differs: {name}", file=sys.stderr)
        return 1 if stale else 0
    VECTORS.mkdir(exist_ok=True)
    for name in set(on_disk) - set(files):
        (VECTORS / name).unlink()
    for name, content in files.items():
        if on_disk.get(name) != content:
            (VECTORS / name).write_bytes(content)
    print(f"{len(files) // 2} vectors in {VECTORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
