"""The realtime protocol (protocol/PROTOCOL.md v1), implemented here without the server's code."""

from hanami_client.wire.codec import decode_reply, decode_request, encode_reply, encode_request
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

PATH = "/v1/ws"
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009

__all__ = [
    "CLOSE_TOO_BIG",
    "CLOSE_UNAUTHORIZED",
    "MAX_ID",
    "PATH",
    "AuthOkReply",
    "AuthRequest",
    "Bricks",
    "ErrorReply",
    "InferRequest",
    "LearnRequest",
    "OutputsReply",
    "PingRequest",
    "PongReply",
    "ProtocolError",
    "Reply",
    "Request",
    "Values",
    "decode_reply",
    "decode_request",
    "encode_reply",
    "encode_request",
]
