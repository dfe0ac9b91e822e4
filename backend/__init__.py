"""fieldops backend: ``create_app`` builds the Flask app; importing this package does no I/O."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend.config import Config


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    from backend import models  # noqa: F401  (registers every mapper before first use)
    from backend.api import init_api
    from backend.db import db
    from backend.extensions import jwt, limiter, redis_holder

    cfg = config or Config.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(cfg.to_flask())
    app.config.update(overrides)
    app.config["FIELDOPS_CONFIG"] = cfg

    db.init(app.config["DATABASE_URL"])
    redis_holder.init_app(app)
    jwt.init_app(app)
    limiter.init_app(app)
    init_api(app)
    return app
