"""Per-request hooks: the request id (logs + ``X-Request-ID``) and the latency histogram.

``create_app`` calls ``init_observability`` before the limiter and ``init_api`` register theirs:
our ``before_request`` runs first (a request refused by another hook still gets its id), and
Flask runs ``after_request`` hooks in reverse order of registration, so ours runs last and the
measured time includes the boundary's commit and the hand-off of jobs.
"""

from __future__ import annotations

from time import perf_counter

from flask import Flask, Response, g, request

from backend.logs import accept_or_new, reset_request_id, set_request_id
from backend.observe.metrics import REQUEST_LATENCY

HEADER = "X-Request-ID"
UNMATCHED = "<unmatched>"  # no URL rule (404, or refused before routing): one label for all


def init_observability(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.fieldops_started = perf_counter()
    rid = accept_or_new(request.headers.get(HEADER))
    g.fieldops_request_id = rid
    g.fieldops_request_id_token = set_request_id(rid)


def _finish(response: Response) -> Response:
    rid = g.get("fieldops_request_id")
    if rid is not None:
        response.headers[HEADER] = rid
    started = g.get("fieldops_started")
    if started is not None:
        rule = request.url_rule
        REQUEST_LATENCY.labels(
            rule.rule if rule is not None else UNMATCHED, request.method, str(response.status_code)
        ).observe(perf_counter() - started)
    return response


def _forget(exc: BaseException | None) -> None:
    token = g.pop("fieldops_request_id_token", None)
    if token is not None:
        reset_request_id(token)
