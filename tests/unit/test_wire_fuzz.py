"""Whatever the bytes, the codec either returns a message or raises WireError (seeded mutations)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hanami_rt.wire import Reply, Request, WireError, decode_reply, decode_request

VECTORS = Path(__file__).resolve().parents[2] / "protocol" / "vectors"
FRAMES = sorted(VECTORS.glob("*.msgpack"))


def _mutations(frame: bytes, rng: random.Random, count: int) -> list[bytes]:
    """Truncations, flipped bytes, inserted and deleted bytes of one frame."""
    out = [frame[:cut] for cut in range(min(len(frame), 40))]
    for _ in range(count):
        data = bytearray(frame)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(data) + 1)
            match rng.randrange(3):
                case 0 if pos < len(data):
                    data[pos] = rng.randrange(256)
                case 1:
                    data[pos:pos] = bytes([rng.randrange(256)])
                case _:
                    del data[pos : pos + 1]
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("path", FRAMES, ids=lambda p: p.stem)
def test_mutated_frames_decode_or_raise_wire_error_only(path: Path) -> None:
    frame = path.read_bytes()
    for mutated in _mutations(frame, random.Random(path.stem), 60):
        try:
            request = decode_request(mutated)
        except WireError as error:
            assert error.id is None or isinstance(error.id, int)
        else:
            assert isinstance(request, Request)
        try:
            reply = decode_reply(mutated)
        except WireError:
            pass
        else:
            assert isinstance(reply, Reply)
