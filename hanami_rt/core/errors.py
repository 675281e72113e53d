"""Exceptions raised by the core; all are ValueErrors so callers may treat them as bad input.

ValueError
└── CoreError
    ├── TemplateError     a template that cannot be parsed or validated (names the line)
    ├── InputError        learn/infer input of the wrong brick, length or value
    └── CheckpointError   bytes that are not a whole, intact checkpoint of a known version
"""

from __future__ import annotations


class CoreError(ValueError):
    """Base of every error the core raises on bad input."""


class TemplateError(CoreError):
    """A template is malformed or inconsistent; `line` is 1-based when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


class InputError(CoreError):
    """Input or expected values that do not fit the network (unknown brick, length, NaN)."""


class CheckpointError(CoreError):
    """A checkpoint is truncated, corrupted, or of an unknown format version."""
