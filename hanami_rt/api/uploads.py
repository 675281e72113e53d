"""/v1/uploads: resumable uploads of dataset files (any size up to `max_upload_bytes`).

`POST /v1/uploads {size}` starts one; `PUT /v1/uploads/{id}` sends bytes, the whole file or a
part with `Content-Range: bytes <first>-<last>/<size>`; `GET` says how many bytes the server
has, which is where an interrupted upload resumes. Then `POST /v1/datasets` names the uploads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import rule
from hanami_rt.api.scope import acting_project, visible
from hanami_rt.errors import ValidationError
from hanami_rt.storage.uploads import UploadRecord

_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass(frozen=True)
class CreateUpload:
    """A new upload of exactly `size` bytes."""

    size: int = field(metadata=rule("the file's size in bytes", minimum=1))


@dataclass(frozen=True)
class UploadOut:
    """An upload: `received` bytes of `size` are on the server; resume at `received`."""

    id: str
    size: int
    received: int
    complete: bool
    created: str
    expires: str = field(metadata=rule("removed at this time unless written to again"))


def _out(call: Call, record: UploadRecord, received: int | None = None) -> UploadOut:
    have = call.runtime.batch.uploads.received(record.id) if received is None else received
    return UploadOut(
        record.id, record.size, have, have == record.size, record.created, record.expires
    )


async def _upload(call: Call) -> UploadRecord:
    upload_id = call.path("upload_id")
    record = await call.runtime.batch.uploads.get(upload_id)
    missing = f"no upload with id {upload_id!r} (expired?); start one with POST /v1/uploads"
    return visible(call.caller, record, missing)


async def create_upload(call: Call) -> UploadOut:
    """Start an upload; 413 when `size` is over the limit."""
    body = call.body_as(CreateUpload)
    record = await call.runtime.batch.uploads.create(
        acting_project(call), call.caller.user_id, body.size
    )
    return _out(call, record, 0)


async def get_upload(call: Call) -> UploadOut:
    """How many bytes the server has: where an interrupted upload resumes."""
    return _out(call, await _upload(call))


def _start_of(header: str | None, size: int) -> int:
    if header is None:
        return 0
    match = _RANGE.match(header.strip())
    if match is None:
        raise ValidationError(f"Content-Range {header!r} is not 'bytes <first>-<last>/<size>'")
    first, last, total = (int(g) for g in match.groups())
    if total != size or last < first or last >= size:
        raise ValidationError(f"Content-Range {header!r} does not fit this upload of {size} bytes")
    return first


async def put_upload(call: Call) -> UploadOut:
    """Write the body at the Content-Range offset (0 without one); what arrives stays, even
    when the connection breaks. 409 when the offset is past what the server has."""
    record = await _upload(call)
    start = _start_of(call.request.headers.get("content-range"), record.size)
    received = await call.runtime.batch.uploads.write(record, start, call.request.stream())
    return _out(call, await _upload(call), received)


async def delete_upload(call: Call) -> None:
    """Abandon an upload."""
    record = await _upload(call)
    await call.runtime.batch.uploads.delete(record.id)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/uploads",
        create_upload,
        "Start a resumable upload",
        "datasets",
        body=CreateUpload,
        response=UploadOut,
        status=201,
        errors=(413,),
    ),
    Endpoint(
        "GET",
        "/v1/uploads/{upload_id}",
        get_upload,
        "How much of an upload arrived",
        "datasets",
        response=UploadOut,
        errors=(404,),
    ),
    Endpoint(
        "PUT",
        "/v1/uploads/{upload_id}",
        put_upload,
        "Send bytes of an upload (Content-Range: bytes first-last/size to resume)",
        "datasets",
        response=UploadOut,
        errors=(404, 409),
        stream=True,
    ),
    Endpoint(
        "DELETE",
        "/v1/uploads/{upload_id}",
        delete_upload,
        "Abandon an upload",
        "datasets",
        status=204,
        errors=(404,),
    ),
]
