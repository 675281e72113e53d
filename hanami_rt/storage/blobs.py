"""File storage behind one small interface, so object storage can replace the directory later."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from hanami_rt.files import atomic_writer, write_atomic

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class BlobStore:
    """Whole-object put/get/delete under string keys, in a directory; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"invalid blob key {key!r}")
        return self._root / key

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`: temp file, fsync, rename, so readers see old or new."""
        write_atomic(self._path(key), data)

    def writer(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Stream a new object into `key`; it appears atomically (fsync, rename) on success
        and not at all when the block raises."""
        return atomic_writer(self._path(key))

    def write_at(self, key: str, offset: int) -> BinaryIO:
        """Open `key` (created if missing) cut to `offset` bytes, positioned there: the
        in-place writes of a resumable upload, where whatever arrived must stay."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "r+b" if path.exists() else "w+b")  # the caller closes it
        handle.truncate(offset)
        handle.seek(offset)
        return handle

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is none."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def local_path(self, key: str) -> Path:
        """A local file holding `key`, for memory-mapping (object storage would cache here)."""
        return self._path(key)

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None when there are none."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        self._path(key).unlink(missing_ok=True)

    def delete_all(self, keys: Iterable[str]) -> None:
        """Remove each of `keys` that is present."""
        for key in keys:
            self.delete(key)
