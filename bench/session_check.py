"""Cost of checking the session on every request (logout takes effect at once).

Every authenticated request looks up its token's refresh family (``sessions.is_active``, one
primary-key lookup) so that a logged-out or revoked session's access tokens stop working
immediately instead of up to 15 minutes later. This measures that lookup alone and
``GET /api/v1/me`` in-process with the check and, interleaved, with the check switched off
(the baseline), in a dedicated database re-created each run.

    python bench/session_check.py [--database-url URL] [--requests N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_jwt_extended import decode_token

from backend import create_app
from backend.accounts.operations import create_user
from backend.accounts.sessions import is_active, start_session
from backend.api import auth_gate
from backend.config import Config
from backend.db import db, utcnow
from backend.extensions import jwt
from backend.migrate import create_database, upgrade

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_session"


def per_call_ms(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--requests", type=int, default=200, help="per round (5 rounds each way)")
    args = ap.parse_args()

    create_database(args.database_url, drop_first=True)
    upgrade(args.database_url)
    app = create_app(Config(DATABASE_URL=args.database_url, SECRET_KEY="b" * 40))
    with app.app_context():
        user = create_user(email="b@example.com", name="B", role="engineer", password="x" * 12)
        tokens = start_session(user, user_agent="bench", now=utcnow())
        db.session.commit()
        fam, sub = decode_token(tokens["access_token"])["fam"], str(user.id)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    for _ in range(50):
        assert client.get("/api/v1/me", headers=headers).status_code == 200

    with_check, without = [], []
    for _ in range(5):  # interleaved, so both share the machine's noise
        jwt.token_in_blocklist_loader(auth_gate._token_is_revoked)
        with_check.append(
            per_call_ms(lambda: client.get("/api/v1/me", headers=headers), args.requests)
        )
        jwt.token_in_blocklist_loader(lambda header, payload: False)
        without.append(
            per_call_ms(lambda: client.get("/api/v1/me", headers=headers), args.requests)
        )
    jwt.token_in_blocklist_loader(auth_gate._token_is_revoked)
    with app.app_context():
        lookup = statistics.median(per_call_ms(lambda: is_active(fam, sub), 1000) for _ in range(5))
        db.session.remove()
    on, off = statistics.median(with_check), statistics.median(without)
    print(f"GET /api/v1/me: {on:.2f} ms with the session check, {off:.2f} ms without")
    print(f"sessions.is_active alone: {lookup:.3f} ms")
    print(f"RESULT me_ms={on:.2f} me_without_check_ms={off:.2f} session_lookup_ms={lookup:.3f}")


if __name__ == "__main__":
    main()
