"""``fieldops openapi`` (what ``npm run gen:api`` builds the PWA's types from) prints the served
document itself, in bytes that depend on nothing but the document, with no server, database or
Redis. Run as a process, as the script does: a second app in this process would rebind the
session."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CMD = [sys.executable, "-c", "from backend.cli import main; main()", "openapi"]


def _dump() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDOPS_", "DATABASE_"))}
    env["FIELDOPS_ENV"] = "development"
    env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected
    done = subprocess.run(CMD, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_dump_is_the_served_document_in_stable_bytes(app):
    text = _dump()
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert json.loads(text) == served
    # Stable bytes: keys sorted at every level, fixed indent, one final newline.
    assert text == json.dumps(served, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
