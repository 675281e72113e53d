"""Resumable uploads: declared size, bytes written in place at `Content-Range` offsets, expiry.

The bytes live in the blob store under `uploads/<id>`; what arrived before an interruption
stays, so a client asks how much the server has (`received`) and sends the rest. Uploads not
written to for `upload_expiry_s` are removed by a periodic sweep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

from hanami_rt.errors import Conflict, NotFound, TooLarge, ValidationError
from hanami_rt.service.periodic import Periodic
from hanami_rt.storage import BlobStore, utc_now
from hanami_rt.storage.uploads import UploadRecord, UploadRepository


def upload_key(upload_id: str) -> str:
    """Where an upload's bytes live in the blob store."""
    return f"uploads/{upload_id}"


def _later(seconds: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class UploadService:
    """Create, write, inspect and sweep uploads."""

    def __init__(
        self, repo: UploadRepository, blobs: BlobStore, max_bytes: int, expiry_s: float
    ) -> None:
        self._repo = repo
        self._blobs = blobs
        self.max_bytes = max_bytes
        self._expiry_s = expiry_s
        sweep_every_s = min(60.0, expiry_s / 4)
        self._periodic = Periodic(sweep_every_s, self.sweep, "sweeping expired uploads")
        self._writing: dict[str, asyncio.Lock] = {}  # one PUT at a time per upload

    async def create(self, project_id: str, owner_id: str, size: int) -> UploadRecord:
        """A new, empty upload of `size` bytes; TooLarge over the limit."""
        if size > self.max_bytes:
            raise TooLarge(f"an upload of {size} bytes is over the limit of {self.max_bytes} bytes")
        record = UploadRecord(
            str(uuid.uuid4()), project_id, owner_id, size, utc_now(), _later(self._expiry_s)
        )
        await self._repo.create(record)
        handle = self._blobs.write_at(upload_key(record.id), 0)
        handle.close()
        return record

    async def get(self, upload_id: str) -> UploadRecord | None:
        """The upload, or None when unknown or expired."""
        record = await self._repo.get(upload_id)
        if record is None or record.expires <= utc_now():
            return None
        return record

    def received(self, upload_id: str) -> int:
        """How many bytes the server has (the offset to resume at)."""
        return self._blobs.size(upload_key(upload_id)) or 0

    async def write(self, record: UploadRecord, start: int, chunks: AsyncIterator[bytes]) -> int:
        """Write `chunks` from byte `start`; keeps what arrived even when the client drops
        out. Returns the bytes received so far. A PUT waits for an earlier one on the same
        upload (say, a broken connection still being wound up) to finish first."""
        async with self._writing.setdefault(record.id, asyncio.Lock()):
            return await self._write(record, start, chunks)

    async def _write(self, record: UploadRecord, start: int, chunks: AsyncIterator[bytes]) -> int:
        have = self.received(record.id)
        if start > have:
            raise Conflict(
                f"the server has {have} bytes of upload {record.id}; resume at byte {have}"
            )
        handle = self._blobs.write_at(upload_key(record.id), start)
        at = start
        try:
            async for chunk in chunks:
                if at + len(chunk) > record.size:
                    raise TooLarge(
                        f"the upload was declared as {record.size} bytes; this write goes past it"
                    )
                handle.write(chunk)
                at += len(chunk)
        finally:
            handle.close()
            await self._repo.touch(record.id, _later(self._expiry_s))
        return at

    async def delete(self, upload_id: str) -> None:
        """Forget an upload and its bytes."""
        self._writing.pop(upload_id, None)
        await self._repo.delete(upload_id)
        await asyncio.to_thread(self._blobs.delete, upload_key(upload_id))

    async def delete_in_project(self, project_id: str) -> int:
        """Forget every upload of the project, finished or not: the rows, then the bytes;
        returns how many. Rows go first, so a crash in between leaves at worst files no row
        names (never an upload whose bytes are gone). A PUT still streaming into one of them
        writes into a removed file and then answers 404."""
        removed = await self._repo.delete_in_project(project_id)
        for upload_id in removed:
            self._writing.pop(upload_id, None)
        await asyncio.to_thread(self._blobs.delete_all, [upload_key(i) for i in removed])
        return len(removed)

    async def complete(self, upload_id: str, project_id: str, owner_id: str) -> UploadRecord:
        """An upload of the caller that has all its bytes; NotFound / ValidationError else."""
        record = await self.get(upload_id)
        if record is None or (record.project_id, record.owner_id) != (project_id, owner_id):
            raise NotFound(f"no upload with id {upload_id!r}; start one with POST /v1/uploads")
        have = self.received(upload_id)
        if have != record.size:
            raise ValidationError(
                f"upload {upload_id} has {have} of its {record.size} bytes; send the rest "
                f"with PUT /v1/uploads/{upload_id} and Content-Range: bytes {have}-"
            )
        return record

    async def sweep(self) -> int:
        """Remove expired uploads; returns how many."""
        gone = await self._repo.expired(utc_now())
        for record in gone:
            await self.delete(record.id)
        return len(gone)

    def start(self) -> None:
        """Start the periodic sweep on the running loop."""
        self._periodic.start()

    async def stop(self) -> None:
        """Stop the sweep."""
        await self._periodic.stop()
