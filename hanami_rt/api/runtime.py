"""Everything a running server holds: database, repositories, auth, registry, persistence.

Built by the lifespan in `app.py` (`Runtime.start`), torn down by `stop`. Startup is in two
steps: `start` opens/migrates the database, bootstraps the first admin and loads the JWT key;
`restore` (a background task) brings every cluster back and warms the kernels, then marks the
runtime ready. Endpoints that need clusters wait for that with `until_ready`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, field

from hanami_rt.api.busy_poll import BusyPoll
from hanami_rt.api.sockets import OpenSockets
from hanami_rt.auth import (
    LoginThrottle,
    Policy,
    Principal,
    ScryptCost,
    TokenIssuer,
    load_or_create_key,
    role_for,
)
from hanami_rt.core import warm_up
from hanami_rt.errors import Unauthorized, Unavailable
from hanami_rt.service.batch import Batch
from hanami_rt.service.bootstrap import ensure_admin
from hanami_rt.service.clusters import ClusterService
from hanami_rt.service.dispatcher import Dispatcher
from hanami_rt.service.native import NativeWorkers
from hanami_rt.service.persistence import Persister
from hanami_rt.service.registry import Registry
from hanami_rt.service.workers import Workers
from hanami_rt.settings import Settings
from hanami_rt.storage import (
    AuditLogRepository,
    BlobStore,
    ClusterRepository,
    Database,
    ErrorLogRepository,
    MembershipRepository,
    ProjectRepository,
    UserRepository,
)
from hanami_rt.telemetry.hub import Telemetry

log = logging.getLogger(__name__)
_RELOGIN = "log in again with POST /v1/token"


@dataclass
class Runtime:
    """The live state of one server process; one per `create_app` lifespan."""

    settings: Settings
    db: Database
    users: UserRepository
    projects: ProjectRepository
    memberships: MembershipRepository
    cluster_rows: ClusterRepository
    audit_log: AuditLogRepository
    error_log: ErrorLogRepository
    workers: Workers
    registry: Registry
    persister: Persister
    clusters: ClusterService
    issuer: TokenIssuer
    policy: Policy
    throttle: LoginThrottle
    scrypt: ScryptCost
    batch: Batch  # uploads, datasets, tasks, checkpoints
    dispatcher: Dispatcher  # where websocket learns/infers run (inline, native thread, worker)
    busy_poll: BusyPoll  # the event loop's polling window after websocket replies
    sockets: OpenSockets = field(default_factory=OpenSockets)  # to close on revoked access
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    startup_error: BaseException | None = None
    telemetry: Telemetry | None = None  # metrics; tasks report with telemetry.instruments
    loop: asyncio.AbstractEventLoop | None = None  # the server's loop, for other threads
    _restore_task: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, settings: Settings, telemetry: Telemetry | None = None) -> Runtime:
        """Open and migrate the database, make the first admin, load keys and policy;
        `telemetry` (the app's) meters the work run through the registry."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        policy = Policy.load(settings.policy_file)
        key = load_or_create_key(settings.jwt_key_path)
        db = await Database.open(settings.database_file)
        scrypt = ScryptCost(settings.scrypt_n, settings.scrypt_r, settings.scrypt_p)
        users = UserRepository(db)
        await ensure_admin(
            users, settings.admin_user, settings.admin_password, settings.data_dir, scrypt
        )
        workers = Workers(settings.workers)
        registry = Registry(workers, telemetry.work if telemetry is not None else None)
        blobs = BlobStore(settings.data_dir / "blobs")
        cluster_rows = ClusterRepository(db)
        error_log = ErrorLogRepository(db)
        persister = Persister(registry, workers, blobs, cluster_rows, settings.persist_interval_s)
        runtime = cls(
            settings=settings,
            db=db,
            users=users,
            projects=ProjectRepository(db),
            memberships=MembershipRepository(db),
            cluster_rows=cluster_rows,
            audit_log=AuditLogRepository(db),
            error_log=error_log,
            workers=workers,
            registry=registry,
            persister=persister,
            clusters=ClusterService(registry, workers, cluster_rows, blobs, persister, error_log),
            issuer=TokenIssuer(key, settings.token_lifetime_s),
            policy=policy,
            throttle=LoginThrottle(settings.login_max_failures, settings.login_window_s),
            scrypt=scrypt,
            batch=Batch.build(
                settings,
                db,
                registry,
                workers,
                blobs,
                persister,
                telemetry.instruments if telemetry is not None else None,
            ),
            dispatcher=Dispatcher(registry, settings.ws_inline_max_us * 1e-6),
            busy_poll=BusyPoll(
                settings.ws_busy_poll_us * 1e-6,
                telemetry.instruments.ws_busy_poll.inc if telemetry is not None else None,
            ),
            telemetry=telemetry,
        )
        runtime.loop = asyncio.get_running_loop()
        runtime._restore_task = runtime.loop.create_task(runtime._restore())
        return runtime

    async def _restore(self) -> None:
        try:
            restored = await self.clusters.restore_all()
            if self.settings.warmup:
                await self.workers.run(warm_up)
            if self.settings.natives:
                await self._start_native(self.settings.natives)
            log.info("restored %d cluster(s); ready", restored)
            # Startup leaves ~130k objects (numba, llvmlite) that every collection would scan
            # again: freezing them cut the websocket round trip from ~97 to ~74 us (p50).
            gc.collect()
            gc.freeze()
            self.persister.start()
            await self.batch.start()
        except Exception as exc:  # not ready, ever: /readyz keeps saying why
            log.exception("startup failed")
            self.startup_error = exc
        self.ready.set()

    async def _start_native(self, threads: int) -> None:
        """Start the native threads (compiled or loaded from numba's cache off the loop). Where
        they cannot run (no eventfd or pthreads, say), the worker threads do their work."""
        try:
            self.registry.native = await self.workers.run(NativeWorkers, threads)
        except Exception:
            log.exception("no native threads; crowded websocket requests use the worker threads")
        else:
            log.info("%d native thread(s) for crowded websocket requests", threads)

    async def until_ready(self) -> None:
        """Wait until clusters are restored; raise the startup failure if there was one."""
        await self.ready.wait()
        if self.startup_error is not None:
            raise Unavailable(f"the server failed to start ({self.startup_error}); see its log")

    @property
    def is_ready(self) -> bool:
        """True once startup finished without error."""
        return self.ready.is_set() and self.startup_error is None

    async def stop(self) -> None:
        """Finish startup if still running, persist every changed cluster, close everything."""
        if self._restore_task is not None:
            await self._restore_task
        try:
            await self.batch.stop()  # running tasks end (as failed) before the last save
            if self.startup_error is None:
                await self.persister.stop()
        finally:
            if self.registry.native is not None:
                self.registry.native.close()
            self.workers.shutdown()
            await self.db.close()

    async def role_in(self, user_id: str, is_admin: bool, project_id: str | None) -> str | None:
        """The user's role in a project now (None when not a member)."""
        membership = None
        if not is_admin and project_id is not None:  # else the role needs no membership
            membership = await self.memberships.get(user_id, project_id)
        return role_for(is_admin, project_id, membership.is_project_admin if membership else None)

    async def authenticate(self, token: str) -> Principal:
        """Verify a token and re-check it against the database (deleted users, revoked
        memberships, deleted projects and changed admin flags take effect at once). One query:
        the user, whether the token's project still exists, and the membership there.

        A token whose project was deleted is refused for everyone, admins too (an admin's role
        needs no membership, so the project's existence is checked itself): it would otherwise
        create uploads and checkpoints in a project that no longer exists."""
        claimed = self.issuer.verify(token)
        standing = await self.users.standing(claimed.user_id, claimed.project_id)
        if standing is None:
            raise Unauthorized(f"user {claimed.user_id!r} no longer exists; {_RELOGIN}")
        user = standing.user
        if claimed.project_id is not None and not standing.project_exists:
            raise Unauthorized(
                f"project {claimed.project_id!r} of this token no longer exists; get a new "
                "token with POST /v1/token (for another project, or none)"
            )
        role = role_for(user.is_admin, claimed.project_id, standing.is_project_admin)
        if role is None:
            raise Unauthorized(
                f"you are no longer a member of project {claimed.project_id!r}; {_RELOGIN}"
            )
        return Principal(
            user_id=user.id,
            project_id=claimed.project_id,
            role=role,
            is_admin=user.is_admin,
            token_id=claimed.token_id,
            expires_at=claimed.expires_at,
        )
