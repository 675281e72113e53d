"""The closed set of typed messages: four requests and four replies, all frozen dataclasses.

Value arrays are 1-D little-endian float32 and may be read-only views on the received frame;
dataclasses holding arrays compare by identity (`eq=False`), since arrays have no truth value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from hanami_rt.wire.codes import ErrorCode

Values: TypeAlias = NDArray[np.float32]
Bricks: TypeAlias = Mapping[str, Values]


@dataclass(frozen=True, slots=True, eq=False)
class LearnRequest:
    """Run the forward pass on `inputs`, reply with its outputs, then learn towards `expected`."""

    id: int
    cluster: str
    inputs: Bricks
    expected: Bricks


@dataclass(frozen=True, slots=True, eq=False)
class InferRequest:
    """Run the forward pass on `inputs` and reply with the outputs; the network is unchanged."""

    id: int
    cluster: str
    inputs: Bricks


@dataclass(frozen=True, slots=True)
class PingRequest:
    """Ask for an immediate empty ok reply (liveness and round-trip measurement)."""

    id: int


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """Authenticate the connection (or refresh its token); `id` is optional and echoed."""

    token: str
    id: int | None = None

    def __repr__(self) -> str:
        return f"AuthRequest(token=<{len(self.token)} chars>, id={self.id!r})"


Request: TypeAlias = LearnRequest | InferRequest | PingRequest | AuthRequest


@dataclass(frozen=True, slots=True, eq=False)
class OutputsReply:
    """The answer to a learn or infer: the output bricks of the forward pass."""

    id: int
    outputs: Bricks


@dataclass(frozen=True, slots=True)
class PongReply:
    """The answer to a ping."""

    id: int


@dataclass(frozen=True, slots=True)
class AuthReply:
    """The ack of an auth frame; `expires_at`: the token's expiry in Unix seconds, if any."""

    id: int | None
    expires_at: int | None


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """A refused request; `id` is None when the request's id could not be read.

    `code` is an ErrorCode when sent by this server; a decoded reply keeps unknown codes as str.
    `retry_after` (seconds) may come with `rate_limited`.
    """

    id: int | None
    code: ErrorCode | str
    message: str
    retry_after: int | None = None


Reply: TypeAlias = OutputsReply | PongReply | AuthReply | ErrorReply
