"""The protocol/ folder is consistent: vector twins, regeneration, JSON meaning, schemas."""

from __future__ import annotations

import importlib.util
import json
import math
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import msgpack
import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
VECTORS = PROTOCOL / "vectors"
SCHEMAS = PROTOCOL / "schemas"
REQUEST_SCHEMAS = ("learn", "infer", "ping", "auth")
# Frames JSON Schema cannot tell from valid ones: its "integer" admits 1.0.
SCHEMA_BLIND = {"invalid_id_float"}


def _load(name: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return meta


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


def _render(obj: Any) -> Any:
    """The vectors' JSON convention, written again here: bin -> {"bin": hex, "f32": [...]}."""
    if isinstance(obj, bytes):
        out: dict[str, Any] = {"bin": obj.hex()}
        if len(obj) % 4 == 0:
            floats = [v for (v,) in struct.iter_unpack("<f", obj)]
            out["f32"] = [
                "NaN"
                if math.isnan(v)
                else ("Infinity" if v > 0 else "-Infinity")
                if math.isinf(v)
                else v
                for v in floats
            ]
        return out
    if isinstance(obj, msgpack.ExtType):
        return {"ext": obj.code, "data": obj.data.hex()}
    if isinstance(obj, dict):
        return {k: _render(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_render(v) for v in obj]
    return obj


NAMES = sorted(p.stem for p in VECTORS.glob("*.msgpack"))


def test_every_vector_has_its_json_twin_and_back() -> None:
    frames = {p.stem for p in VECTORS.glob("*.msgpack")}
    metas = {p.stem for p in VECTORS.glob("*.json")}
    assert frames == metas
    assert {p.suffix for p in VECTORS.iterdir()} == {".msgpack", ".json"}
    assert len(frames) >= 40


def _make_vectors() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", PROTOCOL / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_vectors_regenerates_the_files_exactly() -> None:
    built: dict[str, bytes] = _make_vectors().build()
    on_disk = {p.name: p.read_bytes() for p in VECTORS.iterdir()}
    assert sorted(built) == sorted(on_disk)
    for name, content in built.items():
        assert on_disk[name] == content, name


def test_vectors_cover_every_message_and_error_code() -> None:
    metas = [_load(n) for n in NAMES]
    schemas = {m.get("schema") for m in metas} - {None}
    assert schemas == {p.name.removesuffix(".schema.json") for p in SCHEMAS.iterdir()}
    codes = {m["message"]["error"]["code"] for m in metas if m.get("schema") == "error"}
    assert codes == set(_schema("error")["properties"]["error"]["properties"]["code"]["enum"])
    assert {m["expect"]["code"] for m in metas if m["kind"] == "invalid"} == {
        "invalid_message",
        "unknown_op",
    }


@pytest.mark.parametrize("name", NAMES)
def test_json_says_what_the_frame_means(name: str) -> None:
    meta = _load(name)
    frame = (VECTORS / f"{name}.msgpack").read_bytes()
    assert meta["name"] == name
    assert meta["kind"] in {"request", "reply", "invalid"}
    assert bytes.fromhex(meta["frame_hex"]) == frame
    try:
        decoded = _render(msgpack.unpackb(frame, raw=False))
    except Exception:
        decoded = None
        assert meta["kind"] == "invalid"
    assert meta["message"] == decoded


@pytest.mark.parametrize("name", [p.stem for p in SCHEMAS.glob("*.json")])
def test_schemas_are_valid_json_schemas(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(_schema(name.removesuffix(".schema")))


@pytest.mark.parametrize("name", NAMES)
def test_schemas_accept_valid_vectors_and_refuse_invalid_ones(name: str) -> None:
    meta = _load(name)
    if meta["kind"] != "invalid":
        jsonschema.validate(meta["message"], _schema(meta["schema"]))
        return
    if not isinstance(meta["message"], dict) or name in SCHEMA_BLIND:
        return
    for schema in REQUEST_SCHEMAS:
        validator = jsonschema.Draft202012Validator(_schema(schema))
        assert not validator.is_valid(meta["message"]), f"{schema} accepts {name}"
