"""Persistence: the SQL database (repositories, one per table) and blob files.

Only this package speaks SQL or touches state files, so PostgreSQL and object storage can
replace SQLite and the data directory without changes above it.
"""

from hanami_rt.storage.blobs import BlobStore
from hanami_rt.storage.clusters import ClusterRepository
from hanami_rt.storage.database import Database, utc_now
from hanami_rt.storage.logs import AuditLogRepository, ErrorLogRepository
from hanami_rt.storage.memberships import MembershipRepository
from hanami_rt.storage.projects import ProjectRepository
from hanami_rt.storage.records import (
    AuditEntry,
    ClusterRecord,
    ErrorEntry,
    Membership,
    Project,
    Standing,
    User,
)
from hanami_rt.storage.users import UserRepository

__all__ = [
    "AuditEntry",
    "AuditLogRepository",
    "BlobStore",
    "ClusterRecord",
    "ClusterRepository",
    "Database",
    "ErrorEntry",
    "ErrorLogRepository",
    "Membership",
    "MembershipRepository",
    "Project",
    "ProjectRepository",
    "Standing",
    "User",
    "UserRepository",
    "utc_now",
]
