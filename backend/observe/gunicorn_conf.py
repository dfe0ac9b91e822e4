"""gunicorn hooks for metrics and JSON logs; ``fieldops serve`` loads this module as its
config (``-c python:backend.observe.gunicorn_conf``) and ``infra/gunicorn.conf.py`` imports
the same names.

Metrics across workers: prometheus-client's multiprocess mode keeps each worker's counters in
files under ``PROMETHEUS_MULTIPROC_DIR``; a scrape answered by any worker adds them up. The
directory must be in the environment before a worker imports prometheus-client (workers fork
from this master, which therefore never imports it at load time), must start empty (old files
would add a previous run's counts) and a dead worker's live gauges are dropped in
``child_exit``. Unset, a private temporary directory is made and removed on exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from backend.observe.access_log import JsonLogger

_ENV = "PROMETHEUS_MULTIPROC_DIR"
_made_dir: str | None = None

if not os.environ.get(_ENV):
    _made_dir = tempfile.mkdtemp(prefix="fieldops-metrics-")
    os.environ[_ENV] = _made_dir

logger_class = JsonLogger
# gunicorn's own check of the request line (bounded memory for what it buffers); 8190 is the
# most it allows. URLs between the app's MAX_URL_BYTES and this reach the app's JSON 414;
# longer ones are refused by gunicorn, in the same JSON shape (``json_error_pages``).
limit_request_line = 8190

_KINDS = {414: "uri_too_long", 431: "headers_too_large", 403: "forbidden", 501: "not_implemented"}


def json_error_pages() -> None:
    """gunicorn answers a request it cannot parse (a request line past its limit, bad or too
    many headers) itself, before the app runs, with an HTML page; this API answers JSON
    everywhere, so its error writer is replaced by one writing the app's error shape. The
    workers fork from this master after the config is loaded and inherit it."""
    import json

    from gunicorn import util

    from backend.config import MAX_URL_BYTES

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        answer: dict[str, Any] = {
            "code": status_int,
            "status": reason,
            "kind": _KINDS.get(status_int, "bad_request"),
            "message": mesg or reason,
        }
        if status_int == 414:
            answer["limit_bytes"] = MAX_URL_BYTES
            answer["message"] = f"the URL is too long; at most {MAX_URL_BYTES} bytes are read"
        body = json.dumps(answer).encode()
        head = (
            f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        util.write_nonblock(sock, head.encode("latin1") + body)

    util.write_error = write_error


json_error_pages()


def on_starting(server: Any) -> None:
    """Refuse several workers whose rate limits would each count alone; empty the metrics
    directory (a fresh master starts counting from zero)."""
    from backend.config import Config
    from backend.extensions import refuse_unshared_limits

    refuse_unshared_limits(int(server.cfg.workers), Config.from_env())
    path = Path(os.environ[_ENV])
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the app: settle the garbage collector (``backend.gcpolicy``)."""
    from backend.gcpolicy import settle

    settle()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _made_dir is not None:
        shutil.rmtree(_made_dir, ignore_errors=True)
