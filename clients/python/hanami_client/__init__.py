"""hanami-rt's Python SDK: `Client` / `AsyncClient` for REST, `Session` for the realtime socket."""

from hanami_client.async_client import AsyncClient
from hanami_client.client import Client
from hanami_client.errors import (
    AuthError,
    ConflictError,
    ConnectionLost,
    HanamiError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from hanami_client.models import (
    Check,
    Checkpoint,
    Cluster,
    Dataset,
    Membership,
    Project,
    Result,
    Series,
    System,
    Task,
    Token,
    User,
)
from hanami_client.session import AsyncSession, Prediction
from hanami_client.sync_session import Session

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AsyncSession",
    "AuthError",
    "Check",
    "Checkpoint",
    "Client",
    "Cluster",
    "ConflictError",
    "ConnectionLost",
    "Dataset",
    "HanamiError",
    "Membership",
    "NotFoundError",
    "Prediction",
    "Project",
    "Result",
    "Series",
    "ServerError",
    "Session",
    "System",
    "Task",
    "Token",
    "User",
    "ValidationError",
]
