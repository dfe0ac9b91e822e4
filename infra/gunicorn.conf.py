"""gunicorn settings for the API (``gunicorn -c infra/gunicorn.conf.py backend.wsgi:app``)."""

import multiprocessing
import os

# Multiprocess Prometheus metrics (child_exit) and JSON logs (logger_class): see the module.
from backend.observe.gunicorn_conf import (
    child_exit,
    logger_class,
    on_exit,
    on_starting,
    post_worker_init,
)

__all__ = ["child_exit", "logger_class", "on_exit", "on_starting", "post_worker_init"]

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 60
graceful_timeout = 30
# Uploads (photos) can be slow on mobile networks; keep-alive helps the PWA's sync bursts.
keepalive = 5
accesslog = "-"
# The URL length is the app's rule (backend/api/request_guards.py MAX_URL_BYTES, a JSON 414 in
# the error shape); gunicorn's own check answers an HTML page before the app runs. Its limit
# goes up to 8190 at most, and a URL past that would still get the HTML page, so 0: no limit
# of gunicorn's (its C parser, when installed, still stops at 1 MiB). What this costs: the
# pure-Python parser buffers a request line as long as the client keeps sending it; a proxy
# in front bounds that (docs/deployment.md).
limit_request_line = 0
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
