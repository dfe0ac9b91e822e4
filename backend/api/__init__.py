"""HTTP layer: registers every blueprint module in this package, maps DomainError onto the
flask-smorest error shape, and commits once per request (the boundary).

A module here exposes ``blp`` (a flask-smorest Blueprint) or ``blueprints`` (a list); modules
are discovered, so a feature adds its API without editing this file.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import InternalServerError

from backend.accounts.permissions import Unauthenticated
from backend.api.contract import FieldopsApi
from backend.db import db
from backend.errors import DomainError
from backend.extensions import jwt, redis_holder
from backend.jobs import run_ready_jobs

log = logging.getLogger(__name__)


def error_body(code: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "status": HTTPStatus(code).phrase, "message": message, **extra}


def error_response(code: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error_body(code, message, **extra)), code


def init_api(app: Flask) -> None:
    # One Api per app: flask-smorest keeps the spec on the Api object, so a module-level one
    # would accumulate paths when tests or workers build more than one app.
    api = FieldopsApi(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    # Service accounts' keys (docs/api-keys.md); an operation that takes them
                    # lists this scheme and the scope it needs (``x-api-key-scope``).
                    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                }
            },
        },
    )
    app.extensions["fieldops_api"] = api
    _register_blueprints(app, api)
    _register_error_handlers(app)
    _register_jwt_errors()
    _register_boundary(app)
    _register_health(app)


def _register_blueprints(app: Flask, api: FieldopsApi) -> None:
    import backend.api as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for blp in getattr(module, "blueprints", None) or [getattr(module, "blp", None)]:
            if blp is not None and blp.name not in app.blueprints:
                api.register_blueprint(blp)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> ResponseReturnValue:
        body = exc.to_dict()
        message = body.pop("message")
        body.pop("kind", None)
        return error_response(exc.status, message, kind=exc.kind, **body)

    @app.errorhandler(Unauthenticated)
    def _unauth(exc: Unauthenticated) -> ResponseReturnValue:
        return error_response(401, str(exc))

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> ResponseReturnValue:
        return error_response(
            409, "the record was changed by someone else; reload and retry", kind="stale_version"
        )

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError) -> ResponseReturnValue:
        """Anything unhandled answers JSON, never Flask's HTML page; a lost database
        connection (or one the server cut) is a 503 the client retries, not a 500."""
        original = getattr(exc, "original_exception", None) or exc
        if is_database_unavailable(original):
            log.warning("database unavailable: %s", original.__class__.__name__)
            response, code = error_response(
                503,
                "the database is unavailable right now; nothing was saved, retry shortly",
                kind="database_unavailable",
            )
            response.headers["Retry-After"] = str(DB_RETRY_AFTER_S)
            return response, code
        return error_response(500, "internal error", kind="internal")

    @app.errorhandler(JWTExtendedException)
    @app.errorhandler(PyJWTError)
    def _jwt(exc: Exception) -> ResponseReturnValue:
        return error_response(401, f"invalid or missing token: {exc}")


def _register_jwt_errors() -> None:
    @jwt.unauthorized_loader
    def _missing(reason: str) -> ResponseReturnValue:
        return error_response(401, f"authentication required: {reason}")

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> ResponseReturnValue:
        return error_response(401, f"invalid token: {reason}")

    @jwt.expired_token_loader
    def _expired(header: dict[str, Any], payload: dict[str, Any]) -> ResponseReturnValue:
        return error_response(401, "token has expired; refresh it or log in again")

    @jwt.revoked_token_loader
    def _revoked(header: dict[str, Any], payload: dict[str, Any]) -> ResponseReturnValue:
        return error_response(401, "token has been revoked")

    @jwt.needs_fresh_token_loader
    def _fresh(header: dict[str, Any], payload: dict[str, Any]) -> ResponseReturnValue:
        return error_response(401, "a fresh login is required")


DB_RETRY_AFTER_S = 2


def is_database_unavailable(exc: BaseException) -> bool:
    """A connection that broke, was refused or was terminated (``pg_terminate_backend``, a
    failover, a restart), or a statement the server cancelled on a timeout: the request did
    not happen and may be retried, which every write path makes safe (idempotent push)."""
    import psycopg
    from sqlalchemy.exc import DBAPIError, DisconnectionError
    from sqlalchemy.exc import OperationalError as SAOperationalError

    if isinstance(exc, DisconnectionError | SAOperationalError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig or exc
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def keep_changes_on_error() -> None:
    """Ask the boundary to commit although the answer is an error. For refusals that must
    still leave evidence, e.g. a second signature answered 409 but kept as a conflict record
    (docs/sync-protocol.md: nothing a phone captured may vanish). Call it only after the write is
    flushed."""
    g.fieldops_keep_on_error = True


def _register_boundary(app: Flask) -> None:
    """One commit per request. Error answers roll back; jobs queued with
    ``enqueue_after_commit`` go to rq (or run inline) only after the commit succeeded."""

    @app.after_request
    def _commit(response: Response) -> Response:
        session = db.session()
        if response.status_code < 400 or g.get("fieldops_keep_on_error"):
            session.commit()
            run_ready_jobs()
        else:
            session.rollback()
        return response

    @app.teardown_appcontext
    def _remove(exc: BaseException | None) -> None:
        # The session is reset whatever happened: a rollback that raises (its connection is
        # gone) must not leave the thread's session half-committed for the next request.
        try:
            if exc is not None:
                db.session.rollback()
        except Exception:
            log.warning("rollback at teardown failed; discarding the session", exc_info=True)
        finally:
            db.discard_session()


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        checks: dict[str, str] = {}
        ok = True
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # report, don't crash: this is the probe
            checks["database"] = f"error: {exc.__class__.__name__}"
            ok = False
        degraded = False
        client = redis_holder.client
        if client is not None:
            try:
                client.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                # Still ready: jobs wait in the outbox, rate limits are per process.
                checks["redis"] = f"degraded: {exc.__class__.__name__}"
                degraded = True
        # Reported, not failed: one process alone is fine; several count the limits apart.
        checks["rate_limits"] = "shared" if app.config.get("REDIS_URL") else "per process"
        status = "unavailable" if not ok else "degraded" if degraded else "ok"
        return {"status": status, "checks": checks}, 200 if ok else 503
