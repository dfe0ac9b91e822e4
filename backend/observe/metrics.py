"""The process-local metrics (counters and histograms updated as requests run).

Under gunicorn these live in ``PROMETHEUS_MULTIPROC_DIR`` (one mmap file per worker), so the
scrape, answered by any one worker, adds up every worker's counts. prometheus-client decides
the storage when it is imported, which is why the directory must be in the environment before
the workers start (``backend.observe.gunicorn_hooks`` sees to it).

Labels are bounded: the Flask endpoint's URL rule (``/api/v1/tickets/<uuid:ticket_id>``), never
the raw path, and the status code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from prometheus_client import Counter, Histogram

# Request latency: from the first before_request hook to the last after_request hook (which
# includes the boundary's commit and the hand-off of jobs to rq).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_LATENCY = Histogram(
    "fieldops_http_request_duration_seconds",
    "Time to answer a request, by Flask URL rule, method and status code.",
    ("endpoint", "method", "status"),
    buckets=LATENCY_BUCKETS,
)

SYNC_LATENCY = Histogram(
    "fieldops_sync_duration_seconds",
    "Time spent in a sync push or pull operation (inside the request).",
    ("op",),
    buckets=LATENCY_BUCKETS,
)
SYNC_REQUESTS = Counter(
    "fieldops_sync_requests_total",
    "Sync push and pull requests handled, by outcome (ok or error).",
    ("op", "outcome"),
)
SYNC_MUTATIONS = Counter(
    "fieldops_sync_mutations_total",
    "Pushed mutations by result status (applied, merged, conflict, rejected, duplicate).",
    ("status",),
)
SYNC_PULLED_CHANGES = Counter(
    "fieldops_sync_pulled_changes_total",
    "Entities (upserts + removes) sent to phones by pulls.",
)


@contextmanager
def timed_sync(op: str) -> Iterator[None]:
    """Time one sync ``op`` (push or pull) and count it as ok or error (an exception)."""
    start = perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        SYNC_LATENCY.labels(op).observe(perf_counter() - start)
        SYNC_REQUESTS.labels(op, outcome).inc()


def count_pushed(results: Iterable[Mapping[str, Any]]) -> None:
    """Count a push's per-mutation results by their status."""
    by_status: dict[str, int] = {}
    for item in results:
        status = str(item.get("status", "unknown"))
        by_status[status] = by_status.get(status, 0) + 1
    for status, n in by_status.items():
        SYNC_MUTATIONS.labels(status).inc(n)


def count_pulled(changes: Mapping[str, Mapping[str, list[Any]]]) -> None:
    n = sum(len(c.get("upserts", ())) + len(c.get("removes", ())) for c in changes.values())
    if n:
        SYNC_PULLED_CHANGES.inc(n)
