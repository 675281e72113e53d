"""The typed messages of protocol/PROTOCOL.md version 1: four requests, four replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

Values = NDArray[np.float32]
Bricks = dict[str, Values]
MAX_ID = 2**53 - 1


@dataclass(frozen=True)
class LearnRequest:
    """Forward pass on `inputs`, then learn towards `expected`."""

    op: ClassVar[str] = "learn"
    id: int
    cluster: str
    inputs: Bricks
    expected: Bricks


@dataclass(frozen=True)
class InferRequest:
    """Forward pass only."""

    op: ClassVar[str] = "infer"
    id: int
    cluster: str
    inputs: Bricks


@dataclass(frozen=True)
class PingRequest:
    """Answered at once; touches no cluster."""

    op: ClassVar[str] = "ping"
    id: int


@dataclass(frozen=True)
class AuthRequest:
    """First-frame authentication, or a token refresh."""

    op: ClassVar[str] = "auth"
    token: str
    id: int | None = None


Request = LearnRequest | InferRequest | PingRequest | AuthRequest


@dataclass(frozen=True)
class OutputsReply:
    """The forward pass's outputs (of a learn: the prediction before learning)."""

    id: int
    outputs: Bricks


@dataclass(frozen=True)
class PongReply:
    """The answer to a ping."""

    id: int


@dataclass(frozen=True)
class AuthOkReply:
    """An accepted auth frame; `expires_at` in Unix seconds, None without expiry."""

    id: int | None
    expires_at: int | None


@dataclass(frozen=True)
class ErrorReply:
    """A refused request; programs act on `code` only."""

    id: int | None
    code: str
    message: str
    retry_after: int | None = None


Reply = OutputsReply | PongReply | AuthOkReply | ErrorReply


class ProtocolError(ValueError):
    """A frame that breaks the protocol: the error code and id a receiver answers with."""

    def __init__(self, code: str, message: str, id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id
