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
