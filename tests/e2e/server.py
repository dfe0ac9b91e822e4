"""A live fieldops server for the browser tests, in its own process.

Why a process and not a thread in the pytest process: ``backend.db.db`` and the Redis holder
are process-wide, so a second app bound to the e2e database would re-point the engine under
every other test in the session. Here the e2e app owns its process: it creates and migrates a
committed database (drop first), creates the admin account, binds werkzeug's ``make_server``
to a free port on 127.0.0.1, writes the port to ``--port-file`` and serves until killed.
Jobs run inline after commit (no Redis), exactly as in a single-process deployment, unless
``--redis-url`` is given: then they are queued there for an rq worker the caller runs
(``conftest.job_server``), as in production.

    python -m tests.e2e.server --database-url URL --media DIR --port-file FILE \
        [--redis-url URL] [--config KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from werkzeug.serving import make_server

ADMIN = ("admin@e2e.test", "e2e-admin-password", "E2E Admin")
SECRET_KEY = "e2e-secret-key-with-enough-entropy-0123456789abcdef"  # a worker beside it signs alike


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--media", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--dist", default=None)
    parser.add_argument("--redis-url", default=None, help="queue jobs here (default: inline)")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra app config (e.g. S3_BUCKET=..., FCM_ENDPOINT=...); repeatable",
    )
    ns = parser.parse_args()

    from backend import create_app
    from backend.config import Config
    from backend.migrate import create_database, upgrade

    create_database(ns.database_url, drop_first=True)
    upgrade(ns.database_url)

    cfg = Config(
        DATABASE_URL=ns.database_url,
        REDIS_URL=ns.redis_url,
        SECRET_KEY=SECRET_KEY,
        MEDIA_ROOT=ns.media,
        TESTING=True,
    )
    # Generous limits: the tests log in many times, and report faults on one label many
    # times, from one address (the limits themselves are tested in tests/public/).
    cfg.LOGIN_LIMIT_PER_ACCOUNT = "1000 per minute"
    cfg.LOGIN_LIMIT_PER_IP = "1000 per minute"
    cfg.PUBLIC_REPORT_LIMIT_PER_IP = "1000 per hour"
    cfg.PUBLIC_REPORT_LIMIT_PER_TOKEN = "1000 per hour"
    app = create_app(cfg)
    if ns.dist:
        app.config["PWA_DIST"] = ns.dist
    for item in ns.config:
        key, _, value = item.partition("=")
        app.config[key] = value

    with app.app_context():
        from backend.accounts.operations import create_user
        from backend.db import db

        email, password, name = ADMIN
        create_user(email=email, name=name, role="admin", password=password)
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.port}"
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    tmp = Path(ns.port_file + ".tmp")
    tmp.write_text(str(server.port))
    os.replace(tmp, ns.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
