"""fieldops backend: ``create_app`` builds the Flask app; importing this package does no I/O."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend.config import Config, FieldopsFlask, check_secret_key, settings


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    from backend import models  # noqa: F401  (registers every mapper before first use)
    from backend.api import init_api
    from backend.api.auth_gate import install_auth_gate
    from backend.api.replica_routing import install_replica_routing
    from backend.api.request_guards import install as install_request_guards
    from backend.db import ConnectionOptions, db, engine_options
    from backend.extensions import jwt, limiter, redis_holder, retry_after_on_refusal
    from backend.jsonio import install as install_json
    from backend.observe.hooks import init_observability
    from backend.replicas import replicas

    cfg = config or Config.from_env()
    app = FieldopsFlask(__name__, static_folder=None)
    # app.config converts and checks every setting as it is loaded (backend/config.py): a bad
    # value raises SettingError naming its variable before anything starts.
    app.config.update(cfg.to_flask())
    app.config.update(overrides)
    typed = settings(app.config)
    check_secret_key(app.config)  # before any connection: a refused start touches nothing
    install_json(app)  # orjson-encoded responses (backend/jsonio.py)

    trust_proxies(app, typed.TRUSTED_PROXIES)
    connections: ConnectionOptions = {
        "statement_timeout_ms": typed.DB_STATEMENT_TIMEOUT_MS,
        "idle_in_transaction_timeout_ms": typed.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        "pooled": typed.DATABASE_DIRECT_URL is not None,
        "prepare_threshold": typed.DB_PREPARE_THRESHOLD,
    }
    db.init(typed.DATABASE_URL, **connections)
    replicas.init(
        typed.DATABASE_REPLICA_URLS,
        max_lag_s=typed.REPLICA_MAX_LAG_S,
        **engine_options(typed.DATABASE_URL, **connections),
    )
    redis_holder.init_app(app)
    jwt.init_app(app)
    # First hooks in, so the request id and the timer start before any other hook can refuse
    # the request, and (after_request runs in reverse) the timer stops after the commit.
    init_observability(app)
    limiter.init_app(app)
    app.after_request(retry_after_on_refusal)
    init_api(app)
    install_request_guards(app)
    install_auth_gate(app)
    install_replica_routing(app)  # after the gate: it knows who is asking
    return app


def trust_proxies(app: Flask, hops: Any) -> None:
    """Behind ``hops`` reverse proxies (``FIELDOPS_TRUSTED_PROXIES``), take the client's address,
    scheme and host from their ``X-Forwarded-*`` headers. Per-IP rate limits on the anonymous
    endpoints key on that address: without this every customer behind nginx shares the proxy's
    address (and its limit); with it set too high, or by default, a client could pick its own
    address by sending the header. So the default is 0: trust no header."""
    try:
        count = int(hops or 0)
    except (TypeError, ValueError):
        raise ValueError(
            f"TRUSTED_PROXIES must be a whole number of proxies, not {hops!r}"
        ) from None
    if count < 0:
        raise ValueError(f"TRUSTED_PROXIES must not be negative, got {count}")
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
