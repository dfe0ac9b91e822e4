"""gunicorn settings for the API (``gunicorn -c infra/gunicorn.conf.py backend.wsgi:app``)."""

import multiprocessing
import os

# Multiprocess Prometheus metrics (child_exit) and JSON logs (logger_class): see the module.
from backend.observe.gunicorn_conf import (
    child_exit,
    limit_request_line,
    logger_class,
    on_exit,
    on_starting,
    post_worker_init,
)

__all__ = [
    "child_exit",
    "limit_request_line",
    "logger_class",
    "on_exit",
    "on_starting",
    "post_worker_init",
]

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 60
graceful_timeout = 30
# Uploads (photos) can be slow on mobile networks; keep-alive helps the PWA's sync bursts.
keepalive = 5
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
