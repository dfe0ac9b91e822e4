"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

Why: an operator greps one request's story across the API's workers, the access log and (once
the id is carried into jobs) the rq worker. The id lives in a ``ContextVar`` so code that logs
needs no request object: ``get_request_id()`` is valid wherever the request's context is (the
view, the boundary, a job enqueued from it if the caller copies it along with
``set_request_id``). Outside a request it is ``None`` and the field is ``null``.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar, Token

from pythonjsonlogger.json import JsonFormatter

_request_id: ContextVar[str | None] = ContextVar("fieldops_request_id", default=None)

# An incoming X-Request-ID is echoed into logs and headers, so only harmless ids are kept:
# short, printable, no spaces or quotes (nothing a log parser or header could trip over).
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

# Fields of every line, in this order; the names operators query by.
_FIELDS = ("time", "level", "logger", "message", "request_id")


def get_request_id() -> str | None:
    """The id of the request (or job) this code runs for, or ``None``."""
    return _request_id.get()


def set_request_id(value: str | None) -> Token[str | None]:
    """Bind ``value`` to the current context; returns the token for ``reset_request_id``."""
    return _request_id.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def accept_or_new(incoming: str | None) -> str:
    """The client's ``X-Request-ID`` when it is sane (a proxy's or the PWA's id joins our logs
    to theirs), else a fresh random one: a hostile header never lands in our logs verbatim."""
    if incoming and _SANE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    """Stamps the current request id on every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


def json_formatter() -> logging.Formatter:
    """``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, ``request_id``, then any
    ``extra=`` fields (the access log's method, path, status, ...)."""
    return JsonFormatter(
        "{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def json_handler(stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(json_formatter())
    handler.addFilter(_RequestIdFilter())
    return handler


def make_json(handler: logging.Handler) -> None:
    """Switch an existing handler (e.g. gunicorn's) to JSON lines with the request id."""
    handler.setFormatter(json_formatter())
    if not any(isinstance(f, _RequestIdFilter) for f in handler.filters):
        handler.addFilter(_RequestIdFilter())


def configure_logging(level: int | str = logging.INFO) -> None:
    """Root logger -> one JSON handler on stderr (idempotent: replaces earlier handlers).
    Called by the process entry points (gunicorn app, rq worker), never on import."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level)
    # rq configures its own "rq.worker" handler with a plain formatter; route it to the root.
    for name in ("rq", "rq.worker", "rq.scheduler"):
        lg = logging.getLogger(name)
        for handler in list(lg.handlers):
            lg.removeHandler(handler)
        lg.propagate = True
