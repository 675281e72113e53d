"""Small helpers for reading sysfs/procfs files: read-or-None, unique labels, log-once.

Every host reader goes through `read_text`, so a test can make any file unreadable by
monkeypatching this one function.
"""

from __future__ import annotations

import logging
from collections import Counter as _Tally
from collections.abc import Iterable
from pathlib import Path

__all__ = ["OnceLog", "read_int", "read_text", "unique_labels"]


def read_text(path: Path) -> str:
    """The stripped contents of `path`; raises OSError like `open` (PermissionError, ...)."""
    return path.read_text(encoding="utf-8", errors="replace").strip()


def read_int(path: Path) -> int:
    """The integer in `path`; raises OSError if unreadable and ValueError if not an integer."""
    return int(read_text(path))


def unique_labels(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Label per (label, source id); labels that collide get "@<source id>" so none repeat."""
    items = list(pairs)
    tally = _Tally(label for label, _ in items)
    return [label if tally[label] == 1 else f"{label}@{source}" for label, source in items]


class OnceLog:
    """Logs each distinct reason once per instance, so a broken source does not flood logs."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()

    def warning(self, key: str, message: str, *args: object) -> None:
        """Log `message` at WARNING the first time `key` is seen."""
        self._log(logging.WARNING, key, message, args)

    def info(self, key: str, message: str, *args: object) -> None:
        """Log `message` at INFO the first time `key` is seen."""
        self._log(logging.INFO, key, message, args)

    def _log(self, level: int, key: str, message: str, args: tuple[object, ...]) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self._logger.log(level, message, *args)
