"""/v1/audit-log: every mutating request, paged.

Admins see all of it, deleted projects included. Project admins see their project's entries
since the project was created: not those of an earlier project deleted under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import PageQuery
from hanami_rt.storage import AuditEntry


@dataclass(frozen=True)
class AuditPage:
    """A page of audit entries, oldest first; pass `next_after` as `after` for the next."""

    items: list[AuditEntry]
    next_after: int | None


async def list_audit_log(call: Call) -> AuditPage:
    """Entries with seq > after (a project admin: of the current project under its id)."""
    page = call.query_as(PageQuery)
    caller = call.caller
    project = None if caller.is_admin else caller.project_id
    items = await call.runtime.audit_log.page(page.after, page.limit, project_id=project)
    full = len(items) == page.limit
    return AuditPage(items, items[-1].seq if full else None)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/audit-log",
        list_audit_log,
        "Page through the audit log",
        "logs",
        query=PageQuery,
        response=AuditPage,
    ),
]
