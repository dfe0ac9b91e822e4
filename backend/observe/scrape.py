"""Answering a Prometheus scrape: who may read ``/metrics`` and what the answer contains.

Who: with ``FIELDOPS_METRICS_TOKEN`` set, whoever sends ``Authorization: Bearer <token>``
(from anywhere: Prometheus usually scrapes over the network). Without a token, only a direct
connection from the host itself (loopback, and no ``X-Forwarded-For``/``Forwarded`` header, so
a reverse proxy on the same host does not open it to the internet). Metrics name endpoints,
queue sizes and ticket counts: operators' business, not the public's.

What: under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set) the counters of every worker, merged
by ``MultiProcessCollector``; otherwise this process's registry (tests, ``flask run``). Plus
the gauges read from PostgreSQL and Redis at scrape time (``collector.StateCollector``).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis
from werkzeug.datastructures import Headers

from backend.observe.collector import REDIS_TIMEOUT_S, StateCollector

_scrape_redis: dict[str, Redis] = {}


class AccessDenied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_access(
    token: str | None,
    authorization: str | None,
    remote_addr: str | None,
    headers: Headers | Mapping[str, str],
) -> None:
    """Raise ``AccessDenied`` unless this caller may read the metrics (see module doc)."""
    if token:
        sent = (authorization or "").removeprefix("Bearer ").strip()
        if not authorization or not authorization.startswith("Bearer ") or not sent:
            raise AccessDenied(401, "metrics need 'Authorization: Bearer <FIELDOPS_METRICS_TOKEN>'")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise AccessDenied(403, "wrong metrics token")
        return
    if "X-Forwarded-For" in headers or "Forwarded" in headers:
        raise AccessDenied(
            403, "metrics through a proxy need FIELDOPS_METRICS_TOKEN; none is configured"
        )
    try:
        loopback = remote_addr is not None and ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise AccessDenied(
            403, "metrics are served to loopback only unless FIELDOPS_METRICS_TOKEN is set"
        )


class _ThisProcess(Collector):
    """The default registry's metrics (single-process mode)."""

    def collect(self) -> Iterator[Any]:
        return iter(REGISTRY.collect())


def scrape_redis(url: str | None) -> Redis | None:
    """A client of its own with short timeouts: a dead Redis must not hang the scrape."""
    if not url:
        return None
    client = _scrape_redis.get(url)
    if client is None:
        client = Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        _scrape_redis[url] = client
    return client


def render(state: StateCollector) -> tuple[bytes, str]:
    """The exposition text and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(state)
    return generate_latest(registry), CONTENT_TYPE_LATEST
