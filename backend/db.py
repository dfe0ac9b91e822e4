"""Declarative base, shared column mixins and the session holder.

One ``Database`` object owns the engine and a thread-scoped session. Requests and jobs commit
once at their boundary; operations only ``flush()``. Tests re-bind the session to a connection
in ``create_savepoint`` mode so every test rolls back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypedDict, TypeVar

from sqlalchemy import DateTime, Engine, Integer, MetaData, Select, create_engine, select, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
)

from backend.pool_ping import ping_when_idle

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def str_enum(enum_class: type[enum.StrEnum], length: int) -> SAEnum:
    """A column of ``enum_class`` members stored as their values in the existing VARCHAR column
    (no PostgreSQL enum type, no extra CHECK): rows load as members, and a ``StrEnum`` member
    is its value, so JSON and comparisons with plain strings are unchanged."""
    return SAEnum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
        dict[str, Any]: JSONB,
    }


class UUIDPk:
    """UUID primary key; records made offline arrive with a client-generated id."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic concurrency: SQLAlchemy bumps ``version`` on every UPDATE and refuses a
    write whose row changed underneath (StaleDataError); the API also compares the client's
    ``version``/``If-Match`` before writing."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class SyncTracked:
    """Marker for entities that phones mirror. The sync package writes a change-log row for
    every insert/update/delete of such an instance in the same transaction (see
    docs/sync-protocol.md). ``__sync_entity__`` is the collection name used on the wire
    (``tickets``, ``notes``...)."""

    __sync_entity__: ClassVar[str]


M = TypeVar("M")


def get_or_404(model: type[M], ident: Any, *, label: str, field: str | None = None) -> M:
    """The row whose primary key is ``ident``, or NotFound naming it, and the input field that
    referred to it when there is one (``{"site_id": ["unknown site"]}``)."""
    from backend.errors import NotFound

    obj = db.session.get(model, ident)
    if obj is None:
        errors = {field: [f"unknown {label}"]} if field else None
        raise NotFound(f"{label} {ident} not found", errors=errors)
    return obj


def added(obj: M) -> M:
    """``obj`` added to the session and flushed, so its id and column defaults are set when an
    operation returns it; operations only flush, the request or job boundary commits."""
    db.session.add(obj)
    db.session.flush()
    return obj


def by_name(model: type[M]) -> Select[M]:
    """Every row of ``model`` in listing order: by name, then by id, so rows with the same
    name keep one order and a page boundary never repeats or skips one."""
    entity: Any = model
    return select(entity).order_by(entity.name, entity.id)


def extend_timeouts(seconds: float) -> None:
    """Raise this transaction's statement and idle-in-transaction limits to ``seconds``
    (``SET LOCAL``: they fall back when it ends). For jobs that keep a transaction open
    while they compute, e.g. the route optimizer reading its inputs then searching."""
    ms = max(1, int(seconds * 1000))
    db.session.execute(text(f"SET LOCAL statement_timeout = {ms}"))
    db.session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {ms}"))


def release_read(*, expire: bool = True) -> None:
    """End the session's transaction before slow work (Pillow, a storage put, a PDF render)
    if it has only read: the connection goes back to the pool instead of sitting idle in a
    transaction, and no snapshot is kept meanwhile. A transaction that has written anything
    (pending objects, or a transaction id assigned by an earlier flush, as in the test
    suite's outer transaction) is left alone: its one commit stays at the boundary.

    Loaded objects are expired (``expire``) so the locking reads that follow the slow work
    see the rows as they are then, not as they were: ``SELECT ... FOR UPDATE`` does not
    refresh an object already in the identity map. Pass ``expire=False`` only when nothing
    read before is written or trusted afterwards (a render of what was collected)."""
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is not None:
        return
    session.commit()
    if expire:
        session.expire_all()


# Session.info key: the replica engine this request's reads go to (backend.replicas).
READ_REPLICA = "fieldops_read_replica"
# Execution option of a read that must see the primary even in a replica request: the session
# check (a logout works at once, not after the replica's lag).
PRIMARY = "fieldops_primary"


class RoutedSession(Session):
    """A session whose reads go to a replica when the request chose one
    (``info[READ_REPLICA]``); writes (flushes, DML) and reads marked ``PRIMARY`` stay on the
    primary. Without a replica chosen it is a plain session."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        replica = self.info.get(READ_REPLICA)
        if replica is not None and not self._flushing and not _needs_primary(clause):
            return replica
        return super().get_bind(mapper, clause=clause, **kw)


def _needs_primary(clause: Any) -> bool:
    if clause is None:
        return False
    if getattr(clause, "is_dml", False):
        return True
    options = getattr(clause, "get_execution_options", None)
    return bool(options and options().get(PRIMARY))


class ConnectionOptions(TypedDict):
    """How every connection is made, to the primary and to the replicas (``Database.init``)."""

    statement_timeout_ms: int
    idle_in_transaction_timeout_ms: int
    pooled: bool
    prepare_threshold: int | None


def engine_options(
    url: str,
    *,
    statement_timeout_ms: int,
    idle_in_transaction_timeout_ms: int,
    pooled: bool = False,
    prepare_threshold: int | None = None,
    **engine_kw: Any,
) -> dict[str, Any]:
    """``create_engine`` keywords for the primary and the replicas alike (``Database.init``
    says why each one)."""
    # Checked before use only after resting in the pool (``backend.pool_ping``), not on every
    # checkout as ``pool_pre_ping`` would.
    engine_kw.setdefault("pool_pre_ping", False)
    if url.startswith("postgresql"):
        connect_args = dict(engine_kw.pop("connect_args", {}) or {})
        connect_args.setdefault("prepare_threshold", prepare_threshold)
        if not pooled:
            options = (
                f"-c statement_timeout={int(statement_timeout_ms)}"
                f" -c idle_in_transaction_session_timeout={int(idle_in_transaction_timeout_ms)}"
            )
            connect_args["options"] = f"{connect_args.get('options', '')} {options}".strip()
        engine_kw["connect_args"] = connect_args
    engine_kw.setdefault("pool_size", 10)
    engine_kw.setdefault("max_overflow", 20)
    return engine_kw


class Database:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=RoutedSession, expire_on_commit=False, autoflush=True)
        )

    def init(
        self,
        url: str,
        *,
        statement_timeout_ms: int,
        idle_in_transaction_timeout_ms: int,
        pooled: bool = False,
        prepare_threshold: int | None = None,
        **engine_kw: Any,
    ) -> None:
        """Bind the engine. Every connection gets ``statement_timeout`` and
        ``idle_in_transaction_session_timeout`` (0 disables either; the values, and their
        defaults, are the settings ``DB_STATEMENT_TIMEOUT_MS`` and
        ``DB_IDLE_IN_TRANSACTION_TIMEOUT_MS``): a transaction left open (a request stuck on
        slow I/O, a crashed job) holds row locks and, because the sync pull horizon is
        cluster-wide, holds back every engineer's pull; the server ends it instead of letting
        it last. Work that legitimately needs longer raises its own limit
        with ``SET LOCAL`` (see ``extend_timeouts``).

        ``pooled``: ``url`` is a transaction pooler (PgBouncer), which refuses ``options`` in
        the startup packet; the timeouts then come from the database's own defaults, which
        ``fieldops db upgrade`` sets (``backend.migrate.set_timeouts``). Statements are never
        prepared server-side unless ``prepare_threshold`` says after how many runs: behind a
        pooler a prepared name would reach another server connection."""
        engine_kw = engine_options(
            url,
            statement_timeout_ms=statement_timeout_ms,
            idle_in_transaction_timeout_ms=idle_in_transaction_timeout_ms,
            pooled=pooled,
            prepare_threshold=prepare_threshold,
            **engine_kw,
        )
        self.engine = create_engine(url, **engine_kw)
        if not engine_kw["pool_pre_ping"]:
            ping_when_idle(self.engine)
        self.session.remove()
        self.session.configure(bind=self.engine)

    def discard_session(self) -> None:
        """Close and forget this thread's session, even when closing it fails (its
        connection is gone): the next request must start from a clean session."""
        try:
            self.session.remove()
        except Exception:
            self.session.registry.clear()


db = Database()


def within_transaction(tx: Any, ancestor: Any) -> bool:
    """True when ``tx`` is ``ancestor`` or nested inside it. Work queued on the session until
    commit (change-log rows, audit rows, jobs) remembers the (sub)transaction that queued it;
    when a savepoint rolls back, whatever was queued within it goes with it."""
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False
