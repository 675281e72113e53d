"""/v1/error-log: unexpected exceptions with their tracebacks, paged (admin only)."""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import PageQuery
from hanami_rt.storage import ErrorEntry


@dataclass(frozen=True)
class ErrorPage:
    """A page of error-log entries, oldest first; pass `next_after` as `after` for the next."""

    items: list[ErrorEntry]
    next_after: int | None


async def list_error_log(call: Call) -> ErrorPage:
    """Entries with seq > after."""
    page = call.query_as(PageQuery)
    items = await call.runtime.error_log.page(page.after, page.limit)
    return ErrorPage(items, items[-1].seq if len(items) == page.limit else None)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/error-log",
        list_error_log,
        "Page through the error log",
        "logs",
        query=PageQuery,
        response=ErrorPage,
    ),
]
