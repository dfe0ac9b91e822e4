"""Which requests read from a replica (``DATABASE_REPLICA_URLS``, ``backend.replicas``).

An operation opts in with ``@reads_replica`` (the heavy, read-only ones: sync pull, ticket,
map and timeline lists, the staff service report). Its reads then go to a replica within the
lag limit, unless the caller wrote something in the last ``REPLICA_MAX_LAG_S`` seconds: a
dispatcher's list right after an assignment, or an engineer's pull right after a push, reads
the primary, so nobody misses their own write. Who wrote recently is kept in Redis (every API
process must know); without Redis, or when it does not answer, reads stay on the primary.
Nothing here runs when no replica is configured.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, request

from backend.api.auth_gate import operation_function
from backend.db import READ_REPLICA, db
from backend.extensions import redis_holder
from backend.replicas import CHECK_EVERY_S, replicas

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "_fieldops_reads_replica"
_CACHE = "fieldops_replica_routes"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def reads_replica(fn: F) -> F:
    """Mark an operation whose reads may be served by a replica: it must not write.

    A replica that fails under the operation (killed, restarting, its pooled connections dead)
    is not the caller's problem: the operation is read-only, so it runs again on the primary,
    and the replica is skipped until its next lag check. Without this, every read routed to it
    in the second its last measurement is trusted answered 503."""

    @functools.wraps(fn)
    def on_replica_or_primary(*args: Any, **kwargs: Any) -> Any:
        replica = db.session.info.get(READ_REPLICA)
        if replica is None:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if not replica_failed(exc):
                raise
            log.warning("replica failed (%s); reading the primary", exc.__class__.__name__)
            db.session.rollback()
            db.session.info.pop(READ_REPLICA, None)
            replicas.mark_unreachable(replica)
            return fn(*args, **kwargs)

    setattr(on_replica_or_primary, _ATTR, True)
    return cast(F, on_replica_or_primary)


def replica_failed(exc: BaseException) -> bool:
    """The replica could not answer (connection refused, broken, server starting or shutting
    down). A statement the server cancelled on its timeout is not retried: the primary would
    take as long, past the worker's timeout."""
    import psycopg

    from backend.api import is_database_unavailable

    orig = getattr(exc, "orig", None)
    return is_database_unavailable(exc) and not isinstance(orig, psycopg.errors.QueryCanceled)


def _wrote_key(user_id: Any) -> str:
    return f"fieldops:wrote:{user_id}"


def _opted_in(app: Flask, endpoint: str | None, method: str) -> bool:
    if endpoint is None:
        return False
    cache: dict[tuple[str, str], bool] = app.extensions.setdefault(_CACHE, {})
    key = (endpoint, method)
    if key not in cache:
        fn = operation_function(app, endpoint, method)
        cache[key] = bool(fn is not None and getattr(fn, _ATTR, False))
    return cache[key]


def _user_id() -> Any:
    user = g.get("fieldops_token_user")
    return getattr(user, "id", None)


def _wrote_recently(user_id: Any) -> bool:
    client = redis_holder.client
    if client is None:
        return True
    try:
        return bool(client.exists(_wrote_key(user_id)))
    except Exception:  # unknown: the primary is always right
        return True


def choose_reads() -> None:
    """before_request, after the auth gate (it knows the caller): point this request's reads
    at a replica if the operation allows it and the caller has no recent write."""
    if not replicas.configured or not _opted_in(current_app, request.endpoint, request.method):
        return
    uid = _user_id()
    if uid is not None and _wrote_recently(uid):
        return
    engine = replicas.pick()
    if engine is not None:
        db.session.info[READ_REPLICA] = engine


def remember_write(response: Response) -> Response:
    """after_request: a caller whose write succeeded reads the primary for the lag limit."""
    if not replicas.configured or request.method in _SAFE or response.status_code >= 400:
        return response
    uid = _user_id()
    client = redis_holder.client
    if uid is None or client is None:
        return response
    try:
        client.set(_wrote_key(uid), 1, ex=math.ceil(replicas.max_lag_s + CHECK_EVERY_S) + 1)
    except Exception:  # without the mark the next reads may lag by up to the limit
        log.warning("could not record a write for read-your-writes", exc_info=True)
    return response


def install_replica_routing(app: Flask) -> None:
    app.before_request(choose_reads)
    app.after_request(remember_write)
