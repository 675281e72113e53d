"""The one error table: every class maps to one status and code; the wire uses the same codes."""

from __future__ import annotations

from hanami_rt import errors
from hanami_rt.core import CheckpointError, InputError, TemplateError
from hanami_rt.wire.codes import ErrorCode


def test_table_rows() -> None:
    expected = {
        errors.InvalidMessage: (400, "invalid_message"),
        errors.UnknownOp: (400, "unknown_op"),
        errors.ValidationError: (400, "validation_error"),
        InputError: (400, "invalid_input"),
        TemplateError: (400, "invalid_template"),
        CheckpointError: (400, "invalid_checkpoint"),
        errors.Unauthorized: (401, "unauthorized"),
        errors.Forbidden: (403, "forbidden"),
        errors.NotFound: (404, "not_found"),
        errors.Conflict: (409, "conflict"),
        errors.TooLarge: (413, "too_large"),
        errors.RateLimited: (429, "rate_limited"),
    }
    for cls, (status, code) in expected.items():
        kind = errors.ERROR_TABLE[cls]
        assert (kind.status, kind.code) == (status, code), cls


def test_unexpected_exceptions_have_no_row() -> None:
    assert errors.kind_of(KeyError("x")) is None
    assert errors.kind_of(TemplateError("bad", line=3)) == errors.ErrorKind(400, "invalid_template")


def test_template_errors_name_line_and_reason() -> None:
    kind, message = errors.describe(TemplateError("expected a number", line=7))
    assert kind.code == "invalid_template"
    assert "line 7" in message and "expected a number" in message


def test_every_wire_code_is_in_the_table() -> None:
    assert {code.value for code in ErrorCode} <= errors.ERROR_CODES
