"""The sans-I/O websocket codec: msgpack frames <-> typed messages; pure functions, no awaits.

The server calls `decode_request` on each frame and an `encode_*` function for its reply; a
WireError carries the error code (and the id when readable) so the server can still answer.
"""

from hanami_rt.wire.codes import (
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHORIZED,
    DEFAULT_AUTH_TIMEOUT_S,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_PIPELINE_DEPTH,
    MAX_ID,
    PROTOCOL_VERSION,
    ErrorCode,
    WireError,
)
from hanami_rt.wire.decoder import decode_reply, decode_request
from hanami_rt.wire.encoder import (
    encode_auth_ok,
    encode_error,
    encode_outputs,
    encode_pong,
    encode_reply,
    encode_request,
)
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
from hanami_rt.wire.values import F32, bin_to_values, list_to_values, values_to_bin

__all__ = [
    "CLOSE_TOO_BIG",
    "CLOSE_UNAUTHORIZED",
    "DEFAULT_AUTH_TIMEOUT_S",
    "DEFAULT_MAX_FRAME_BYTES",
    "DEFAULT_PIPELINE_DEPTH",
    "F32",
    "MAX_ID",
    "PROTOCOL_VERSION",
    "AuthReply",
    "AuthRequest",
    "Bricks",
    "ErrorCode",
    "ErrorReply",
    "InferRequest",
    "LearnRequest",
    "OutputsReply",
    "PingRequest",
    "PongReply",
    "Reply",
    "Request",
    "Values",
    "WireError",
    "bin_to_values",
    "decode_reply",
    "decode_request",
    "encode_auth_ok",
    "encode_error",
    "encode_outputs",
    "encode_pong",
    "encode_reply",
    "encode_request",
    "list_to_values",
    "values_to_bin",
]
